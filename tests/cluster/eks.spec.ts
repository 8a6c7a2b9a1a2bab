import { expect } from "chai";
import type { StackRun } from "../harness";
import { containsSecret } from "../harness";
import { failureOf, inputs, inside, ofType, one, runWith } from "./helpers";

const EKS = "eks:index:Cluster";
const MNG = "eks:index:ManagedNodeGroup";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROOT = "aiops:cluster:EksCluster::aiops";
/** The cluster layer's releases (the platform layer installs its own). */
const releasesOf = (run: StackRun) => inside(run, ROOT).filter((r) => r.type === RELEASE);

/** Inputs without the VPC ids, which the mock runtime leaves unresolved (the recorder returns an empty id). */
function withoutNetworkIds(i: Record<string, any>): Record<string, any> {
    const ids = ["vpcId", "privateSubnetIds", "publicSubnetIds", "subnetIds"];
    return Object.fromEntries(Object.entries(i).filter(([k]) => !ids.includes(k)));
}

function trust(run: StackRun, roleName: string): { sub: string; aud: string; federated: string } {
    const doc = JSON.parse(inputs(one(run, "aws:iam/role:Role", roleName)).assumeRolePolicy);
    const s = doc.Statement[0];
    const [subKey, audKey] = Object.keys(s.Condition.StringEquals);
    expect(subKey).to.match(/^oidc\.eks\.eu-west-1\.amazonaws\.com\/id\/MOCKAIOPS:sub$/);
    expect(audKey).to.match(/:aud$/);
    expect(s.Action).to.equal("sts:AssumeRoleWithWebIdentity");
    return { sub: s.Condition.StringEquals[subKey], aud: s.Condition.StringEquals[audKey], federated: s.Principal.Federated };
}

describe("eks: the aws stack's cluster", () => {
    let run: StackRun;
    before(async () => {
        run = await runWith("aws");
    });

    it("declares eks.Cluster with a private-first, encrypted, fully logged control plane", () => {
        const cluster = one(run, EKS, "aiops");
        expect(cluster.parent).to.equal("aiops:cluster:EksCluster::aiops");
        expect(withoutNetworkIds(inputs(cluster))).to.deep.equal({
            name: "aiops",
            version: "1.33",
            vpcCniOptions: { enableNetworkPolicy: true, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" },
            authenticationMode: "API",
            accessEntries: {
                "role-platform-admins": {
                    principalArn: "arn:aws:iam::123456789012:role/platform-admins",
                    accessPolicies: {
                        admin: {
                            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                            accessScope: { type: "cluster" },
                        },
                    },
                },
            },
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
            publicAccessCidrs: ["203.0.113.0/24"],
            encryptionConfigKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/aiops-secrets",
            enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            createOidcProvider: true,
            skipDefaultNodeGroup: true,
            tags: { project: "aiops-mlops-platform", owner: "platform-team", "aiops.dev/cluster": "aiops" },
        });
        // Only the default node group (skipped) reads it in @pulumi/eks 4.3: setting it would only mislead.
        expect(inputs(cluster)).to.not.have.property("nodeAssociatePublicIpAddress");
        expect(inputs(cluster).privateSubnetIds).to.have.length(3);
        expect(inputs(cluster).publicSubnetIds).to.have.length(3);
        for (const zone of ["az1", "az2", "az3"]) {
            expect(cluster.dependsOn).to.include(`aws:ec2/subnet:Subnet::aiops-vpc-private-${zone}`);
            expect(cluster.dependsOn).to.include(`aws:ec2/subnet:Subnet::aiops-vpc-public-${zone}`);
        }
        expect(inputs(one(run, "aws:kms/key:Key", "aiops-secrets"))).to.include({ enableKeyRotation: true });
    });

    it("turns the public endpoint off when publicAccessCidrs is empty", async () => {
        const priv = await runWith("aws", { "aws.publicAccessCidrs": [] });
        const i = inputs(one(priv, EKS, "aiops"));
        expect(i.endpointPublicAccess).to.equal(false);
        expect(i.endpointPrivateAccess).to.equal(true);
        expect(i).to.not.have.property("publicAccessCidrs");
    });

    it("turns on the VPC CNI network policy agent, which enforces the namespaces' NetworkPolicies on EKS", () => {
        expect(inputs(one(run, "eks:index:Cluster", "aiops")).vpcCniOptions).to.deep.include({ enableNetworkPolicy: true });
    });

    it("declares one managed node group per config group in private subnets, with sizes, AMI types and IMDSv2", () => {
        const groups: Record<string, any>[] = ofType(run, MNG).map((r) => ({ name: r.name, ...withoutNetworkIds(inputs(r)) }));
        expect(groups.map((g) => [g.name, g.amiType, g.instanceTypes, g.scalingConfig])).to.deep.equal([
            ["aiops-platform", "AL2023_x86_64_STANDARD", ["m7i.xlarge"], { minSize: 2, desiredSize: 2, maxSize: 5 }],
            ["aiops-graviton", "AL2023_ARM_64_STANDARD", ["m7g.large"], { minSize: 1, desiredSize: 1, maxSize: 4 }],
        ]);
        for (const g of groups) {
            // IMDSv2 with hop limit 1 comes from our launch template; enableIMDSv2 (hop limit 2) must stay unset,
            // and so must diskSize (EKS refuses it next to a launch template).
            expect(g).to.not.have.any.keys("enableIMDSv2", "diskSize");
            expect(g.launchTemplate).to.deep.equal({ id: `${g.name}-id`, version: "1" });
            const lt = inputs(one(run, "aws:ec2/launchTemplate:LaunchTemplate", g.name));
            expect(lt.metadataOptions).to.deep.equal({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            expect(g).to.include({
                ignoreScalingChanges: true,
                cluster: "eks:index:Cluster::aiops",
                nodeRole: "aws:iam/role:Role::aiops-node",
                capacityType: "ON_DEMAND",
            });
        }
        expect(groups[0].labels).to.deep.equal({ "aiops.dev/pool": "platform" });
        expect(inputs(one(run, "aws:ec2/launchTemplate:LaunchTemplate", "aiops-platform")).blockDeviceMappings[0].ebs.volumeSize).to.equal(
            80,
        );
        for (const r of ofType(run, MNG)) expect(r.dependsOn).to.include("aws:ec2/subnet:Subnet::aiops-vpc-private-az1");
        const attached = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((r) => r.name.startsWith("aiops-node-"))
            .map((r) => inputs(r).policyArn);
        expect(attached).to.have.members([
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        ]);
    });

    it("installs the EBS CSI driver with its own IRSA role and a default, encrypted gp3 class", () => {
        expect(trust(run, "aiops-ebs-csi").sub).to.equal("system:serviceaccount:kube-system:ebs-csi-controller-sa");
        const addon = one(run, "aws:eks/addon:Addon", "aiops-ebs-csi");
        expect(inputs(addon)).to.include({
            clusterName: "aiops",
            addonName: "aws-ebs-csi-driver",
            serviceAccountRoleArn: "arn:aws:iam::123456789012:role/aiops-ebs-csi",
        });
        expect(addon.dependsOn).to.include.members([
            "eks:index:ManagedNodeGroup::aiops-platform",
            "eks:index:ManagedNodeGroup::aiops-graviton",
        ]);
        const sc = one(run, "kubernetes:storage.k8s.io/v1:StorageClass", "aiops-gp3");
        expect(sc.provider).to.equal("pulumi:providers:kubernetes::aiops-k8s");
        expect(inputs(sc)).to.deep.include({
            metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
            volumeBindingMode: "WaitForFirstConsumer",
        });
    });

    it("installs pinned add-on charts through the cluster's provider, each IRSA role scoped to its service account", () => {
        const releases = Object.fromEntries(releasesOf(run).map((r) => [r.name, r]));
        expect(Object.keys(releases).sort()).to.deep.equal([
            "aiops-addons-cluster-autoscaler",
            "aiops-addons-lbc",
            "aiops-addons-metrics-server",
        ]);
        for (const r of Object.values(releases)) expect(r.provider).to.equal("pulumi:providers:kubernetes::aiops-k8s");
        expect(inputs(releases["aiops-addons-lbc"])).to.include({
            chart: "aws-load-balancer-controller",
            version: "3.5.0",
            namespace: "kube-system",
        });
        expect(inputs(releases["aiops-addons-metrics-server"])).to.include({ chart: "metrics-server", version: "3.13.1" });
        const ca = inputs(releases["aiops-addons-cluster-autoscaler"]);
        expect(ca).to.include({ chart: "cluster-autoscaler", version: "9.59.0" });
        expect(ca.values.image).to.deep.equal({ tag: "v1.33.6" });
        expect(ca.values.rbac.serviceAccount.annotations).to.deep.equal({
            "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/aiops-addons-cluster-autoscaler",
        });
        expect(trust(run, "aiops-addons-lbc").sub).to.equal("system:serviceaccount:kube-system:aws-load-balancer-controller");
        const caTrust = trust(run, "aiops-addons-cluster-autoscaler");
        expect(caTrust).to.deep.equal({
            sub: "system:serviceaccount:kube-system:cluster-autoscaler",
            aud: "sts.amazonaws.com",
            federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/MOCKAIOPS",
        });
        const caPolicy = JSON.parse(inputs(one(run, "aws:iam/policy:Policy", "aiops-addons-cluster-autoscaler")).policy);
        expect(JSON.stringify(caPolicy)).to.include("aws:ResourceTag/k8s.io/cluster-autoscaler/aiops");
        expect(
            releasesOf(run).some((r) => inputs(r).chart.includes("cert-manager")),
            "cert-manager belongs to the platform layer",
        ).to.equal(false);
    });

    it("builds its own Kubernetes provider from the kubeconfig and exports the kubeconfig as a secret", () => {
        const provider = one(run, "pulumi:providers:kubernetes", "aiops-k8s");
        expect(provider.parent).to.equal("aiops:cluster:EksCluster::aiops");
        expect(containsSecret(provider.inputs.kubeconfig)).to.equal(true);
        expect(run.outputs.kubeconfig.secret).to.equal(true);
        expect(JSON.parse(run.outputs.kubeconfig.value as string).clusters[0].name).to.equal("aiops");
        expect(run.outputs.clusterName).to.deep.equal({ value: "aiops", secret: false });
    });

    it("parents every cluster and network resource under a component, children named after it", () => {
        const layer = [...inside(run, ROOT), ...inside(run, "aiops:network:Vpc::aiops-vpc")];
        expect(layer.length).to.be.greaterThan(50);
        for (const r of layer) {
            expect(r.parent, `${r.type}::${r.name}`).to.match(/^aiops:(cluster|network):/);
            expect(r.name, `${r.type}::${r.name}`).to.match(/^aiops(-|$)/);
        }
        const cloud = run.registrations.filter((r) => /^(eks:|aws:ec2\/|aws:eks\/|aws:kms\/)/.test(r.type));
        for (const r of cloud) expect(layer, `${r.type}::${r.name} sits outside the cluster and network components`).to.include(r);
    });

    it("with autoscaler karpenter: no cluster-autoscaler, fixed group sizes, an interruption queue, an EC2_LINUX entry for its nodes, and node class + pool after the chart", async () => {
        const k = await runWith("aws", { "aws.autoscaler": "karpenter" });
        expect(
            releasesOf(k)
                .map((r) => r.name)
                .sort(),
        ).to.deep.equal(["aiops-addons-karpenter", "aiops-addons-lbc", "aiops-addons-metrics-server"]);
        const chart = inputs(one(k, RELEASE, "aiops-addons-karpenter"));
        expect(chart).to.include({ chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.14.1" });
        expect(chart).to.not.have.property("repositoryOpts");
        expect(chart.values.settings).to.deep.equal({ clusterName: "aiops", interruptionQueue: "aiops-karpenter" });
        expect(trust(k, "aiops-addons-karpenter").sub).to.equal("system:serviceaccount:kube-system:karpenter");
        for (const g of ofType(k, MNG)) expect(inputs(g).ignoreScalingChanges).to.equal(false);
        expect(inputs(one(k, EKS, "aiops")).accessEntries["karpenter-nodes"]).to.deep.equal({
            principalArn: "arn:aws:iam::123456789012:role/aiops-karpenter-node",
            type: "EC2_LINUX",
        });
        expect(ofType(k, "aws:cloudwatch/eventRule:EventRule")).to.have.length(4);
        expect(ofType(k, "aws:cloudwatch/eventTarget:EventTarget")).to.have.length(4);
        const nodeClass = one(k, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "aiops-addons-karpenter-nodeclass");
        expect(nodeClass.dependsOn).to.include("kubernetes:helm.sh/v3:Release::aiops-addons-karpenter");
        expect(inputs(nodeClass).spec.role).to.equal("aiops-karpenter-node");
        const pool = one(k, "kubernetes:karpenter.sh/v1:NodePool", "aiops-addons-karpenter-nodepool");
        expect(pool.dependsOn).to.include("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass::aiops-addons-karpenter-nodeclass");
        expect(inputs(pool).spec.template.spec.requirements[0].values).to.deep.equal(["amd64", "arm64"]);
    });

    it("refuses unknown instance types before declaring anything, and accepts them with an allocatable override", async () => {
        const message = await failureOf("aws", { "aws.nodeGroups[0].instanceTypes": ["x2iedn.large"] });
        expect(message).to.include("`aws.nodeGroups[0].instanceTypes` has no allocatable figures for x2iedn.large");
        const ok = await runWith("aws", {
            "aws.nodeGroups[0].instanceTypes": ["x2iedn.large"],
            "aws.nodeGroups[0].allocatable": { cpu: 1.9, memory: "60Gi" },
        });
        expect(inputs(one(ok, MNG, "aiops-platform")).instanceTypes).to.deep.equal(["x2iedn.large"]);
    });
});
