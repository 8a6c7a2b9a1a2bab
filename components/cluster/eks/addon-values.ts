// Helm values and custom resources of the EKS add-ons, as pure functions of their inputs.
import type { Arch } from "../../shared/node";

/** Service accounts the add-ons run as; their IRSA trust policies name exactly these. */
export const ADDON_SERVICE_ACCOUNTS = {
    ebsCsi: { namespace: "kube-system", name: "ebs-csi-controller-sa" },
    loadBalancerController: { namespace: "kube-system", name: "aws-load-balancer-controller" },
    clusterAutoscaler: { namespace: "kube-system", name: "cluster-autoscaler" },
    karpenter: { namespace: "kube-system", name: "karpenter" },
} as const;

const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

export function loadBalancerControllerValues<T>(a: { clusterName: string; region: string; vpcId: T; roleArn: T }) {
    const sa = ADDON_SERVICE_ACCOUNTS.loadBalancerController;
    return {
        clusterName: a.clusterName,
        region: a.region,
        vpcId: a.vpcId,
        replicaCount: 2,
        serviceAccount: { create: true, name: sa.name, annotations: { [IRSA_ANNOTATION]: a.roleArn } },
        ingressClass: "alb",
        createIngressClassResource: true,
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    };
}

export function metricsServerValues() {
    return {
        replicas: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    };
}

export function clusterAutoscalerValues<T>(a: { clusterName: string; region: string; imageTag: string; roleArn: T }) {
    const sa = ADDON_SERVICE_ACCOUNTS.clusterAutoscaler;
    return {
        cloudProvider: "aws",
        awsRegion: a.region,
        autoDiscovery: { clusterName: a.clusterName },
        image: { tag: a.imageTag },
        rbac: { serviceAccount: { create: true, name: sa.name, annotations: { [IRSA_ANNOTATION]: a.roleArn } } },
        extraArgs: { "balance-similar-node-groups": true, "skip-nodes-with-system-pods": false, expander: "least-waste" },
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    };
}

export function karpenterValues<T>(a: { clusterName: string; interruptionQueue: T; roleArn: T }) {
    const sa = ADDON_SERVICE_ACCOUNTS.karpenter;
    return {
        settings: { clusterName: a.clusterName, interruptionQueue: a.interruptionQueue },
        serviceAccount: { create: true, name: sa.name, annotations: { [IRSA_ANNOTATION]: a.roleArn } },
        replicas: 2,
        // Karpenter must not run on nodes it manages: keep it on the managed node groups.
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: "karpenter.sh/nodepool", operator: "DoesNotExist" }] }],
                },
            },
        },
        controller: { resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } } },
    };
}

/** EC2NodeClass for Karpenter's nodes: AL2023, IMDSv2 with hop limit 1, encrypted gp3 root volume. */
export function ec2NodeClassSpec<T>(a: { clusterName: string; nodeRoleName: T; securityGroupId: T; diskSizeGiB: number }) {
    return {
        role: a.nodeRoleName,
        // Karpenter resolves the alias to the newest AL2023 AMI for the cluster's version; pin `al2023@vYYYYMMDD` to freeze it.
        amiSelectorTerms: [{ alias: "al2023@latest" }],
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": a.clusterName } }],
        securityGroupSelectorTerms: [{ id: a.securityGroupId }],
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: `${a.diskSizeGiB}Gi`, volumeType: "gp3", encrypted: true } }],
        tags: { [`kubernetes.io/cluster/${a.clusterName}`]: "owned" },
    };
}

/** One NodePool for the architectures and capacity types the config's groups use. */
export function nodePoolSpec(a: { nodeClassName: string; arches: readonly Arch[]; capacityTypes: readonly string[]; cpuLimit: number }) {
    return {
        template: {
            spec: {
                nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: a.nodeClassName },
                requirements: [
                    { key: "kubernetes.io/arch", operator: "In", values: [...new Set(a.arches)].sort() },
                    {
                        key: "karpenter.sh/capacity-type",
                        operator: "In",
                        values: [...new Set(a.capacityTypes.map((c) => (c === "SPOT" ? "spot" : "on-demand")))].sort(),
                    },
                    { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
                    { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["5"] },
                ],
                expireAfter: "720h",
            },
        },
        limits: { cpu: String(a.cpuLimit) },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
    };
}
