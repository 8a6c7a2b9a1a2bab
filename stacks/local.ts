// local: a k3d cluster (one server, one agent) on this machine's Docker, then the whole platform with
// Helm delivery and the lean profile. `pulumi destroy` deletes the k3d cluster and nothing else. Wiring only.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "./config";
import { localAllocatable } from "./config/local-checks";
import { K3dCluster } from "../components/cluster";
import type { ClusterContract } from "../components/cluster/contract";
import { K3dImageImport, LocalImage } from "../components/cluster/k3d/image-import";
import { LocalUiRoutes, UiRoute } from "../components/platform/local-ui-routes";
import { WORKLOAD_IMAGE_TAG } from "../components/workloads/images";
import { deployPlatform } from "./platform";

type LocalStack = Extract<StackConfig, { environment: "local" }>;

/** What the always-on platform must fit in (tests/cluster/local.spec.ts holds it to this). */
export const LOCAL_PLATFORM_BUDGET = { cpu: 3, memoryGiB: 6 } as const;
/** k3s's own server and agent processes, on top of the pods. */
const K3S_OVERHEAD_GIB = 1;
/** Kubeflow Pipelines' lean footprint, rounded up, when local.kubeflowPipelines is on. */
const KFP_BUDGET_GIB = 2;
/** Where images built from this checkout are tagged; nothing is pushed there (k3d imports them). */
export const LOCAL_IMAGE_REPOSITORY = "k3d.local/aiops";
/** Traefik's web entrypoint in k3s, which k3d's load balancer forwards local.httpPort to. */
const TRAEFIK_WEB_PORT = 80;

const REPO_ROOT = path.resolve(__dirname, "..");

/** Memory and CPUs the preflight asks Docker for. Pure. */
export function localPreflightNeeds(local: LocalStack["local"]): { memoryBytes: number; cpus: number } {
    const gib = LOCAL_PLATFORM_BUDGET.memoryGiB + K3S_OVERHEAD_GIB + (local.kubeflowPipelines ? KFP_BUDGET_GIB : 0);
    return { memoryBytes: gib * 2 ** 30, cpus: LOCAL_PLATFORM_BUDGET.cpu };
}

/** The preflight's environment (the script itself is components/cluster/k3d/preflight.sh). Pure. */
export function localPreflightEnvironment(local: LocalStack["local"], clusterName: string): Record<string, string> {
    const needs = localPreflightNeeds(local);
    return {
        K3D_MIN_VERSION: local.k3dMinVersion,
        PULUMI_MIN_VERSION: local.pulumiMinVersion,
        NEED_MEMORY_BYTES: String(needs.memoryBytes),
        NEED_CPUS: String(needs.cpus),
        // `pulumi up` is already running: npm run local checks the CLI before it starts.
        CHECK_PULUMI: "0",
        CLUSTER_NAME: clusterName,
        PORTS: `${local.apiPort}:local.apiPort ${local.httpPort}:local.httpPort`,
    };
}

export function deployLocal(stack: LocalStack): Record<string, unknown> {
    const local = stack.local;
    // Built images are tagged under a repository nothing pulls from, and imported into k3d.
    const config: LocalStack = local.buildImages
        ? { ...stack, platform: { ...stack.platform, imageRepository: LOCAL_IMAGE_REPOSITORY } }
        : stack;
    const left = localAllocatable(local);
    const cluster = new K3dCluster(config.clusterName, {
        clusterName: config.clusterName,
        host: "local",
        k3dVersion: local.k3dMinVersion,
        k3dVersionMatch: "minimum",
        k3sImage: local.k3sImage,
        apiBindAddress: "127.0.0.1",
        apiPort: local.apiPort,
        agents: local.agents,
        traefik: true,
        loadBalancerPorts: [{ host: local.httpPort, node: TRAEFIK_WEB_PORT }],
        arch: process.arch === "arm64" ? "arm64" : "amd64",
        allocatable: { cpu: left.cpu, memory: String(left.memory) },
        poolName: "local",
        preflight: {
            script: fs.readFileSync(path.join(REPO_ROOT, "components/cluster/k3d/preflight.sh"), "utf8"),
            environment: localPreflightEnvironment(local, config.clusterName),
        },
    });

    // With buildImages every platform object waits for the imports, so the detector never pulls.
    const images = local.buildImages
        ? new K3dImageImport(`${config.clusterName}-images`, {
              clusterName: config.clusterName,
              context: REPO_ROOT,
              images: (["detector", "mcp-tool"] as const).map((name): LocalImage => ({
                  image: `${LOCAL_IMAGE_REPOSITORY}/${name}:${WORKLOAD_IMAGE_TAG}`,
                  dockerfile: `workloads/${name}/Dockerfile`,
                  sources: [`workloads/${name}/src`, "workloads/contract/src", "package-lock.json"],
              })),
              dependsOn: cluster.readyResources,
          })
        : undefined;
    const target: ClusterContract = images
        ? {
              clusterName: cluster.clusterName,
              distribution: cluster.distribution,
              kubeconfig: cluster.kubeconfig,
              provider: cluster.provider,
              nodePools: cluster.nodePools,
              storageClass: cluster.storageClass,
              ingressClass: cluster.ingressClass,
              readyResources: [...cluster.readyResources, images],
          }
        : cluster;

    const platform = deployPlatform({
        config,
        site: {
            cluster: target,
            objectStore: { namePrefix: config.clusterName },
            kubeflowPipelines: local.kubeflowPipelines,
            // The MLflow chart makes its own Ingress, on the same host scheme as the other UIs.
            mlflowIngress: { className: "traefik", host: "mlflow.localhost" },
            // local deploys without a key: the agent answers once `llmApiKey` is set (README, "Ask the agent").
            llmApiKeyOptional: true,
        },
    });
    const routes: UiRoute[] = [
        {
            name: "grafana",
            namespace: platform.monitoring.namespace,
            service: platform.monitoring.grafanaService,
            port: 80,
            dependsOn: [platform.monitoring.release.resource],
        },
        {
            name: "kagent",
            namespace: platform.kagent.namespace,
            service: platform.kagent.uiService,
            port: 8080,
            dependsOn: [platform.kagent.release.resource],
        },
        ...(platform.data.kubeflowPipelines
            ? [
                  {
                      name: "kfp",
                      namespace: "kubeflow",
                      service: "ml-pipeline-ui",
                      port: 80,
                      dependsOn: [platform.data.kubeflowPipelines.release.resource],
                  },
              ]
            : []),
    ];
    const ui = new LocalUiRoutes(`${config.clusterName}-ui`, { routes, httpPort: local.httpPort }, { provider: cluster.provider });

    return {
        ...platform.outputs,
        clusterName: cluster.clusterName,
        kubeconfig: cluster.kubeconfig,
        apiServerUrl: cluster.apiServerUrl,
        kubectlContext: `k3d-${cluster.clusterName}`,
        grafanaUrl: ui.urls.grafana,
        kagentUrl: ui.urls.kagent,
        // The MLflow chart makes its own Ingress (stacks/data-platform.ts), on the same host scheme.
        mlflowUrl: `http://mlflow.localhost:${local.httpPort}`,
        ...(ui.urls.kfp ? { kfpUrl: ui.urls.kfp } : {}),
        // Argo CD's server redirects plain HTTP to HTTPS: a port-forward is the robust way in.
        ...(platform.argocd
            ? { argocdUrl: "https://localhost:8443 (after: kubectl -n argocd port-forward svc/argocd-server 8443:443)" }
            : {}),
        llmApiKeySet: config.secrets.llmApiKey !== undefined,
        ...(images ? { builtImages: images.images } : {}),
    };
}
