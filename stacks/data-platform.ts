// The data platform, wired from stacks/platform.ts: the object store, Kubeflow Pipelines, MLflow
// and the AIOps workloads (detector, MCP tool, kagent agent, alerts). Wiring only.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import type { ClusterPlacement } from "./platform";
import type { Footprint, HasFootprint } from "../components/platform/footprint";
import { KubeflowPipelines, kfpFootprint, selectKfpVariant } from "../components/platform/kubeflow-pipelines";
import { MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT, Mlflow, mlflowFootprint } from "../components/platform/mlflow";
import { ObjectStore, ObjectStoreArgs, createObjectStore, objectStoreFootprint } from "../components/platform/object-store";
import {
    AiopsAgent,
    AiopsAlerts,
    AnomalyDetector,
    DETECTOR_NAME,
    DETECTOR_TAILNET_NODE_PORT,
    DETECTOR_NAMESPACE,
    DetectorTraining,
    KFP_STEP_ACCOUNT,
    McpTool,
    Scorer,
    TRAINER_SERVICE_ACCOUNT,
    TRAINING_NAMESPACE,
    TrainingOrchestrator,
    detectorFootprint,
    mcpToolFootprint,
    scorerFootprint,
    trainingHint,
} from "../components/workloads";
import type { Profile } from "../components/platform/sizing";

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

/** The data platform's footprints per cluster, from the same pure functions the components use. */
export function dataPlatformFootprints(args: {
    config: StackConfig;
    platform: Pick<ClusterPlacement, "cluster">;
    separateServing: boolean;
}): { platform: Footprint[]; serving: Footprint[] } {
    const { config } = args;
    const profile = config.platform.profile;
    const variant = selectKfpVariant({ cluster: args.platform.cluster, storeInCluster: objectStoreArgsIsInCluster(config), profile });
    const platform = [
        ...objectStoreFootprint(config.platform.objectStore, profile),
        ...kfpFootprint(variant, config.platform.amd64OnlyImages),
        ...mlflowFootprint(profile),
        ...mcpToolFootprint(profile),
        ...scorerFootprint(profile),
    ];
    const detector = detectorFootprint(profile);
    return args.separateServing ? { platform, serving: detector } : { platform: [...platform, ...detector], serving: [] };
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
                        // The trainer (bootstrap Job, CronJob) and, with KFP, the pipeline's steps.
                        { namespace: TRAINING_NAMESPACE, name: TRAINER_SERVICE_ACCOUNT },
                        { namespace: KFP_STEP_ACCOUNT.namespace, name: KFP_STEP_ACCOUNT.name },
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
    readonly training: DetectorTraining;
    readonly scorer: Scorer;
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

    const schedule = {
        schedule: config.platform.trainingSchedule,
        trainingHours: config.platform.trainingHours,
        historyWait: config.platform.trainingHistoryWait,
    };
    // One sentence, from the same settings the trainer runs on, for every "no model trained yet" answer.
    const hint = trainingHint(schedule);
    const prometheusUrl = `http://${deps.prometheus.service}.${deps.prometheus.namespace}.svc.cluster.local:9090`;

    // The edge of hybrid runs no Prometheus operator, so no PodMonitor there.
    const detector = new AnomalyDetector(
        `${serving.cluster.clusterName}-anomaly-detector`,
        {
            profile,
            objectStore,
            podMonitor: !separateServing,
            imageRepository: config.platform.imageRepository,
            tailnet: servingTailnet(config),
            trainingHint: hint,
        },
        pulumi.mergeOptions(serving.opts, { dependsOn: separateServing ? [deps.kserveCrds] : [deps.kserveCrds, deps.monitoringCrds] }),
    );
    const mcpTool = new McpTool(
        `${prefix}-aiops-mcp`,
        {
            profile,
            prometheusUrl,
            inferenceServiceUrl: detector.url,
            imageRepository: config.platform.imageRepository,
            trainingHint: hint,
        },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds] }),
    );
    const scorer = new Scorer(
        `${prefix}-aiops-scorer`,
        { profile, prometheusUrl, inferenceServiceUrl: detector.url, trainingHint: hint, imageRepository: config.platform.imageRepository },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds, mcpTool.namespaceResource] }),
    );
    // The trainer runs where Prometheus, MLflow and KFP are; it rolls the predictor only on the same cluster.
    const orchestrator = selectTrainingOrchestrator(
        config.platform.trainingOrchestrator,
        profile,
        separateServing,
        config.platform.objectStore,
    );
    const training = new DetectorTraining(
        `${prefix}-detector-training`,
        {
            objectStore,
            prometheusUrl,
            mlflowTrackingUri: mlflow.trackingUri,
            orchestrator,
            kfpApiUrl: orchestrator === "kfp" ? kubeflowPipelines.apiUrl : undefined,
            schedule,
            inferenceService: separateServing ? undefined : { namespace: DETECTOR_NAMESPACE, name: DETECTOR_NAME },
            imageRepository: config.platform.imageRepository,
        },
        pulumi.mergeOptions(platform.opts, {
            dependsOn: [mlflow, ...(orchestrator === "kfp" ? [kubeflowPipelines] : []), ...(separateServing ? [] : [detector])],
        }),
    );
    new AiopsAgent(
        `${prefix}-aiops-agent`,
        { namespace: deps.kagent.namespace, modelConfig: deps.kagent.modelConfigName, mcpUrl: mcpTool.url },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.kagent.crds, mcpTool] }),
    );
    // On hybrid the detector runs on the edge, out of the control cluster Prometheus' sight. The rule lives
    // in the MCP tool's namespace, which McpTool creates: without the wait it races "namespaces not found".
    new AiopsAlerts(
        `${prefix}-aiops-alerts`,
        { detectorScraped: !separateServing },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.monitoringCrds, mcpTool.namespaceResource] }),
    );

    return {
        objectStore,
        kubeflowPipelines,
        mlflow,
        detector,
        mcpTool,
        training,
        scorer,
        platformComponents: [objectStore, kubeflowPipelines, mlflow, mcpTool, scorer, ...(separateServing ? [] : [detector])],
        servingComponents: separateServing ? [detector] : [],
        outputs: {
            objectStore: objectStore.kind,
            objectStoreEndpoint: objectStore.endpointUrl,
            kubeflowPipelinesOverlay: kubeflowPipelines.variant,
            mlflowTrackingUri: mlflow.trackingUri,
            detectorUrl: detector.url,
            mcpUrl: mcpTool.url,
            scorerMetricsUrl: scorer.metricsUrl,
            trainingOrchestrator: training.orchestrator,
            modelStoreUri: training.modelStoreUri,
        },
    };
}

/** MinIO and SeaweedFS run in the platform cluster; S3 and GCS are cloud services. */
function objectStoreArgsIsInCluster(config: StackConfig): boolean {
    return config.platform.objectStore === "minio" || config.platform.objectStore === "seaweedfs";
}

/**
 * kfp or cronjob: the setting, with auto = kfp on the standard profile and cronjob on lean (KFP's pods are
 * the heaviest part of a homelab). A detector on another cluster (hybrid) always gets the CronJob: the
 * pipeline's promote step must roll the predictor, which pods of this cluster cannot patch. So does the
 * `s3` store (IRSA): the config refuses an explicit kfp for both. Pure.
 */
export function selectTrainingOrchestrator(
    setting: "auto" | TrainingOrchestrator,
    profile: Profile,
    separateServing: boolean,
    objectStore?: string,
): TrainingOrchestrator {
    if (separateServing) return "cronjob";
    // KFP's steps run as its pipeline-runner, which carries no IRSA role: on S3 only our own account can write.
    if (objectStore === "s3") return "cronjob";
    if (setting !== "auto") return setting;
    return profile === "standard" ? "kfp" : "cronjob";
}
