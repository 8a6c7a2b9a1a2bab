// The data platform, wired from stacks/platform.ts: the object store, Kubeflow Pipelines, MLflow
// and the AIOps workloads (detector, MCP tool, kagent agent, alerts). Wiring only.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import type { ClusterPlacement } from "./platform";
import type { Footprint, HasFootprint } from "../components/platform/footprint";
import { schedulableNodeCount } from "../components/platform/monitoring";
import { KubeflowPipelines, kfpFootprint, selectKfpVariant } from "../components/platform/kubeflow-pipelines";
import { MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT, Mlflow, mlflowFootprint } from "../components/platform/mlflow";
import { ObjectStore, ObjectStoreArgs, createObjectStore, objectStoreFootprint } from "../components/platform/object-store";
import {
    AiopsAgent,
    AiopsAlerts,
    AiopsDashboard,
    AlertAnalyst,
    EdgeMetricsAgent,
    GATE_TAILNET_NODE_PORT,
    RemoteWriteGate,
    analystFootprint,
    edgeAgentFootprint,
    gateFootprint,
    AnomalyDetector,
    DETECTOR_NAME,
    DETECTOR_TAILNET_NODE_PORT,
    DETECTOR_NAMESPACE,
    McpTool,
    detectorFootprint,
    mcpToolFootprint,
} from "../components/workloads";

/** The cluster-side facts the data platform needs from the core services. */
export interface DataPlatformDeps {
    /** Prometheus Service and namespace (Monitoring.prometheusService / .namespace). */
    readonly prometheus: { readonly service: string; readonly namespace: string };
    /** kagent's namespace and ModelConfig, and what its CRDs come from. */
    readonly kagent: { readonly namespace: string; readonly modelConfigName: string; readonly crds: pulumi.Resource };
    /** The Helm release of the KServe CRDs, on the serving cluster (always Pulumi's, whatever the delivery). */
    readonly kserveCrds: pulumi.Resource;
    /** The Helm release of the ServiceMonitor, PodMonitor and PrometheusRule CRDs (Monitoring.crds), on the platform cluster. */
    readonly monitoringCrds: pulumi.Resource;
}

export interface DataPlatformArgs {
    readonly config: StackConfig;
    readonly platform: ClusterPlacement;
    readonly serving: ClusterPlacement;
    /** The EKS cluster's OIDC provider ARN (objectStore s3 uses IRSA). */
    readonly oidcProviderArn?: pulumi.Input<string>;
}

/** On hybrid the MCP tool (control cluster) reaches the edge's predictor over Tailscale. */
function servingTailnet(config: StackConfig): { address: string; nodePort: number } | undefined {
    return config.environment === "hybrid"
        ? { address: config.hybrid.edge.tailscaleAddress, nodePort: DETECTOR_TAILNET_NODE_PORT }
        : undefined;
}

/** hybrid: the edge's metrics reach the central Prometheus (edge agent -> tailnet -> remote-write gate). */
function edgeMetrics(config: StackConfig, separateServing: boolean): boolean {
    return separateServing && config.environment === "hybrid";
}

/** The data platform's footprints per cluster, from the same pure functions the components use. */
export function dataPlatformFootprints(args: {
    config: StackConfig;
    platform: Pick<ClusterPlacement, "cluster">;
    separateServing: boolean;
    /** Schedulable nodes of the serving cluster (node-exporter on the hybrid edge). Default 0. */
    servingNodeCount?: number;
}): { platform: Footprint[]; serving: Footprint[] } {
    const { config } = args;
    const profile = config.platform.profile;
    const variant = selectKfpVariant({ cluster: args.platform.cluster, storeInCluster: objectStoreArgsIsInCluster(config), profile });
    const platform = [
        ...objectStoreFootprint(config.platform.objectStore, profile),
        ...kfpFootprint(variant, config.platform.amd64OnlyImages),
        ...mlflowFootprint(profile),
        ...mcpToolFootprint(profile),
        ...analystFootprint(profile),
        ...(edgeMetrics(config, args.separateServing) ? gateFootprint(profile) : []),
    ];
    const detector = detectorFootprint(profile);
    const edge = edgeMetrics(config, args.separateServing) ? edgeAgentFootprint(profile, args.servingNodeCount ?? 0) : [];
    return args.separateServing ? { platform, serving: [...detector, ...edge] } : { platform: [...platform, ...detector], serving: [] };
}

function objectStoreArgs(args: DataPlatformArgs, statefulNodeSelector: Record<string, string> | undefined): ObjectStoreArgs {
    const { config, platform } = args;
    const base = {
        delivery: config.platform.delivery,
        profile: config.platform.profile,
        argocd: platform.argocd,
        storageClass: platform.cluster.storageClass,
        nodeSelector: statefulNodeSelector,
    };
    switch (config.platform.objectStore) {
        case "minio":
            return { kind: "minio", minio: base };
        case "seaweedfs":
            return { kind: "seaweedfs", seaweedfs: base };
        case "s3":
            return {
                kind: "s3",
                s3: {
                    namePrefix: config.clusterName,
                    region: config.environment === "aws" ? config.aws.region : "",
                    oidcProviderArn: args.oidcProviderArn,
                    serviceAccounts: [
                        { namespace: MLFLOW_NAMESPACE, name: MLFLOW_SERVICE_ACCOUNT },
                        { namespace: DETECTOR_NAMESPACE, name: DETECTOR_NAME },
                    ],
                    tags: config.environment === "aws" ? config.aws.tags : {},
                },
            };
        case "gcs":
            return {
                kind: "gcs",
                gcs: {
                    namePrefix: config.clusterName,
                    project: config.environment === "hybrid" ? config.hybrid.gcp.project : undefined,
                    location: config.environment === "hybrid" ? config.hybrid.gcp.region : undefined,
                },
            };
    }
}

export interface DataPlatform {
    readonly objectStore: ObjectStore;
    readonly kubeflowPipelines: KubeflowPipelines;
    readonly mlflow: Mlflow;
    readonly detector: AnomalyDetector;
    readonly mcpTool: McpTool;
    readonly analyst: AlertAnalyst;
    /** Components on each cluster, for the capacity plan's cross-check. */
    readonly platformComponents: HasFootprint[];
    readonly servingComponents: HasFootprint[];
    readonly outputs: Record<string, unknown>;
}

export function deployDataPlatform(
    args: DataPlatformArgs,
    deps: DataPlatformDeps,
    statefulNodeSelector?: Record<string, string>,
): DataPlatform {
    const { config, platform, serving } = args;
    const { delivery, profile } = config.platform;
    const prefix = platform.cluster.clusterName;
    const separateServing = serving.cluster !== platform.cluster;

    // Cloud stores create no Kubernetes objects of their own; their grants take each consumer's provider.
    const objectStore = createObjectStore(
        `${prefix}-object-store`,
        objectStoreArgs(args, statefulNodeSelector),
        objectStoreArgsIsInCluster(config) ? platform.opts : {},
    );
    const kubeflowPipelines = new KubeflowPipelines(
        `${prefix}-kubeflow-pipelines`,
        {
            delivery,
            profile,
            argocd: platform.argocd,
            cluster: platform.cluster,
            objectStore,
            gitops: { repoUrl: config.platform.gitopsRepoUrl, revision: config.platform.gitopsRevision },
            amd64OnlyImages: config.platform.amd64OnlyImages,
        },
        platform.opts,
    );
    // After the monitoring CRDs: the chart renders its ServiceMonitor only when the CRD exists.
    const mlflow = new Mlflow(
        `${prefix}-mlflow`,
        {
            delivery,
            profile,
            argocd: platform.argocd,
            storageClass: platform.cluster.storageClass,
            objectStore,
            nodeSelector: statefulNodeSelector,
        },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds] }),
    );

    // The edge of hybrid runs no Prometheus operator, so no PodMonitor there.
    const detector = new AnomalyDetector(
        `${serving.cluster.clusterName}-anomaly-detector`,
        {
            profile,
            objectStore,
            podMonitor: !separateServing,
            imageRepository: config.platform.imageRepository,
            tailnet: servingTailnet(config),
        },
        pulumi.mergeOptions(serving.opts, { dependsOn: separateServing ? [deps.kserveCrds] : [deps.kserveCrds, deps.monitoringCrds] }),
    );
    const mcpTool = new McpTool(
        `${prefix}-aiops-mcp`,
        {
            profile,
            prometheusUrl: `http://${deps.prometheus.service}.${deps.prometheus.namespace}.svc.cluster.local:9090`,
            inferenceServiceUrl: detector.url,
            imageRepository: config.platform.imageRepository,
        },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds] }),
    );
    new AiopsAgent(
        `${prefix}-aiops-agent`,
        { namespace: deps.kagent.namespace, modelConfig: deps.kagent.modelConfigName, mcpUrl: mcpTool.url },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.kagent.crds, mcpTool] }),
    );
    // Alertmanager's warning and critical alerts go here (Monitoring's alertWebhookUrl is analystWebhookUrl()).
    const prometheusUrl = `http://${deps.prometheus.service}.${deps.prometheus.namespace}.svc.cluster.local:9090`;
    const analyst = new AlertAnalyst(
        `${prefix}-aiops-analyst`,
        {
            profile,
            kagentNamespace: deps.kagent.namespace,
            prometheusUrl,
            inferenceServiceUrl: detector.url,
            reportWebhookUrl: config.secrets.alertReportWebhookUrl,
            imageRepository: config.platform.imageRepository,
        },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds, mcpTool.namespaceResource] }),
    );
    // hybrid: the edge's Prometheus agent writes to the control cluster's gate over the tailnet.
    const edge = edgeMetricsComponents(args, mcpTool, prometheusUrl);

    // The rule lives in the MCP tool's namespace, which McpTool creates: without the wait it races
    // "namespaces not found". On hybrid the edge's Prometheus agent remote-writes the detector's metrics
    // (DETECTOR_JOB, label cluster) here, so the detector rules apply on every stack.
    new AiopsAlerts(
        `${prefix}-aiops-alerts`,
        { detectorScraped: !separateServing || edge !== undefined },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds, mcpTool.namespaceResource] }),
    );
    new AiopsDashboard(`${prefix}-aiops-dashboard`, {}, pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }));

    return {
        objectStore,
        kubeflowPipelines,
        mlflow,
        detector,
        mcpTool,
        analyst,
        platformComponents: [
            objectStore,
            kubeflowPipelines,
            mlflow,
            mcpTool,
            analyst,
            ...(edge ? [edge.gate] : []),
            ...(separateServing ? [] : [detector]),
        ],
        servingComponents: separateServing ? [detector, ...(edge ? [edge.agent] : [])] : [],
        outputs: {
            objectStore: objectStore.kind,
            objectStoreEndpoint: objectStore.endpointUrl,
            kubeflowPipelinesOverlay: kubeflowPipelines.variant,
            mlflowTrackingUri: mlflow.trackingUri,
            detectorUrl: detector.url,
            mcpUrl: mcpTool.url,
            analystUrl: analyst.url,
        },
    };
}

function edgeMetricsComponents(
    args: DataPlatformArgs,
    mcpTool: McpTool,
    prometheusUrl: string,
): { gate: RemoteWriteGate; agent: EdgeMetricsAgent } | undefined {
    const { config, platform, serving } = args;
    if (config.environment !== "hybrid" || serving.cluster === platform.cluster) return undefined;
    const { profile, delivery } = config.platform;
    const gate = new RemoteWriteGate(
        `${platform.cluster.clusterName}-remote-write-gate`,
        { profile, upstreamUrl: `${prometheusUrl}/api/v1/write`, imageRepository: config.platform.imageRepository },
        pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }),
    );
    const agent = new EdgeMetricsAgent(
        `${serving.cluster.clusterName}-edge-metrics`,
        {
            profile,
            delivery,
            argocd: serving.argocd,
            cluster: serving.cluster.clusterName,
            remoteWriteUrl: `http://${config.hybrid.tailnetHostname}:${GATE_TAILNET_NODE_PORT}/api/v1/write`,
            password: gate.password,
            nodeCount: schedulableNodeCount(serving.cluster),
        },
        serving.opts,
    );
    return { gate, agent };
}

/** MinIO and SeaweedFS run in the platform cluster; S3 and GCS are cloud services. */
function objectStoreArgsIsInCluster(config: StackConfig): boolean {
    return config.platform.objectStore === "minio" || config.platform.objectStore === "seaweedfs";
}
