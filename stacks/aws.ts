// aws: VPC + EKS with its add-ons, then the platform. Wiring only.
import type { StackConfig } from "./config";
import { StubCluster } from "../components/cluster/stub";
import { parseCpu, parseMemory } from "../components/shared/quantity";

type AwsStack = Extract<StackConfig, { environment: "aws" }>;

export function deployAws(config: AwsStack): Record<string, unknown> {
    const cluster = new StubCluster(config.clusterName, {
        distribution: "eks",
        storageClass: "gp3",
        ingressClass: "alb",
        nodePools: config.aws.nodeGroups.map((g) => ({ name: g.name, arch: g.arch, count: g.desiredSize, labels: g.labels, taints: g.taints, allocatable: { cpu: parseCpu(2), memory: parseMemory("8Gi") } })),
    });
    return { kubeconfig: cluster.kubeconfig, clusterName: config.clusterName };
}
