import { expect } from "chai";
import { argoClusterConfig, decodeToken } from "../../components/cluster/argocd/cluster-secret";
import { vmServiceAccountId } from "../../components/cluster/gcp/gcp-k3s-cluster";
import { gcpMachineArch, startupScript, ubuntuImage, upgradeScript } from "../../components/cluster/gcp/startup-script";
import { k3dCreateArgs, k3dCreateCommand, k3dServerUrl } from "../../components/cluster/k3d/commands";
import { kubeconfigServer } from "../../components/cluster/kubeconfig";
import type { StackRun } from "../harness";
import { containsSecret } from "../harness";
import { failureOf, inputs, inside, ofType, one, runWith } from "./helpers";

/** The cluster layer does not care about the object store; gcs is the one the platform layer supports on hybrid. */
const runHybrid = (set: Record<string, unknown> = {}) => runWith("hybrid", { objectStore: "gcs", ...set });

const SPEC = {
    name: "hybrid-edge",
    k3dVersion: "v5.9.0",
    k3sImage: "rancher/k3s:v1.35.2-k3s1",
    tailscaleAddress: "100.101.102.103",
    apiPort: 6550,
    agents: 2,
};

describe("hybrid: pure helpers", () => {
    it("creates k3d with the pinned image, the tailnet TLS SAN, the API on all interfaces and traefik off", () => {
        expect(k3dCreateArgs(SPEC)).to.deep.equal([
            "cluster",
            "create",
            "hybrid-edge",
            "--servers",
            "1",
            "--agents",
            "2",
            "--image",
            "rancher/k3s:v1.35.2-k3s1",
            "--api-port",
            "0.0.0.0:6550",
            "--k3s-arg",
            "--tls-san=100.101.102.103@server:0",
            "--k3s-arg",
            "--disable=traefik@server:0",
            "--wait",
            "--timeout",
            "300s",
            "--kubeconfig-update-default=false",
            "--kubeconfig-switch-context=false",
        ]);
        const text = k3dCreateCommand(SPEC);
        expect(text.split("\n")[2]).to.equal(
            `[ "$have" = v5.9.0 ] || { echo "k3d v5.9.0 is required on the edge host; found \${have:-none} (https://k3d.io/v5.9.0/#installation)" >&2; exit 1; }`,
        );
        expect(k3dServerUrl(SPEC)).to.equal("https://100.101.102.103:6550");
    });

    it("fetches the Tailscale key from Secret Manager with the metadata token and covers the tailnet names in the API certificate", () => {
        const s = startupScript({
            authKeySecretId: "hybrid-control-tailscale-authkey",
            tailnetHostname: "aiops-control",
            k3sVersion: "v1.35.5+k3s1",
            nodeName: "hybrid-control",
            traefik: true,
        });
        expect(s).to.include("instance/service-accounts/default/token");
        expect(s).to.include(
            "https://secretmanager.googleapis.com/v1/projects/$PROJECT/secrets/hybrid-control-tailscale-authkey/versions/latest:access",
        );
        expect(s).to.include(`tailscale up --auth-key="file:$KEYFILE" --hostname=aiops-control --ssh`);
        expect(s).to.include(`--tls-san aiops-control --node-name hybrid-control --tls-san "$TS_IP" --tls-san "$TS_DNS"`);
        expect(s).to.include("INSTALL_K3S_VERSION=v1.35.5+k3s1");
        expect(s).to.not.include("--disable traefik");
    });

    it("picks the image architecture from the machine type", () => {
        expect(gcpMachineArch("e2-standard-4")).to.equal("amd64");
        expect(gcpMachineArch("t2a-standard-2")).to.equal("arm64");
        expect(ubuntuImage("arm64")).to.equal("ubuntu-os-cloud/ubuntu-2404-lts-arm64");
    });

    it("derives a VM service account id GCP accepts, even when the cut lands on a dash", () => {
        expect(vmServiceAccountId("hybrid-control")).to.equal("hybrid-control-vm");
        // 21 characters + "-control" + "-" is 30: a bare slice(0, 30) ended in "-", which GCP refuses.
        const cut = vmServiceAccountId("abcdefghijklmnopqrstu-control");
        expect(cut).to.equal("abcdefghijklmnopqrstu-control");
        expect(cut).to.match(/^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/);
        expect(vmServiceAccountId("a".repeat(40))).to.equal("a".repeat(30));
    });

    it("builds Argo CD's cluster config with the token and the pinned CA, refusing an empty token", () => {
        expect(JSON.parse(argoClusterConfig("tok", "Q0E="))).to.deep.equal({
            bearerToken: "tok",
            tlsClientConfig: { insecure: false, caData: "Q0E=" },
        });
        expect(decodeToken(Buffer.from("abc").toString("base64"))).to.equal("abc");
        expect(() => argoClusterConfig(decodeToken(undefined), "x")).to.throw("token is empty");
    });
});

describe("hybrid: the stack", () => {
    let run: StackRun;
    before(async () => {
        run = await runHybrid();
    });

    it("opens only the configured SSH range, nothing to 0.0.0.0/0, and gives the VM Cloud NAT instead of an external IP", () => {
        const rules = ofType(run, "gcp:compute/firewall:Firewall");
        expect(rules.map((r) => r.name)).to.deep.equal(["hybrid-net-allow-ssh"]);
        expect(inputs(rules[0])).to.deep.include({
            direction: "INGRESS",
            sourceRanges: ["35.235.240.0/20"],
            allows: [{ protocol: "tcp", ports: ["22"] }],
            targetTags: ["k3s-server"],
        });
        for (const r of rules) expect(inputs(r).sourceRanges).to.not.include("0.0.0.0/0");
        expect(inputs(one(run, "gcp:compute/network:Network", "hybrid-net")).autoCreateSubnetworks).to.equal(false);
        expect(inputs(one(run, "gcp:compute/subnetwork:Subnetwork", "hybrid-net"))).to.include({
            ipCidrRange: "10.10.0.0/24",
            privateIpGoogleAccess: true,
        });
        const vm = inputs(one(run, "gcp:compute/instance:Instance", "hybrid-control"));
        for (const nic of vm.networkInterfaces) expect(nic).to.not.have.property("accessConfigs");
        expect(one(run, "gcp:compute/instance:Instance", "hybrid-control").dependsOn).to.include(
            "gcp:compute/routerNat:RouterNat::hybrid-net-nat",
        );
    });

    it("adds an API rule only when apiSourceRanges lists sources", async () => {
        const r = await runHybrid({ "hybrid.gcp.apiSourceRanges": ["203.0.113.0/24"], "hybrid.gcp.sshSourceRanges": [] });
        expect(
            ofType(r, "gcp:compute/firewall:Firewall").map((x) => [x.name, inputs(x).allows[0].ports, inputs(x).sourceRanges]),
        ).to.deep.equal([["hybrid-net-allow-api", ["6443"], ["203.0.113.0/24"]]]);
    });

    it("runs a Shielded VM with OS Login, its own log/metric-writer account and the auth key only in Secret Manager", () => {
        const vm = inputs(one(run, "gcp:compute/instance:Instance", "hybrid-control"));
        expect(vm.shieldedInstanceConfig).to.deep.equal({ enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
        expect(vm.metadata).to.include({ "enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE" });
        expect(vm.metadata["startup-script"]).to.not.include("mock-secret-for-tailscaleAuthKey");
        expect(containsSecret(one(run, "gcp:compute/instance:Instance", "hybrid-control").inputs)).to.equal(false);
        expect(vm.serviceAccount.email).to.equal("hybrid-control-vm@aiops-hybrid-demo.iam.gserviceaccount.com");
        expect(vm).to.include({ machineType: "e2-standard-4", zone: "europe-west4-a" });
        expect(vm.bootDisk.initializeParams).to.deep.equal({
            image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64",
            size: 50,
            type: "pd-balanced",
        });
        const roles = inside(run, "aiops:cluster:GcpK3sCluster::hybrid-control")
            .filter((r) => r.type === "gcp:projects/iAMMember:IAMMember")
            .map((r) => inputs(r).role);
        expect(roles).to.have.members(["roles/logging.logWriter", "roles/monitoring.metricWriter"]);
        const version = one(run, "gcp:secretmanager/secretVersion:SecretVersion", "hybrid-control-tailscale-authkey");
        expect(containsSecret(version.inputs.secretData)).to.equal(true);
        expect(
            inputs(one(run, "gcp:secretmanager/secretIamMember:SecretIamMember", "hybrid-control-tailscale-authkey-accessor")),
        ).to.include({
            role: "roles/secretmanager.secretAccessor",
            member: "serviceAccount:hybrid-control-vm@aiops-hybrid-demo.iam.gserviceaccount.com",
            secretId: "hybrid-control-tailscale-authkey",
        });
    });

    it("reads the control kubeconfig over the tailnet after the VM exists, rewritten to the tailnet name", () => {
        const read = one(run, "command:remote:Command", "hybrid-control-kubeconfig");
        expect(read.dependsOn).to.include("gcp:compute/instance:Instance::hybrid-control");
        expect(inputs(read).create.split("\n").pop(), "root reads the mode-600 kubeconfig").to.equal("cat /etc/rancher/k3s/k3s.yaml");
        expect(inputs(read).connection).to.include({ host: "aiops-control", user: "root" });
        expect(run.outputs.controlKubeconfig.secret).to.equal(true);
        expect(kubeconfigServer(run.outputs.controlKubeconfig.value as string)).to.equal("https://aiops-control:6443");
    });

    it("upgrades k3s on the running VM when k3sVersion changes, and reads the kubeconfig after that step", async () => {
        const CMD = "command:remote:Command";
        const upgrade = one(run, CMD, "hybrid-control-k3s-version");
        expect(upgrade.parent).to.equal("aiops:cluster:GcpK3sCluster::hybrid-control");
        expect(upgrade.dependsOn).to.include("gcp:compute/instance:Instance::hybrid-control");
        expect(inputs(upgrade).triggers).to.include("v1.35.5+k3s1");
        expect(inputs(upgrade).connection).to.include({ host: "aiops-control", user: "root" });
        expect(inputs(upgrade).create).to.include("INSTALL_K3S_VERSION=v1.35.5+k3s1 sh -s - server");
        const read = one(run, CMD, "hybrid-control-kubeconfig");
        expect(read.dependsOn, "the read-back follows the upgrade").to.include(`${CMD}::hybrid-control-k3s-version`);

        const bumped = await runWith("hybrid", { "hybrid.k3sVersion": "v1.35.6+k3s1" });
        const after = one(bumped, CMD, "hybrid-control-k3s-version");
        // A trigger change replaces the Command: its create (the upgrade) runs again on the live VM.
        expect(inputs(after).triggers).to.not.deep.equal(inputs(upgrade).triggers);
        expect(inputs(after).triggers).to.include("v1.35.6+k3s1");
        expect(inputs(after).create).to.include("INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -s - server");
        expect(inputs(after).create).to.include(`!= v1.35.6+k3s1 ]; then`);
        expect(inputs(one(bumped, CMD, "hybrid-control-kubeconfig")).triggers, "the read-back re-runs too").to.include("v1.35.6+k3s1");
        // The VM itself is kept (its startup script changes in place, for the next boot).
        const vm = (r: typeof run) => one(r, "gcp:compute/instance:Instance", "hybrid-control");
        expect(vm(bumped).options.replaceOnChanges).to.deep.equal([]);
        expect(inputs(vm(bumped)).metadata["startup-script"]).to.include("INSTALL_K3S_VERSION=v1.35.6+k3s1");
    });

    it("the upgrade step uses sudo for a non-root SSH user", () => {
        const text = upgradeScript(
            { nodeName: "c", tailnetHostname: "aiops-control", traefik: true, k3sVersion: "v1.35.5+k3s1" },
            "ubuntu",
        );
        expect(text).to.include("sudo test -s /etc/rancher/k3s/k3s.yaml");
        expect(text).to.include("| sudo env INSTALL_K3S_VERSION=v1.35.5+k3s1 sh -s - server");
    });

    it("creates the k3d edge locally with a delete that removes it, recreating on any spec change", () => {
        const cluster = one(run, "command:local:Command", "hybrid-edge-cluster");
        const i = inputs(cluster);
        expect(i.create).to.include(
            "k3d cluster create hybrid-edge --servers 1 --agents 1 --image rancher/k3s:v1.35.2-k3s1 --api-port 0.0.0.0:6550 --k3s-arg --tls-san=100.101.102.103@server:0 --k3s-arg --disable=traefik@server:0",
        );
        expect(i.delete).to.equal("k3d cluster delete hybrid-edge");
        expect(cluster.options.deleteBeforeReplace).to.equal(true);
        expect(JSON.parse(i.triggers[0])).to.include({ k3sImage: "rancher/k3s:v1.35.2-k3s1", agents: 1 });
        expect(run.outputs.edgeKubeconfig.secret).to.equal(true);
        expect(kubeconfigServer(run.outputs.edgeKubeconfig.value as string)).to.equal("https://100.101.102.103:6550");
    });

    it("creates the edge over SSH with edgeSshPrivateKey when the host is remote", async () => {
        const r = await runHybrid({
            "hybrid.edge.host": { address: "edge.tailnet.ts.net", sshUser: "ops" },
            edgeSshPrivateKey: { secure: "x" },
        });
        expect(inside(r, "aiops:cluster:K3dCluster::hybrid-edge").filter((x) => x.type === "command:local:Command")).to.have.length(0);
        const cluster = one(r, "command:remote:Command", "hybrid-edge-cluster");
        expect(inputs(cluster).connection).to.include({
            host: "edge.tailnet.ts.net",
            user: "ops",
            port: 22,
            privateKey: "mock-secret-for-edgeSshPrivateKey",
        });
    });

    it("registers the edge with Argo CD: a service account with Argo CD's in-cluster rules on the edge and a secret cluster Secret on the control cluster", () => {
        const edgeProvider = "pulumi:providers:kubernetes::hybrid-edge-k8s";
        const sa = one(run, "kubernetes:core/v1:ServiceAccount", "hybrid-edge-argocd-manager");
        expect(sa.provider).to.equal(edgeProvider);
        const token = one(run, "kubernetes:core/v1:Secret", "hybrid-edge-argocd-manager-token");
        expect(token.provider).to.equal(edgeProvider);
        expect(inputs(token)).to.deep.include({
            type: "kubernetes.io/service-account-token",
            metadata: {
                name: "argocd-manager-token",
                namespace: "kube-system",
                annotations: { "kubernetes.io/service-account.name": "argocd-manager" },
            },
        });
        const role = inputs(one(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "hybrid-edge-argocd-manager"));
        // What argo-helm argo-cd 10.1.1 grants the application controller in-cluster (see cluster-secret.ts).
        expect(role.rules).to.deep.equal([
            { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
            { nonResourceURLs: ["*"], verbs: ["*"] },
        ]);

        const cluster = one(run, "kubernetes:core/v1:Secret", "hybrid-edge-argocd-cluster");
        expect(cluster.provider).to.equal("pulumi:providers:kubernetes::hybrid-control-k8s");
        expect(cluster.parent).to.equal("aiops:cluster:ArgoClusterRegistration::hybrid-edge-argocd");
        expect(containsSecret(cluster.inputs.stringData)).to.equal(true);
        const i = inputs(cluster);
        expect(i.metadata).to.deep.equal({
            name: "cluster-hybrid-edge",
            namespace: "argocd",
            labels: { "argocd.argoproj.io/secret-type": "cluster", "aiops.dev/cluster": "hybrid-edge" },
        });
        expect(i.stringData.name).to.equal("hybrid-edge");
        expect(i.stringData.server).to.equal("https://100.101.102.103:6550");
        const config = JSON.parse(i.stringData.config);
        expect(config.bearerToken).to.equal("mock-sa-token-hybrid-edge-argocd-manager-token");
        expect(config.tlsClientConfig.insecure).to.equal(false);
        expect(Buffer.from(config.tlsClientConfig.caData, "base64").toString()).to.include("BEGIN CERTIFICATE");
    });

    it("exports both kubeconfigs as secrets and the edge's Argo CD name", () => {
        expect(run.outputs.edgeArgoClusterName).to.deep.equal({ value: "hybrid-edge", secret: false });
        expect(run.outputs.controlApiServerUrl.value).to.equal("https://aiops-control:6443");
    });

    it("refuses a remote edge without its key, before declaring anything", async () => {
        const message = await failureOf("hybrid", {
            "hybrid.edge.host": { address: "edge.example", sshUser: "ops" },
            edgeSshPrivateKey: undefined,
        });
        expect(message).to.include("`edgeSshPrivateKey` is required");
    });
});
