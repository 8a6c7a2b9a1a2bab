// The data platform, wired from stacks/platform.ts: the object store, Kubeflow Pipelines, MLflow
// and the AIOps workloads (detector, MCP tool, kagent agent, alerts). Wiring only.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlacement, PlanCluster, PlannedService, PlatformConfig, PlatformSite } from "./placement";
import type { ServiceRelease } from "../components/delivery";
import type { Footprint } from "../components/platform/footprint";
import { KubeflowPipelines, kfpFootprint, selectKfpVariant } from "../components/platform/kubeflow-pipelines";
import { MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT, Mlflow, mlflowFootprint } from "../components/platform/mlflow";
import { ObjectStore, ObjectStoreArgs, createObjectStore, objectStoreFootprint } from "../components/platform/object-store";
import {
    AiopsAgent,
    AiopsAlerts,
    AiopsDashboard,
    AlertAnalyst,
    EdgeMetricsAgent,
    GATE_PORT,
    GATE_TAILNET_NODE_PORT,
    RemoteWriteGate,
    analystFootprint,
    edgeAgentFootprint,
    gateFootprint,
    AnomalyDetector,
    DETECTOR_NAME,
    DETECTOR_NAMESPACE,
    DetectorTraining,
    KFP_STEP_ACCOUNT,
    McpTool,
    ModelRoller,
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
}

export interface DataPlatformArgs {
    readonly config: PlatformConfig;
    readonly platform: ClusterPlacement;
    readonly serving: ClusterPlacement;
    /** Cloud store arguments, OIDC provider and how the serving cluster is reached. */
    readonly site: PlatformSite;
}

/** hybrid: the edge's metrics reach the central Prometheus (edge agent -> tailnet -> remote-write gate). */
function edgeMetrics(site: Pick<PlatformSite, "platformTailnetHost">, separateServing: boolean): boolean {
    return separateServing && site.platformTailnetHost !== undefined;
}

/**
 * The data platform's plans (footprints only: its components size themselves from the profile), each
 * computed once with the platform's (stacks/platform.ts planServices): the capacity check reads them, nothing re-counts them.
 */
export function dataPlatformPlans(args: {
    config: PlatformConfig;
    cluster: ClusterPlacement["cluster"];
    separateServing: boolean;
    site: Pick<PlatformSite, "kubeflowPipelines" | "platformTailnetHost">;
    /** Schedulable nodes of the serving cluster (node-exporter on the hybrid edge). Default 0. */
    servingNodeCount?: number;
}): PlannedService[] {
    const { config } = args;
    const profile = config.platform.profile;
    const variant = selectKfpVariant({ cluster: args.cluster, storeInCluster: objectStoreArgsIsInCluster(config), profile });
    const serving: PlanCluster = args.separateServing ? "serving" : "platform";
    const edge = edgeMetrics(args.site, args.separateServing);
    const on = (cluster: PlanCluster, name: string, footprint: Footprint[]): PlannedService => ({ name, cluster, plan: { footprint } });
    return [
        on("platform", "object-store", objectStoreFootprint(config.platform.objectStore, profile)),
        ...(kfpEnabled(args.site) ? [on("platform", "kubeflow-pipelines", kfpFootprint(variant, config.platform.amd64OnlyImages))] : []),
        on("platform", "mlflow", mlflowFootprint(profile)),
        on("platform", "mcp-tool", mcpToolFootprint(profile)),
        on("platform", "scorer", scorerFootprint(profile)),
        on("platform", "analyst", analystFootprint(profile)),
        ...(edge ? [on("platform", "remote-write-gate", gateFootprint(profile))] : []),
        on(serving, "anomaly-detector", detectorFootprint(profile)),
        ...(edge ? [on("serving", "edge-metrics", edgeAgentFootprint(profile, args.servingNodeCount ?? 0))] : []),
    ];
}

function objectStoreArgs(args: DataPlatformArgs, statefulNodeSelector: Record<string, string> | undefined): ObjectStoreArgs {
    const { config, platform, site } = args;
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
                    namePrefix: site.objectStore.namePrefix,
                    region: site.objectStore.s3?.region ?? "",
                    oidcProviderArn: site.oidcProviderArn,
                    serviceAccounts: [
                        { namespace: MLFLOW_NAMESPACE, name: MLFLOW_SERVICE_ACCOUNT },
                        { namespace: DETECTOR_NAMESPACE, name: DETECTOR_NAME },
                        // The trainer (bootstrap Job, CronJob) and, with KFP, the pipeline's steps.
                        { namespace: TRAINING_NAMESPACE, name: TRAINER_SERVICE_ACCOUNT },
                        { namespace: KFP_STEP_ACCOUNT.namespace, name: KFP_STEP_ACCOUNT.name },
                    ],
                    tags: site.objectStore.s3?.tags ?? {},
                },
            };
        case "gcs":
            return {
                kind: "gcs",
                gcs: {
                    namePrefix: site.objectStore.namePrefix,
                    project: site.objectStore.gcs?.project,
                    location: site.objectStore.gcs?.location,
                },
            };
    }
}

export interface DataPlatform {
    readonly objectStore: ObjectStore;
    /** Undefined when the stack turns Kubeflow Pipelines off (local, by default). */
    readonly kubeflowPipelines: KubeflowPipelines | undefined;
    readonly mlflow: Mlflow;
    readonly detector: AnomalyDetector;
    readonly mcpTool: McpTool;
    readonly training: DetectorTraining;
    readonly scorer: Scorer;
    readonly analyst: AlertAnalyst;
    /** Every service release declared here, for the AppProject. */
    readonly releases: readonly ServiceRelease[];
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
    const kubeflowPipelines = !kfpEnabled(args.site)
        ? undefined
        : new KubeflowPipelines(
              `${prefix}-kubeflow-pipelines`,
              {
                  delivery,
                  profile,
                  argocd: platform.argocd,
                  cluster: platform.cluster,
                  objectStore,
                  ...gitopsSource(config.platform),
              },
              platform.opts,
          );
    // Like every monitor, MLflow's ServiceMonitor waits for the monitoring CRDs through the placement's
    // rule (components/delivery/monitoring-crds.ts); the chart renders it only when the CRD exists.
    const mlflow = new Mlflow(
        `${prefix}-mlflow`,
        {
            delivery,
            profile,
            argocd: platform.argocd,
            storageClass: platform.cluster.storageClass,
            objectStore,
            nodeSelector: statefulNodeSelector,
            ...(args.site.mlflowIngress ? { ingress: args.site.mlflowIngress } : {}),
        },
        platform.opts,
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
            tailnet: args.site.servingTailnet,
            trainingHint: hint,
        },
        pulumi.mergeOptions(serving.opts, { dependsOn: [deps.kserveCrds] }),
    );
    const mcpTool = new McpTool(
        `${prefix}-aiops-mcp`,
        {
            profile,
            prometheusUrl,
            inferenceServiceUrl: detector.url,
            imageRepository: config.platform.imageRepository,
            trainingHint: hint,
            // hybrid: the remote-write gate shares the namespace; the edge reaches it over the tailnet NodePort.
            openPorts: edgeMetrics(args.site, separateServing) ? [GATE_PORT] : [],
        },
        platform.opts,
    );
    const scorer = new Scorer(
        `${prefix}-aiops-scorer`,
        { profile, prometheusUrl, inferenceServiceUrl: detector.url, trainingHint: hint, imageRepository: config.platform.imageRepository },
        pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }),
    );
    // The trainer runs where Prometheus, MLflow and KFP are; it rolls the predictor only on the same cluster
    // (hybrid: the ModelRoller below does it on the edge).
    const orchestrator = selectTrainingOrchestrator(
        config.platform.trainingOrchestrator,
        profile,
        separateServing,
        config.platform.objectStore,
        kubeflowPipelines !== undefined,
    );
    const training = new DetectorTraining(
        `${prefix}-detector-training`,
        {
            objectStore,
            prometheusUrl,
            mlflowTrackingUri: mlflow.trackingUri,
            orchestrator,
            kfpApiUrl: orchestrator === "kfp" ? kubeflowPipelines?.apiUrl : undefined,
            schedule,
            inferenceService: separateServing ? undefined : { namespace: DETECTOR_NAMESPACE, name: DETECTOR_NAME },
            imageRepository: config.platform.imageRepository,
        },
        pulumi.mergeOptions(platform.opts, {
            dependsOn: [
                mlflow,
                ...(orchestrator === "kfp" && kubeflowPipelines ? [kubeflowPipelines] : []),
                ...(separateServing ? [] : [detector]),
            ],
        }),
    );
    new AiopsAgent(
        `${prefix}-aiops-agent`,
        { namespace: deps.kagent.namespace, modelConfig: deps.kagent.modelConfigName, mcpUrl: mcpTool.url },
        pulumi.mergeOptions(platform.opts, { dependsOn: [deps.kagent.crds, mcpTool] }),
    );
    // Alertmanager's warning and critical alerts go here (Monitoring's alertWebhookUrl is analystWebhookUrl()).
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
        pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }),
    );
    // hybrid: the trainer's promotion cannot reach the edge's API server; the roller on the edge rolls the
    // predictor to the champion the trainer wrote into the store, with the predictor's own store keys.
    if (separateServing)
        new ModelRoller(
            `${serving.cluster.clusterName}-model-roller`,
            {
                inferenceService: { namespace: DETECTOR_NAMESPACE, name: DETECTOR_NAME },
                modelStoreUri: training.modelStoreUri,
                store: objectStore,
                credentialsSecret: detector.credentialsSecret,
                imageRepository: config.platform.imageRepository,
            },
            pulumi.mergeOptions(serving.opts, { dependsOn: [detector] }),
        );
    // hybrid: the edge's Prometheus agent writes to the control cluster's gate over the tailnet.
    const edge = edgeMetricsComponents(args, mcpTool, prometheusUrl);

    // The rule lives in the MCP tool's namespace, which McpTool creates: without the wait it races
    // "namespaces not found". On hybrid the edge's Prometheus agent remote-writes the detector's metrics
    // (DETECTOR_JOB, label cluster) here, so the detector rules apply on every stack.
    new AiopsAlerts(
        `${prefix}-aiops-alerts`,
        { detectorScraped: !separateServing || edge !== undefined },
        pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }),
    );
    new AiopsDashboard(`${prefix}-aiops-dashboard`, {}, pulumi.mergeOptions(platform.opts, { dependsOn: [mcpTool.namespaceResource] }));

    return {
        objectStore,
        kubeflowPipelines,
        mlflow,
        detector,
        mcpTool,
        training,
        scorer,
        analyst,
        releases: [
            ...(objectStore.releases ?? []),
            ...(kubeflowPipelines?.releases ?? []),
            ...mlflow.releases,
            ...(edge?.agent.releases ?? []),
        ],
        outputs: {
            objectStore: objectStore.kind,
            objectStoreEndpoint: objectStore.endpointUrl,
            ...(kubeflowPipelines ? { kubeflowPipelinesOverlay: kubeflowPipelines.variant } : {}),
            mlflowTrackingUri: mlflow.trackingUri,
            detectorUrl: detector.url,
            mcpUrl: mcpTool.url,
            scorerMetricsUrl: scorer.metricsUrl,
            trainingOrchestrator: training.orchestrator,
            modelStoreUri: training.modelStoreUri,
            analystUrl: analyst.url,
        },
    };
}

/**
 * Kubeflow Pipelines is on unless the site turns it off (local, by default). Where it is off, training runs
 * as a CronJob (workloads/detector/src/pipeline/cronjob.ts).
 */
export function kfpEnabled(site: Pick<PlatformSite, "kubeflowPipelines">): boolean {
    return site.kubeflowPipelines !== false;
}

function edgeMetricsComponents(
    args: DataPlatformArgs,
    mcpTool: McpTool,
    prometheusUrl: string,
): { gate: RemoteWriteGate; agent: EdgeMetricsAgent } | undefined {
    const { config, platform, serving, site } = args;
    if (site.platformTailnetHost === undefined || serving.cluster === platform.cluster) return undefined;
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
            remoteWriteUrl: `http://${site.platformTailnetHost}:${GATE_TAILNET_NODE_PORT}/api/v1/write`,
            password: gate.password,
        },
        serving.opts,
    );
    return { gate, agent };
}

/** MinIO and SeaweedFS run in the platform cluster; S3 and GCS are cloud services. */
/**
 * Where Argo CD reads this project's Kubeflow Pipelines overlays: only a repository and revision the user
 * set (both, validated together). Unset, the component has Pulumi apply them from this checkout, so a
 * fresh fork deploys without the upstream repository's tags.
 */
export function gitopsSource(platform: Pick<PlatformConfig["platform"], "gitopsRepoUrl" | "gitopsRevision">): {
    gitops?: { repoUrl: string; revision: string };
} {
    return platform.gitopsRepoUrl && platform.gitopsRevision
        ? { gitops: { repoUrl: platform.gitopsRepoUrl, revision: platform.gitopsRevision } }
        : {};
}

function objectStoreArgsIsInCluster(config: PlatformConfig): boolean {
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
    kfpInstalled = true,
): TrainingOrchestrator {
    // Without Kubeflow Pipelines (local, by default) the same container runs as a CronJob.
    if (!kfpInstalled) return "cronjob";
    if (separateServing) return "cronjob";
    // KFP's steps run as its pipeline-runner, which carries no IRSA role: on S3 only our own account can write.
    if (objectStore === "s3") return "cronjob";
    if (setting !== "auto") return setting;
    return profile === "standard" ? "kfp" : "cronjob";
}
