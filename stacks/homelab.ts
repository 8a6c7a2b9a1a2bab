// homelab: k3s on an ARM64 server and x86_64 agents over SSH, then the platform. Wiring only.
import type { StackConfig } from "./config";
import { StubCluster } from "../components/cluster/stub";
import { parseCpu, parseMemory } from "../components/shared/quantity";

type HomelabStack = Extract<StackConfig, { environment: "homelab" }>;

export function deployHomelab(config: HomelabStack): Record<string, unknown> {
    const cluster = new StubCluster(config.clusterName, {
        distribution: "k3s",
        storageClass: "local-path",
        ingressClass: config.homelab.traefik ? "traefik" : undefined,
        nodePools: config.homelab.nodes.map((n) => ({ name: n.name, arch: n.arch, count: 1, labels: n.labels, taints: n.taints, allocatable: { cpu: parseCpu(n.allocatable.cpu), memory: parseMemory(n.allocatable.memory) }, controlPlane: n.role === "server" && config.homelab.taintServer })),
    });
    return { kubeconfig: cluster.kubeconfig, clusterName: config.clusterName };
}
