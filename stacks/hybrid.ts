// hybrid: a GCP VM running k3s (platform, Argo CD) + a k3d edge cluster (model serving) over Tailscale.
import type { StackConfig } from "./config";
import { StubCluster } from "../components/cluster/stub";
import { parseCpu, parseMemory } from "../components/shared/quantity";

type HybridStack = Extract<StackConfig, { environment: "hybrid" }>;

export function deployHybrid(config: HybridStack): Record<string, unknown> {
    const h = config.hybrid;
    const control = new StubCluster(`${config.clusterName}-control`, {
        distribution: "k3s",
        storageClass: "local-path",
        ingressClass: "traefik",
        nodePools: [{ name: "control", arch: "amd64", count: 1, labels: {}, taints: [], allocatable: { cpu: parseCpu(h.controlPlaneAllocatable.cpu), memory: parseMemory(h.controlPlaneAllocatable.memory) } }],
    });
    const edge = new StubCluster(`${config.clusterName}-edge`, {
        distribution: "k3d",
        storageClass: "local-path",
        nodePools: [{ name: "edge", arch: "amd64", count: 1 + h.edge.agents, labels: {}, taints: [], allocatable: { cpu: parseCpu(h.edge.allocatable.cpu), memory: parseMemory(h.edge.allocatable.memory) } }],
    });
    return { controlKubeconfig: control.kubeconfig, edgeKubeconfig: edge.kubeconfig };
}
