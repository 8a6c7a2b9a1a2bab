// hybrid: a GCP VM running k3s (platform services, Argo CD) + a k3d edge cluster (model serving),
// joined over Tailscale. Argo CD on the control cluster manages both. Wiring only.
import type { StackConfig } from "./config";
import { GcpNetwork } from "../components/network";
import { ArgoClusterRegistration, GcpK3sCluster, K3dCluster } from "../components/cluster";
import { DETECTOR_TAILNET_NODE_PORT } from "../components/workloads";
import { deployPlatform } from "./platform";

type HybridStack = Extract<StackConfig, { environment: "hybrid" }>;

export function deployHybrid(config: HybridStack): Record<string, unknown> {
    const h = config.hybrid;
    const { tailscaleAuthKey, sshPrivateKey, edgeSshPrivateKey } = config.secrets;
    if (tailscaleAuthKey === undefined || sshPrivateKey === undefined)
        throw new Error("hybrid needs the secrets tailscaleAuthKey and sshPrivateKey (pulumi config set --secret ...)");

    const network = new GcpNetwork(`${config.clusterName}-net`, {
        project: h.gcp.project,
        region: h.gcp.region,
        subnetCidr: h.gcp.subnetCidr,
        sshSourceRanges: h.gcp.sshSourceRanges,
        apiSourceRanges: h.gcp.apiSourceRanges,
    });
    // Platform services (Argo CD, MLflow, monitoring) run here.
    const control = new GcpK3sCluster(`${config.clusterName}-control`, {
        clusterName: `${config.clusterName}-control`,
        project: h.gcp.project,
        zone: h.gcp.zone,
        machineType: h.gcp.machineType,
        diskSizeGb: h.gcp.diskSizeGb,
        subnetId: network.subnetId,
        networkTag: network.targetTag,
        k3sVersion: h.k3sVersion,
        tailnetHostname: h.tailnetHostname,
        tailscaleAuthKey,
        sshUser: h.gcp.sshUser,
        sshPrivateKey,
        allocatable: h.controlPlaneAllocatable,
        dependsOn: [network.nat],
    });
    // Model serving runs here.
    const edge = new K3dCluster(`${config.clusterName}-edge`, {
        clusterName: `${config.clusterName}-edge`,
        host: h.edge.host,
        sshPrivateKey: edgeSshPrivateKey,
        k3dVersion: h.edge.k3dVersion,
        k3sImage: h.edge.k3sImage,
        tailscaleAddress: h.edge.tailscaleAddress,
        apiPort: h.edge.apiPort,
        agents: h.edge.agents,
        // The MCP tool on the control cluster calls the detector here, over the tailnet.
        tailnetNodePorts: [DETECTOR_TAILNET_NODE_PORT],
        arch: h.edge.arch,
        allocatable: h.edge.allocatable,
    });

    // With GitOps delivery, Argo CD on the control cluster also manages the edge: register it once
    // Argo CD (and so its namespace) exists. With Helm delivery Pulumi reaches both clusters itself.
    const platform = deployPlatform({
        config,
        site: {
            cluster: control,
            servingCluster: edge,
            // The MCP tool (control cluster) reaches the edge's predictor over Tailscale.
            servingTailnet: { address: h.edge.tailscaleAddress, nodePort: DETECTOR_TAILNET_NODE_PORT },
            // The edge's Prometheus agent remote-writes to the control VM's gate over Tailscale.
            platformTailnetHost: h.tailnetHostname,
            objectStore: { namePrefix: config.clusterName, gcs: { project: h.gcp.project, location: h.gcp.region } },
        },
    });
    const edgeRegistration = platform.argocd
        ? new ArgoClusterRegistration(`${config.clusterName}-edge-argocd`, {
              cluster: edge,
              server: edge.apiServerUrl,
              argocdProvider: control.provider,
              argocdNamespace: "argocd",
              dependsOn: [platform.argocd.release.resource],
          })
        : undefined;

    return {
        ...platform.outputs,
        controlKubeconfig: control.kubeconfig,
        edgeKubeconfig: edge.kubeconfig,
        controlApiServerUrl: control.apiServerUrl,
        edgeApiServerUrl: edge.apiServerUrl,
        ...(edgeRegistration ? { edgeArgoClusterName: edgeRegistration.argoClusterName } : {}),
    };
}
