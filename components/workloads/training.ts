// The detector's training loop on the cluster: the bootstrap Job that trains once Prometheus holds enough
// history (so the agent answers on the first day), then either the Kubeflow Pipelines recurring run (an
// idempotent registration Job registers the pipeline, its version and the run over KFP's REST API) or,
// where KFP is off, a CronJob running the same three steps. Plus the promotion RBAC: the trainer may patch
// exactly the detector's InferenceService (the predictor roll) and nothing else.
//
// The trainer is the detector image (`detector run`, `detector pipeline register`, the CronJob's steps);
// its settings are the environment variables of TRAINER_ENV in @aiops/contract.
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_STORE_LAYOUT, TRAINER_DEFAULTS, TRAINER_ENV } from "@aiops/contract";
import { cronJobSpec } from "../../workloads/detector/src/pipeline/cronjob";
import { parseSchedule } from "../../workloads/detector/src/pipeline/schedule";
import {
    CREDENTIAL_KEYS,
    DEFAULTS as PIPELINE_DEFAULTS,
    PIPELINE_ENV,
    TrainingSettings,
} from "../../workloads/detector/src/pipeline/settings";
import { PART_OF_LABEL, platformNamespace } from "../platform/namespace";
import type { ObjectStore } from "../platform/object-store/types";
import { resources, size } from "../platform/sizing";
import { workloadImage } from "./images";
import { handDown } from "../delivery";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./security";

export const TRAINING_NAMESPACE = "aiops-training";
export const TRAINER_SERVICE_ACCOUNT = "aiops-trainer";
/** Secret with the object store's keys, in the trainer's namespace (and in KFP's for the pipeline steps). */
export const TRAINER_S3_SECRET = "aiops-trainer-s3";
/** Prefix of the model store in the models bucket: versions/ and the serving copy current/ live under it. */
export const MODEL_STORE_PREFIX = "anomaly-detector";
/** KFP runs pipeline pods in its own namespace as its runner account (the IR's steps, see the pipeline docs). */
export const KFP_STEP_ACCOUNT = { namespace: "kubeflow", name: PIPELINE_DEFAULTS.serviceAccount } as const;

/**
 * The trainer's pod: `detector run` holds one model set in memory (a week at 10 s of 4 metrics x N nodes),
 * so 512Mi requested and a 384 MiB V8 heap under a 768Mi limit (NODE_OPTIONS below).
 */
export const TRAINER_SIZE = size("500m", "512Mi", "1", "768Mi");
export const TRAINER_NODE_OPTIONS = "--max-old-space-size=384";
/** Bootstrap: waits up to HISTORY_WAIT + 2 h (the trainer's default timeout) then trains; 5 h covers a 3 h wait. */
export const BOOTSTRAP_DEADLINE_SECONDS = 5 * 3600;

export type TrainingOrchestrator = "kfp" | "cronjob";

export interface TrainingSchedule {
    /** Cron, 5 fields (or KFP's 6 with seconds first), UTC. */
    readonly schedule: string;
    /** Hours of history per training. */
    readonly trainingHours: number;
    /** History Prometheus must hold before the bootstrap trains (a duration such as 1h or 90m). */
    readonly historyWait: string;
}

/** "no model trained yet" hint the detector, the MCP tool and the scorer give (env MODEL_TRAINING_HINT). Pure. */
export function trainingHint(s: Pick<TrainingSchedule, "schedule" | "historyWait">): string {
    return `the first training runs once Prometheus holds ${s.historyWait} of node-exporter history (bootstrap Job ${TRAINER_SERVICE_ACCOUNT}-bootstrap in ${TRAINING_NAMESPACE}), then on schedule '${s.schedule}' (UTC)`;
}

/** Problems with the schedule settings, each naming the setting and the fix. Pure. */
export function validateTrainingSchedule(s: TrainingSchedule): string[] {
    const problems: string[] = [];
    try {
        parseSchedule(s.schedule);
    } catch (err) {
        problems.push(`trainingSchedule: ${(err as Error).message}`);
    }
    if (!Number.isInteger(s.trainingHours) || s.trainingHours < 1 || s.trainingHours > 24 * 90)
        problems.push(`trainingHours must be a whole number of hours from 1 to 2160 (e.g. 168 for a week); got ${s.trainingHours}`);
    const wait = historyWaitSeconds(s.historyWait);
    if (wait === undefined) problems.push(`trainingHistoryWait must be a duration such as 1h, 90m or 1h30m; got '${s.historyWait}'`);
    else if (wait < 600 || wait > 3 * 3600)
        problems.push(
            `trainingHistoryWait must be from 10m to 3h (the features need ~50 min of 10-s samples; the bootstrap Job's deadline is 5 h); got '${s.historyWait}'`,
        );
    return problems;
}

/** "1h", "90m", "1h30m" in seconds (the trainer's HISTORY_WAIT accepts these and more); undefined otherwise. Pure. */
export function historyWaitSeconds(text: string): number | undefined {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim());
    if (m === null || (m[1] === undefined && m[2] === undefined)) return undefined;
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60;
}

export interface TrainerEnvArgs {
    readonly prometheusUrl: string;
    readonly mlflowTrackingUri: string;
    /** s3://<models bucket>/<MODEL_STORE_PREFIX> */
    readonly modelStoreUri: pulumi.Input<string>;
    readonly store: Pick<ObjectStore, "kind" | "endpointUrl" | "region" | "inCluster">;
    /** `<namespace>/<name>` of the InferenceService a promotion rolls; undefined: no roll (see DetectorTrainingArgs). */
    readonly inferenceService: string | undefined;
    readonly trainingHours: number;
    /** Secret with the store's keys; undefined for workload identity (IRSA). */
    readonly credentialsSecret: string | undefined;
}

/** The trainer's environment (TRAINER_ENV names). Pure. */
export function trainerEnv(a: TrainerEnvArgs): k8sInput.core.v1.EnvVar[] {
    const env: k8sInput.core.v1.EnvVar[] = [
        { name: TRAINER_ENV.prometheusUrl, value: a.prometheusUrl },
        { name: TRAINER_ENV.mlflowTrackingUri, value: a.mlflowTrackingUri },
        { name: TRAINER_ENV.modelStoreUri, value: a.modelStoreUri },
    ];
    // AWS S3 needs no endpoint; everything else (MinIO, SeaweedFS, GCS interop) does.
    if (a.store.kind !== "s3") env.push({ name: TRAINER_ENV.s3EndpointUrl, value: a.store.endpointUrl });
    if (a.store.inCluster) env.push({ name: TRAINER_ENV.s3ForcePathStyle, value: "true" });
    env.push({ name: TRAINER_ENV.awsRegion, value: a.store.region });
    if (a.inferenceService !== undefined) env.push({ name: TRAINER_ENV.inferenceService, value: a.inferenceService });
    env.push(
        { name: TRAINER_ENV.trainingHours, value: String(a.trainingHours) },
        { name: TRAINER_ENV.trainingStepSeconds, value: String(TRAINER_DEFAULTS.trainingStepSeconds) },
    );
    if (a.credentialsSecret !== undefined)
        for (const key of [CREDENTIAL_KEYS.accessKey, CREDENTIAL_KEYS.secretKey])
            env.push({ name: key, valueFrom: { secretKeyRef: { name: a.credentialsSecret, key } } });
    return env;
}

const CONTAINER_SECURITY = restrictedContainerSecurity();
const POD_SECURITY = restrictedPodSecurity(65532, { fsGroup: true });

function labels(component: string): Record<string, string> {
    return { "app.kubernetes.io/name": TRAINER_SERVICE_ACCOUNT, "app.kubernetes.io/component": component, ...PART_OF_LABEL };
}

/** One run-to-completion trainer container with a writable /tmp (the root filesystem is read-only). */
function trainerPod(args: {
    image: string;
    command: string[];
    env: k8sInput.core.v1.EnvVar[];
    component: string;
    automountToken: boolean;
}): k8sInput.core.v1.PodTemplateSpec {
    return {
        metadata: { labels: labels(args.component) },
        spec: {
            serviceAccountName: TRAINER_SERVICE_ACCOUNT,
            // `detector promote` PATCHes the InferenceService with the pod's own token (training/kube.ts).
            automountServiceAccountToken: args.automountToken,
            restartPolicy: "Never",
            securityContext: POD_SECURITY,
            containers: [
                {
                    name: "trainer",
                    image: args.image,
                    // The image's ENTRYPOINT ends in `serve`: the command replaces it.
                    command: args.command,
                    env: [...args.env, { name: "NODE_OPTIONS", value: TRAINER_NODE_OPTIONS }],
                    resources: resources(TRAINER_SIZE),
                    securityContext: CONTAINER_SECURITY,
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "512Mi" } }],
        },
    };
}

/**
 * The bootstrap Job: `detector run` writes the placeholder the detector serves "no model trained yet" from,
 * waits for HISTORY_WAIT of history, trains, publishes and promotes. Pure.
 */
export function bootstrapJob(args: { image: string; env: k8sInput.core.v1.EnvVar[]; historyWait: string }): {
    metadata: k8sInput.meta.v1.ObjectMeta;
    spec: k8sInput.batch.v1.JobSpec;
} {
    return {
        metadata: {
            name: `${TRAINER_SERVICE_ACCOUNT}-bootstrap`,
            namespace: TRAINING_NAMESPACE,
            labels: labels("bootstrap"),
            // It runs for about an hour (the history wait): `pulumi up` must not wait for it.
            annotations: { "pulumi.com/skipAwait": "true" },
        },
        spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: BOOTSTRAP_DEADLINE_SECONDS,
            template: trainerPod({
                image: args.image,
                command: ["node", "dist/cli.js", "run"],
                env: [...args.env, { name: TRAINER_ENV.historyWait, value: args.historyWait }],
                component: "bootstrap",
                automountToken: true,
            }),
        },
    };
}

/** Settings of the KFP pipeline and of the CronJob (the detector's TrainingSettings), from plain values. Pure. */
export function trainingSettings(a: {
    image: string;
    prometheusUrl: string;
    mlflowTrackingUri: string;
    modelStoreUri: string;
    store: Pick<ObjectStore, "kind" | "endpointUrl" | "region" | "inCluster">;
    inferenceService: string | undefined;
    credentialsSecret: string | undefined;
    serviceAccount: string;
    schedule: TrainingSchedule;
}): TrainingSettings {
    return {
        image: a.image,
        prometheusUrl: a.prometheusUrl,
        mlflowTrackingUri: a.mlflowTrackingUri,
        modelStoreUri: a.modelStoreUri,
        s3EndpointUrl: a.store.kind === "s3" ? undefined : a.store.endpointUrl,
        s3ForcePathStyle: a.store.inCluster ? true : undefined,
        awsRegion: a.store.region,
        credentialsSecret: a.credentialsSecret,
        // Empty: the CronJob's steps get no INFERENCE_SERVICE and promote without a roll (filtered below).
        inferenceService: a.inferenceService ?? "",
        trainingHours: a.schedule.trainingHours,
        trainingStepSeconds: TRAINER_DEFAULTS.trainingStepSeconds,
        schedule: parseSchedule(a.schedule.schedule),
        scheduleEnabled: true,
        serviceAccount: a.serviceAccount,
        pipelineName: PIPELINE_DEFAULTS.pipelineName,
        experiment: PIPELINE_DEFAULTS.experiment,
    };
}

/** The CronJob spec (the detector's cronJobSpec) without an empty INFERENCE_SERVICE. Pure. */
export function trainingCronJobSpec(s: TrainingSettings): Record<string, unknown> {
    const spec = cronJobSpec(s) as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } };
    const pod = spec.jobTemplate.spec.template.spec;
    const strip = (cs: unknown): unknown =>
        (cs as Array<{ env: Array<{ name: string; value?: string }> }>).map((c) => ({
            ...c,
            env: c.env.filter((e) => !(e.name === TRAINER_ENV.inferenceService && e.value === "")),
        }));
    // The promote step PATCHes the InferenceService with the pod's token.
    pod.automountServiceAccountToken = s.inferenceService !== "";
    pod.initContainers = strip(pod.initContainers);
    pod.containers = strip(pod.containers);
    return spec;
}

/**
 * The registration Job: `detector pipeline register` makes KFP hold the pipeline, its version and exactly
 * one recurring run; re-running it changes nothing (see docs/training-pipeline.md). Pure.
 */
export function registrationJob(args: { settings: TrainingSettings; kfpApiUrl: string; env: k8sInput.core.v1.EnvVar[] }): {
    metadata: k8sInput.meta.v1.ObjectMeta;
    spec: k8sInput.batch.v1.JobSpec;
} {
    const s = args.settings;
    const pipelineEnv: k8sInput.core.v1.EnvVar[] = [
        { name: PIPELINE_ENV.image, value: s.image },
        { name: PIPELINE_ENV.schedule, value: s.schedule.kfp },
        { name: PIPELINE_ENV.serviceAccount, value: s.serviceAccount },
        { name: PIPELINE_ENV.pipelineName, value: s.pipelineName },
        { name: PIPELINE_ENV.experiment, value: s.experiment },
    ];
    // The steps' keys are read by KFP in its namespace; the registration itself needs none.
    const stepEnv = args.env.filter((e) => e.valueFrom === undefined);
    return {
        metadata: {
            name: `${TRAINER_SERVICE_ACCOUNT}-register-pipeline`,
            namespace: TRAINING_NAMESPACE,
            labels: labels("pipeline-registration"),
            // KFP comes up after its Application syncs (delivery argocd): the Job retries instead of `pulumi up` waiting.
            annotations: { "pulumi.com/skipAwait": "true" },
        },
        spec: {
            backoffLimit: 6,
            activeDeadlineSeconds: 3600,
            template: trainerPod({
                image: s.image,
                // The Secret's name travels as a flag: a literal OBJECT_STORE_SECRET would read as a credential.
                command: [
                    "node",
                    "dist/cli.js",
                    "pipeline",
                    "register",
                    "--kfp",
                    args.kfpApiUrl,
                    "--wait",
                    "600",
                    ...(s.credentialsSecret !== undefined ? ["--object-store-secret", s.credentialsSecret] : []),
                ],
                env: [...stepEnv, ...pipelineEnv],
                component: "pipeline-registration",
                automountToken: false,
            }),
        },
    };
}

/**
 * A Role on exactly one InferenceService with the given verbs, bound to the given accounts: the shape of both
 * the trainer's promotion Role and the edge ModelRoller's. Pure.
 */
export function inferenceServiceRbac(args: {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly inferenceService: { namespace: string; name: string };
    readonly verbs: string[];
    readonly subjects: ReadonlyArray<{ namespace: string; name: string }>;
}): { role: k8sInput.rbac.v1.Role; binding: k8sInput.rbac.v1.RoleBinding } {
    const metadata = { name: args.name, namespace: args.inferenceService.namespace, labels: args.labels };
    return {
        role: {
            metadata,
            rules: [
                {
                    apiGroups: ["serving.kserve.io"],
                    resources: ["inferenceservices"],
                    resourceNames: [args.inferenceService.name],
                    verbs: args.verbs,
                },
            ],
        },
        binding: {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: args.name },
            subjects: args.subjects.map((s) => ({ kind: "ServiceAccount", name: s.name, namespace: s.namespace })),
        },
    };
}

/** Role and its binding: patch on exactly the one InferenceService, for the given accounts. Pure. */
export function promotionRbac(
    inferenceService: { namespace: string; name: string },
    subjects: ReadonlyArray<{ namespace: string; name: string }>,
): { role: k8sInput.rbac.v1.Role; binding: k8sInput.rbac.v1.RoleBinding } {
    // training/kube.ts sends one JSON merge patch; it never reads, lists or creates anything.
    return inferenceServiceRbac({
        name: `${TRAINER_SERVICE_ACCOUNT}-promote`,
        labels: labels("promotion"),
        inferenceService,
        verbs: ["patch"],
        subjects,
    });
}

export interface DetectorTrainingArgs {
    /** Where models are stored; the trainer gets read-write keys (or IRSA) for it. */
    readonly objectStore: ObjectStore;
    /** The platform Prometheus. */
    readonly prometheusUrl: string;
    /** MLflow tracking server (Mlflow.trackingUri). */
    readonly mlflowTrackingUri: string;
    /** kfp: the registration Job and KFP's recurring run; cronjob: a Kubernetes CronJob. */
    readonly orchestrator: TrainingOrchestrator;
    /** KFP's API (KubeflowPipelines.apiUrl); required with orchestrator kfp. */
    readonly kfpApiUrl?: string;
    /** Schedule, window and bootstrap wait. */
    readonly schedule: TrainingSchedule;
    /**
     * The detector's InferenceService, when it runs on this cluster: the Role lets the trainer patch it (the
     * roll). Undefined (hybrid: the predictor is on the edge): promotions update the serving copy without a
     * roll, and the edge's ModelRoller (model-roller.ts) rolls the predictor to it within minutes.
     */
    readonly inferenceService?: { readonly namespace: string; readonly name: string };
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
}

/** Every problem with the arguments, each naming the argument and the fix. Pure, tested directly. */
export function validateDetectorTrainingArgs(
    args: Pick<DetectorTrainingArgs, "schedule" | "orchestrator" | "kfpApiUrl" | "inferenceService">,
): string[] {
    const problems = validateTrainingSchedule(args.schedule);
    if (args.orchestrator === "kfp" && !args.kfpApiUrl)
        problems.push("kfpApiUrl is required with orchestrator kfp: pass KubeflowPipelines.apiUrl");
    if (args.orchestrator === "kfp" && !args.inferenceService)
        problems.push(
            "orchestrator kfp needs the InferenceService on this cluster (the pipeline's promote step rolls it); use trainingOrchestrator cronjob where the detector runs on another cluster",
        );
    return problems;
}

/** Place it with the platform cluster's provider (where Prometheus, MLflow and KFP run). */
export class DetectorTraining extends pulumi.ComponentResource {
    readonly namespace = TRAINING_NAMESPACE;
    readonly orchestrator: TrainingOrchestrator;
    /** MODEL_TRAINING_HINT for the detector, the MCP tool and the scorer. */
    readonly hint: string;
    readonly modelStoreUri: pulumi.Output<string>;

    constructor(name: string, args: DetectorTrainingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:DetectorTraining", name, {}, opts);
        const problems = validateDetectorTrainingArgs(args);
        if (problems.length > 0) throw new Error(`DetectorTraining '${name}':\n  - ${problems.join("\n  - ")}`);
        this.orchestrator = args.orchestrator;
        this.hint = trainingHint(args.schedule);
        const store = args.objectStore;
        const image = workloadImage("detector", args.imageRepository);
        const isvc = args.inferenceService ? `${args.inferenceService.namespace}/${args.inferenceService.name}` : undefined;

        const ns = platformNamespace(`${name}-ns`, TRAINING_NAMESPACE, "restricted", { parent: this });
        const grant = store.grantAccess(
            `${name}-s3`,
            { namespace: TRAINING_NAMESPACE, secretName: TRAINER_S3_SECRET, serviceAccount: TRAINER_SERVICE_ACCOUNT },
            { parent: this, dependsOn: [ns] },
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: {
                    name: TRAINER_SERVICE_ACCOUNT,
                    namespace: TRAINING_NAMESPACE,
                    labels: labels("trainer"),
                    annotations: grant.serviceAccountAnnotations,
                },
                // Only the pods that roll the predictor mount the token (they set it per pod).
                automountServiceAccountToken: false,
            },
            { parent: this, dependsOn: [ns] },
        );
        this.modelStoreUri = pulumi.interpolate`s3://${store.buckets.models}/${MODEL_STORE_PREFIX}`;
        const envFor = (modelStoreUri: pulumi.Input<string>) =>
            trainerEnv({
                prometheusUrl: args.prometheusUrl,
                mlflowTrackingUri: args.mlflowTrackingUri,
                modelStoreUri,
                store,
                inferenceService: isvc,
                trainingHours: args.schedule.trainingHours,
                credentialsSecret: grant.secretName,
            });
        const env = envFor(this.modelStoreUri);
        const ready = [sa, ...(grant.secret ? [grant.secret] : [])];
        // What the registered pipeline and the CronJob share; they differ in the account and its keys.
        const settingsFor = (modelStoreUri: string, credentialsSecret: string | undefined, serviceAccount: string) =>
            trainingSettings({
                image,
                prometheusUrl: args.prometheusUrl,
                mlflowTrackingUri: args.mlflowTrackingUri,
                modelStoreUri,
                store,
                inferenceService: isvc,
                credentialsSecret,
                serviceAccount,
                schedule: args.schedule,
            });

        const subjects: Array<{ namespace: string; name: string }> = [{ namespace: TRAINING_NAMESPACE, name: TRAINER_SERVICE_ACCOUNT }];
        if (args.orchestrator === "kfp") {
            // The pipeline's publish and promote steps run in KFP's namespace and read the keys from there.
            const kfpGrant = store.grantAccess(
                `${name}-kfp-s3`,
                { namespace: KFP_STEP_ACCOUNT.namespace, secretName: TRAINER_S3_SECRET, serviceAccount: KFP_STEP_ACCOUNT.name },
                { parent: this, dependsOn: handDown(opts?.dependsOn, []) },
            );
            subjects.push({ ...KFP_STEP_ACCOUNT });
            const job = this.modelStoreUri.apply((uri) => {
                const settings = settingsFor(uri, kfpGrant.secretName, KFP_STEP_ACCOUNT.name);
                return registrationJob({ settings, kfpApiUrl: args.kfpApiUrl as string, env: envFor(uri) });
            });
            new k8s.batch.v1.Job(
                `${name}-register-pipeline`,
                { metadata: job.metadata, spec: job.spec },
                { parent: this, dependsOn: handDown(opts?.dependsOn, [...ready, ...(kfpGrant.secret ? [kfpGrant.secret] : [])]) },
            );
        } else {
            const spec = this.modelStoreUri.apply((uri) =>
                trainingCronJobSpec(settingsFor(uri, grant.secretName, TRAINER_SERVICE_ACCOUNT)),
            );
            new k8s.batch.v1.CronJob(
                `${name}-cronjob`,
                {
                    metadata: {
                        name: `${TRAINER_SERVICE_ACCOUNT}-scheduled`,
                        namespace: TRAINING_NAMESPACE,
                        labels: labels("scheduled-training"),
                    },
                    spec: spec as unknown as k8sInput.batch.v1.CronJobSpec,
                },
                { parent: this, dependsOn: handDown(opts?.dependsOn, ready) },
            );
        }

        const bootstrap = bootstrapJob({ image, env, historyWait: args.schedule.historyWait });
        new k8s.batch.v1.Job(`${name}-bootstrap`, bootstrap, { parent: this, dependsOn: handDown(opts?.dependsOn, ready) });

        if (args.inferenceService) {
            const rbac = promotionRbac(args.inferenceService, subjects);
            const role = new k8s.rbac.v1.Role(`${name}-promote`, rbac.role, { parent: this, dependsOn: handDown(opts?.dependsOn, []) });
            new k8s.rbac.v1.RoleBinding(`${name}-promote`, rbac.binding, { parent: this, dependsOn: [role] });
        }
        this.registerOutputs({ namespace: this.namespace, orchestrator: this.orchestrator, modelStoreUri: this.modelStoreUri });
    }
}

/** The serving copy the InferenceService's storageUri points at: `<MODEL_STORE_PREFIX>/current`. */
export const SERVING_MODEL_PATH = `${MODEL_STORE_PREFIX}/${MODEL_STORE_LAYOUT.serving}`;
