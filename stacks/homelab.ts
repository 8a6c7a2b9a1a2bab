// homelab: k3s on an ARM64 server and x86_64 agents over SSH, then the platform. Wiring only.
import type { StackConfig } from "./config";
import { K3sCluster } from "../components/cluster";
import { STATEFUL_LABEL } from "../components/cluster/k3s/scripts";
import { deployPlatform } from "./platform";

type HomelabStack = Extract<StackConfig, { environment: "homelab" }>;

export function deployHomelab(config: HomelabStack): Record<string, unknown> {
    const lab = config.homelab;
    const sshPrivateKey = config.secrets.sshPrivateKey;
    if (sshPrivateKey === undefined)
        throw new Error("homelab needs the secret sshPrivateKey: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519");
    const cluster = new K3sCluster(config.clusterName, {
        clusterName: config.clusterName,
        k3sVersion: lab.k3sVersion,
        nodes: lab.nodes,
        apiAddress: lab.apiAddress,
        traefik: lab.traefik,
        taintServer: lab.taintServer,
        statefulNode: lab.statefulNode,
        sshPrivateKey,
    });
    const platform = deployPlatform({
        config,
        site: {
            cluster,
            // Stateful services are pinned to the `statefulNode`, which the k3s component labels.
            statefulNodeSelector: lab.statefulNode ? { [STATEFUL_LABEL]: "true" } : undefined,
            objectStore: { namePrefix: config.clusterName },
        },
    });
    return {
        ...platform.outputs,
        clusterName: cluster.clusterName,
        kubeconfig: cluster.kubeconfig,
        apiServerUrl: cluster.apiServerUrl,
    };
}
