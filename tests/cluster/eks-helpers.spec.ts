import { expect } from "chai";
import { allocatableFor, groupAllocatable, reservedCpuMillis, unknownInstanceTypes } from "../../components/cluster/eks/allocatable";
import {
    clusterAutoscalerValues,
    ec2NodeClassSpec,
    loadBalancerControllerValues,
    nodePoolSpec,
} from "../../components/cluster/eks/addon-values";
import { accessEntries, accessEntryKey } from "../../components/cluster/eks/eks-cluster";
import {
    clusterAutoscalerPolicy,
    irsaTrustPolicy,
    karpenterControllerPolicy,
    loadBalancerControllerPolicy,
} from "../../components/cluster/eks/iam-policies";
import {
    amiTypeFor,
    eksNodePool,
    eksTaint,
    managedNodeGroupSettings,
    nodeLaunchTemplateSettings,
} from "../../components/cluster/eks/node-groups";
import { clusterAutoscalerImageTag, EKS_CHARTS } from "../../components/cluster/eks/versions";
import type { AwsNodeGroupConfig } from "../../stacks/config/schema";

const GiB = 2 ** 30;
const group = (over: Partial<AwsNodeGroupConfig> = {}): AwsNodeGroupConfig => ({
    name: "serving",
    instanceTypes: ["m7g.large"],
    arch: "arm64",
    capacityType: "ON_DEMAND",
    minSize: 1,
    desiredSize: 2,
    maxSize: 4,
    diskSizeGiB: 50,
    labels: { "aiops.dev/pool": "serving" },
    taints: [],
    ...over,
});

describe("eks: allocatable table", () => {
    it("reserves CPU by the EKS AMI's core steps", () => {
        expect(reservedCpuMillis(1)).to.equal(60);
        expect(reservedCpuMillis(2)).to.equal(70);
        expect(reservedCpuMillis(4)).to.equal(80);
        expect(reservedCpuMillis(8)).to.equal(90);
    });

    it("gives allocatable after VM overhead, kube-reserved (per max pods) and eviction", () => {
        // m7i.xlarge: 4 vCPU, 16 GiB, 58 pods -> 16384*0.925 = 15155 MiB - (255 + 638) - 100 = 14162 MiB
        expect(allocatableFor("m7i.xlarge")).to.deep.equal({ cpu: 3.92, memory: 14162 * 2 ** 20 });
        const large = allocatableFor("m7g.large");
        expect(large.cpu).to.equal(1.93);
        expect(large.memory / GiB).to.be.within(6.7, 6.8);
        expect(allocatableFor("t3.medium").memory / GiB).to.be.within(3.1, 3.3);
    });

    it("fails clearly for an unknown type, naming the override", () => {
        expect(() => allocatableFor("x2gd.metal")).to.throw(
            "no allocatable figures for instance type 'x2gd.metal'; set `allocatable: {cpu, memory}` on the node group",
        );
        expect(unknownInstanceTypes(["m7i.large", "x2gd.metal", "p5.48xlarge"])).to.deep.equal(["x2gd.metal", "p5.48xlarge"]);
    });

    it("counts a mixed group at its smallest type", () => {
        expect(groupAllocatable(["m7i.xlarge", "m7i.large"])).to.deep.equal(allocatableFor("m7i.large"));
        expect(() => groupAllocatable([])).to.throw("at least one instance type");
    });
});

describe("eks: node groups", () => {
    it("maps arch to the AL2023 AMI type", () => {
        expect(amiTypeFor("arm64")).to.equal("AL2023_ARM_64_STANDARD");
        expect(amiTypeFor("amd64")).to.equal("AL2023_x86_64_STANDARD");
    });

    it("spells taints the EKS way", () => {
        expect(eksTaint({ key: "gpu", value: "true", effect: "NoSchedule" })).to.deep.equal({
            key: "gpu",
            value: "true",
            effect: "NO_SCHEDULE",
        });
        expect(eksTaint({ key: "spot", effect: "PreferNoSchedule" })).to.deep.equal({ key: "spot", effect: "PREFER_NO_SCHEDULE" });
    });

    it("builds managed node group settings with autoscaler-owned desired size (no enableIMDSv2, no diskSize: the launch template has them)", () => {
        const s = managedNodeGroupSettings("aiops", group({ taints: [{ key: "dedicated", value: "serving", effect: "NoExecute" }] }), true);
        expect(s).to.deep.equal({
            nodeGroupName: "aiops-serving",
            instanceTypes: ["m7g.large"],
            amiType: "AL2023_ARM_64_STANDARD",
            capacityType: "ON_DEMAND",
            scalingConfig: { minSize: 1, desiredSize: 2, maxSize: 4 },
            labels: { "aiops.dev/pool": "serving" },
            taints: [{ key: "dedicated", value: "serving", effect: "NO_EXECUTE" }],
            ignoreScalingChanges: true,
        });
        expect(managedNodeGroupSettings("aiops", group(), false).ignoreScalingChanges).to.equal(false);
    });

    it("gives every node group a launch template with IMDSv2 required, hop limit 1 and an encrypted gp3 root volume", () => {
        expect(nodeLaunchTemplateSettings("aiops", group(), { team: "ml" })).to.deep.equal({
            namePrefix: "aiops-serving-",
            // @pulumi/eks 4.3's enableIMDSv2 would set hop limit 2, which lets pods read the node role's credentials.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [
                { deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
            ],
            tagSpecifications: [
                { resourceType: "instance", tags: { team: "ml" } },
                { resourceType: "volume", tags: { team: "ml" } },
            ],
        });
    });

    it("exposes the pool to the contract, preferring the config's allocatable", () => {
        const pool = eksNodePool("aiops", group({ allocatable: { cpu: "1500m", memory: "6Gi" } }));
        expect(pool).to.deep.equal({
            name: "serving",
            arch: "arm64",
            count: 2,
            labels: { "aiops.dev/pool": "serving", "eks.amazonaws.com/nodegroup": "aiops-serving" },
            taints: [],
            allocatable: { cpu: 1.5, memory: 6 * GiB },
        });
        expect(eksNodePool("aiops", group()).allocatable).to.deep.equal(allocatableFor("m7g.large"));
        expect(() => eksNodePool("aiops", group({ instanceTypes: ["z1d.large"] }))).to.throw("z1d.large");
    });
});

describe("eks: IAM policy documents", () => {
    it("scopes an IRSA trust policy to one service account and the STS audience", () => {
        const doc = irsaTrustPolicy({
            oidcProviderArn: "arn:aws:iam::1:oidc-provider/oidc.eks.x/id/A",
            oidcIssuer: "https://oidc.eks.x/id/A",
            namespace: "kube-system",
            serviceAccount: "ebs-csi-controller-sa",
        });
        expect(doc.Statement).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.eks.x/id/A" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        "oidc.eks.x/id/A:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
                        "oidc.eks.x/id/A:aud": "sts.amazonaws.com",
                    },
                },
            },
        ]);
    });

    it("lets cluster-autoscaler change only groups tagged as owned by its cluster", () => {
        const doc = clusterAutoscalerPolicy("aiops");
        const write = doc.Statement.find((s) => s.Sid === "ScaleOwnGroupsOnly")!;
        expect(write.Action).to.deep.equal(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
        expect(write.Condition).to.deep.equal({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/aiops": "owned" } });
        const unconditioned = doc.Statement.filter((s) => !s.Condition).flatMap((s) => [s.Action].flat());
        expect(
            unconditioned.every((a) => /:(Describe|Get)/.test(a)),
            unconditioned.join(", "),
        ).to.equal(true);
    });

    it("limits the load balancer controller's deletes and modifications to what it tagged", () => {
        const doc = loadBalancerControllerPolicy();
        const destructive = doc.Statement.filter((s) =>
            [s.Action].flat().some((a) => /Delete(LoadBalancer|TargetGroup|SecurityGroup)$/.test(a)),
        );
        expect(destructive.map((s) => s.Sid)).to.deep.equal(["ChangeOwnSecurityGroups", "ChangeOwnLoadBalancers"]);
        for (const s of destructive) expect(s.Condition).to.deep.equal({ Null: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } });
        expect(doc.Statement.every((s) => s.Effect === "Allow" && [s.Action].flat().every((a) => !a.endsWith(":*")))).to.equal(true);
    });

    it("lets Karpenter launch and terminate only cluster-owned instances and pass only its node role", () => {
        const doc = karpenterControllerPolicy({
            clusterName: "aiops",
            region: "eu-west-1",
            accountId: "123456789012",
            nodeRoleArn: "arn:aws:iam::123456789012:role/node",
            interruptionQueueArn: "arn:aws:sqs:eu-west-1:123456789012:aiops-karpenter",
        });
        const by = (sid: string) => doc.Statement.find((s) => s.Sid === sid)!;
        expect(by("DeleteOwned").Condition).to.deep.equal({ StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/aiops": "owned" } });
        expect(by("LaunchOwned").Condition!.StringEquals).to.deep.equal({ "aws:RequestTag/kubernetes.io/cluster/aiops": "owned" });
        expect(by("PassNodeRole").Resource).to.equal("arn:aws:iam::123456789012:role/node");
        expect(by("InterruptionQueue").Resource).to.equal("arn:aws:sqs:eu-west-1:123456789012:aiops-karpenter");
        expect(by("DescribeCluster").Resource).to.equal("arn:aws:eks:eu-west-1:123456789012:cluster/aiops");
    });
});

describe("eks: versions, access entries and add-on values", () => {
    it("pins every chart to an exact version", () => {
        for (const [key, chart] of Object.entries(EKS_CHARTS)) expect(chart.version, key).to.match(/^\d+\.\d+\.\d+$/);
    });

    it("matches cluster-autoscaler to the Kubernetes minor version and refuses an unpinned one", () => {
        expect(clusterAutoscalerImageTag("1.33")).to.equal("v1.33.6");
        expect(() => clusterAutoscalerImageTag("1.29")).to.throw("no cluster-autoscaler release pinned for Kubernetes 1.29");
    });

    it("turns config access levels into EKS access policies with stable keys", () => {
        expect(accessEntryKey("arn:aws:iam::123456789012:role/platform/admins")).to.equal("role-platform-admins");
        expect(accessEntries([{ principalArn: "arn:aws:iam::123456789012:user/alice", access: "view" }])).to.deep.equal({
            "user-alice": {
                principalArn: "arn:aws:iam::123456789012:user/alice",
                accessPolicies: {
                    view: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", accessScope: { type: "cluster" } },
                },
            },
        });
    });

    it("annotates each add-on's service account with its IRSA role", () => {
        expect(
            loadBalancerControllerValues({ clusterName: "c", region: "r", vpcId: "vpc-1", roleArn: "arn:role/lbc" }).serviceAccount,
        ).to.deep.equal({
            create: true,
            name: "aws-load-balancer-controller",
            annotations: { "eks.amazonaws.com/role-arn": "arn:role/lbc" },
        });
        const ca = clusterAutoscalerValues({ clusterName: "c", region: "r", imageTag: "v1.33.6", roleArn: "arn:role/ca" });
        expect(ca.rbac.serviceAccount.annotations).to.deep.equal({ "eks.amazonaws.com/role-arn": "arn:role/ca" });
        expect(ca.autoDiscovery).to.deep.equal({ clusterName: "c" });
    });

    it("gives Karpenter nodes IMDSv2, encrypted disks and the config's architectures", () => {
        const nc = ec2NodeClassSpec({ clusterName: "aiops", nodeRoleName: "node", securityGroupId: "sg-1", diskSizeGiB: 80 });
        expect(nc.metadataOptions).to.deep.equal({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(nc.blockDeviceMappings[0].ebs).to.deep.equal({ volumeSize: "80Gi", volumeType: "gp3", encrypted: true });
        const pool = nodePoolSpec({
            nodeClassName: "default",
            arches: ["arm64", "amd64", "amd64"],
            capacityTypes: ["ON_DEMAND", "SPOT"],
            cpuLimit: 40,
        });
        expect(pool.template.spec.requirements.slice(0, 2)).to.deep.equal([
            { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "spot"] },
        ]);
        expect(pool.limits).to.deep.equal({ cpu: "40" });
    });
});
