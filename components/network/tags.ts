// Tags that let Kubernetes controllers find the right subnets without being told their ids.

export type SubnetTier = "public" | "private";

/**
 * Tags for a subnet of an EKS cluster's VPC:
 * - `kubernetes.io/role/elb` / `kubernetes.io/role/internal-elb`: where the AWS Load Balancer Controller
 *   places internet-facing and internal load balancers (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/subnet_discovery/).
 * - `kubernetes.io/cluster/<name>: shared`: the subnet may be used by that cluster (and others).
 * - `karpenter.sh/discovery: <name>`: private subnets only, where Karpenter launches nodes.
 */
export function subnetTags(tier: SubnetTier, clusterName: string): Record<string, string> {
    const common = { [`kubernetes.io/cluster/${clusterName}`]: "shared", "aiops.dev/tier": tier };
    return tier === "public"
        ? { ...common, "kubernetes.io/role/elb": "1" }
        : { ...common, "kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": clusterName };
}

/** Name tag plus the caller's tags (the caller's win, except Name). */
export function named(name: string, tags: Readonly<Record<string, string>>): Record<string, string> {
    return { ...tags, Name: name };
}
