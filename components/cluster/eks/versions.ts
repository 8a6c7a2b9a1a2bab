// Every chart and image the EKS layer installs, pinned in one place. Bump here and re-run the tests.
// Checked against the upstream chart sources (Aug 2026): aws/eks-charts, kubernetes-sigs/metrics-server,
// kubernetes/autoscaler, aws/karpenter-provider-aws.

export interface ChartRef {
    /** Helm repository URL, or an OCI registry path (then `chart` is appended). */
    readonly repo: string;
    readonly chart: string;
    readonly version: string;
}

export const EKS_CHARTS = {
    awsLoadBalancerController: { repo: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0" },
    metricsServer: { repo: "https://kubernetes-sigs.github.io/metrics-server/", chart: "metrics-server", version: "3.13.1" },
    clusterAutoscaler: { repo: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0" },
    karpenter: { repo: "oci://public.ecr.aws/karpenter", chart: "karpenter", version: "1.14.1" },
} as const satisfies Record<string, ChartRef>;

/**
 * cluster-autoscaler must match the cluster's Kubernetes minor version
 * (https://github.com/kubernetes/autoscaler/tree/master/cluster-autoscaler#releases), so the image
 * tag is chosen per EKS version instead of the chart's default.
 */
export const CLUSTER_AUTOSCALER_IMAGE: Readonly<Record<string, string>> = {
    "1.30": "v1.30.7",
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
};

export function clusterAutoscalerImageTag(kubernetesVersion: string): string {
    const tag = CLUSTER_AUTOSCALER_IMAGE[kubernetesVersion];
    if (!tag) {
        throw new Error(
            `no cluster-autoscaler release pinned for Kubernetes ${kubernetesVersion} (pinned: ${Object.keys(CLUSTER_AUTOSCALER_IMAGE).join(", ")}); add it to CLUSTER_AUTOSCALER_IMAGE or pick a pinned version`,
        );
    }
    return tag;
}

/** The five EKS control-plane log types. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
