// What the mock "cloud" answers: extra output state per resource type, and the invokes the program is
// allowed to make. Anything not listed here fails loudly, so a new data source is a conscious addition.
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";

type StateFn = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

/** A kubeconfig of the right shape; the server and CA are fake. */
export function fakeKubeconfig(clusterName: string, server = `https://${clusterName}.example.internal:6443`): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: ${clusterName}, cluster: {server: "${server}", certificate-authority-data: TU9DSw==}}]`,
        `users: [{name: admin, user: {token: mock-token}}]`,
        `contexts: [{name: ${clusterName}, context: {cluster: ${clusterName}, user: admin}}]`,
        `current-context: ${clusterName}`,
    ].join("\n");
}

export const MOCK_STATE: Record<string, StateFn> = {
    "eks:index:Cluster": (a) => {
        const oidc = `oidc.eks.eu-west-1.amazonaws.com/id/MOCK${a.name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
        return {
            kubeconfigJson: JSON.stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: a.name, cluster: { server: `https://${a.name}.eks.amazonaws.com` } }],
            }),
            kubeconfig: { apiVersion: "v1", kind: "Config" },
            oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${oidc}`,
            oidcProviderUrl: `https://${oidc}`,
            oidcIssuer: oidc,
            clusterSecurityGroupId: `sg-${a.name}-cluster`,
            nodeSecurityGroupId: `sg-${a.name}-node`,
            eksCluster: undefined,
            core: undefined,
        };
    },
    // AWS numbers a launch template's versions from 1.
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
    "random:index/randomPassword:RandomPassword": (a) => ({
        result: `mock-password-${a.name}`,
        // A real bcrypt hash shape; Argo CD reads `$2a$`/`$2y$` hashes.
        bcryptHash: "$2a$10$Mq5n1wF0YbqE5b5xv8Mz7uK8cC1oZVd7D2y9lqz0m0d9o1N3k5G2e",
    }),
    "random:index/randomBytes:RandomBytes": (a) => ({
        base64: Buffer.from(`mock-bytes-${a.name}`).toString("base64"),
        hex: Buffer.from(`mock-bytes-${a.name}`).toString("hex"),
    }),
    "aws:iam/role:Role": (a) => ({ arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${a.name}`, name: a.name }),
    "aws:kms/key:Key": (a) => ({ arn: `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/${a.name}`, keyId: a.name }),
    "aws:iam/policy:Policy": (a) => ({ arn: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${a.name}` }),
    "aws:sqs/queue:Queue": (a) => ({
        arn: `arn:aws:sqs:eu-west-1:${MOCK_ACCOUNT}:${a.inputs.name ?? a.name}`,
        url: `https://sqs.eu-west-1.amazonaws.com/${MOCK_ACCOUNT}/${a.inputs.name ?? a.name}`,
    }),
    "aws:cloudwatch/logGroup:LogGroup": (a) => ({ arn: `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${a.inputs.name ?? a.name}` }),
    "aws:cloudwatch/eventRule:EventRule": (a) => ({ name: a.name, arn: `arn:aws:events:eu-west-1:${MOCK_ACCOUNT}:rule/${a.name}` }),
    // Commands answer with what the host would print: kubeconfigs as k3s and k3d write them.
    "command:remote:Command": (a) => ({ stdout: commandStdout(String(a.inputs.create ?? "")) }),
    "command:local:Command": (a) => ({ stdout: commandStdout(String(a.inputs.create ?? "")) }),
    "gcp:serviceaccount/account:Account": (a) => ({
        email: `${a.inputs.accountId}@${a.inputs.project ?? "mock-project"}.iam.gserviceaccount.com`,
    }),
    "gcp:secretmanager/secret:Secret": (a) => ({ name: `projects/mock/secrets/${a.inputs.secretId}` }),
    "gcp:compute/instance:Instance": (a) => ({
        instanceId: `1234567890${a.name.length}`,
        networkInterfaces: ((a.inputs.networkInterfaces as Record<string, unknown>[] | undefined) ?? []).map((n, i) => ({
            ...n,
            networkIp: `10.10.0.${i + 2}`,
        })),
    }),
    // The token controller fills service-account token Secrets; other Secrets keep their inputs.
    "kubernetes:core/v1:Secret": (a) =>
        a.inputs.type === "kubernetes.io/service-account-token"
            ? {
                  data: {
                      token: Buffer.from(`mock-sa-token-${a.name}`).toString("base64"),
                      "ca.crt": Buffer.from("-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n").toString("base64"),
                      namespace: Buffer.from("kube-system").toString("base64"),
                  },
              }
            : {},
};

/** stdout for a command resource, by what its script does. */
function commandStdout(create: string): string {
    if (create.includes("/etc/rancher/k3s/k3s.yaml")) return fakeK3sKubeconfig("https://127.0.0.1:6443");
    if (create.startsWith("k3d kubeconfig get")) return fakeK3sKubeconfig("https://0.0.0.0:6550", "k3d-edge", "admin@k3d-edge");
    return "";
}

/** A kubeconfig as k3s (cluster/user/context "default") or k3d writes it. */
export function fakeK3sKubeconfig(server: string, name = "default", user = "default"): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: ${name}, cluster: {server: "${server}", certificate-authority-data: TU9DSw==}}]`,
        `users: [{name: "${user}", user: {client-certificate-data: TU9DSw==, client-key-data: TU9DSw==}}]`,
        `contexts: [{name: ${name}, context: {cluster: ${name}, user: "${user}"}}]`,
        `current-context: ${name}`,
    ].join("\n");
}

type InvokeFn = (inputs: Record<string, unknown>) => Record<string, unknown>;

export const MOCK_INVOKES: Record<string, InvokeFn> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
        names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
        state: "available",
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`,
        userId: "AIDAMOCK",
    }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
    "aws:index/getRegion:getRegion": () => ({ name: "eu-west-1", region: "eu-west-1" }),
    // The real invoke renders a policy document; the mock keeps the statements readable in render.
    "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => ({
        json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }),
    }),
};
