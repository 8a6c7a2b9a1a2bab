// The settings of the training loop on the cluster, read once from the environment of the registration
// Job (or CronJob) and handed, unchanged, to every training step: the KFP pipeline IR and the CronJob
// fallback are both built from one TrainingSettings, so they cannot drift apart.
import { TRAINER_DEFAULTS } from "@aiops/contract";
import { parseSchedule, Schedule } from "./schedule";

/** Environment variables every training step reads (the trainer's `detector train-all/publish/promote`). */
export const STEP_ENV = {
    prometheusUrl: "PROMETHEUS_URL",
    mlflowTrackingUri: "MLFLOW_TRACKING_URI",
    modelStoreUri: "MODEL_STORE_URI",
    s3EndpointUrl: "S3_ENDPOINT_URL",
    s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
    awsRegion: "AWS_REGION",
    inferenceService: "INFERENCE_SERVICE",
    trainingHours: "TRAINING_HOURS",
    trainingStepSeconds: "TRAINING_STEP_SECONDS",
    promotionMinFlagRate: "PROMOTION_MIN_FLAG_RATE",
    promotionMaxFlagRate: "PROMOTION_MAX_FLAG_RATE",
} as const;

/** Keys of the object-store Secret the steps read (the platform's grant writes these; AWS SDK names). */
export const CREDENTIAL_KEYS = { accessKey: "AWS_ACCESS_KEY_ID", secretKey: "AWS_SECRET_ACCESS_KEY" } as const;

/** Environment variables that configure the registration and the CronJob themselves (not the steps). */
export const PIPELINE_ENV = {
    image: "DETECTOR_IMAGE",
    credentialsSecret: "OBJECT_STORE_SECRET",
    schedule: "TRAINING_SCHEDULE",
    schedulePaused: "TRAINING_SCHEDULE_PAUSED",
    serviceAccount: "PIPELINE_SERVICE_ACCOUNT",
    pipelineName: "PIPELINE_NAME",
    experiment: "PIPELINE_EXPERIMENT",
} as const;

export const DEFAULTS = {
    // The trainer's own defaults, so a run of the pipeline and `detector run` train on the same window.
    trainingHours: TRAINER_DEFAULTS.trainingHours,
    trainingStepSeconds: TRAINER_DEFAULTS.trainingStepSeconds,
    /** 02:00 UTC daily (KFP's cronScheduleTimezone is UTC; the CronJob sets timeZone Etc/UTC). */
    schedule: "0 2 * * *",
    /** KFP's own runner account in the kubeflow namespace (has the Argo executor RBAC). */
    serviceAccount: "pipeline-runner",
    pipelineName: "aiops-detector-training",
    experiment: "aiops-detector",
} as const;

export interface TrainingSettings {
    /** Detector image the steps run, pinned by tag or digest (DETECTOR_IMAGE). Required. */
    readonly image: string;
    /** Prometheus base URL (PROMETHEUS_URL). Required. */
    readonly prometheusUrl: string;
    /** MLflow tracking server (MLFLOW_TRACKING_URI). Required. */
    readonly mlflowTrackingUri: string;
    /** s3://bucket/prefix of the model store (MODEL_STORE_URI). Required. */
    readonly modelStoreUri: string;
    /** S3 endpoint for non-AWS stores (S3_ENDPOINT_URL). Default unset (AWS). */
    readonly s3EndpointUrl?: string;
    /** Path-style S3 addressing, needed by MinIO/SeaweedFS (S3_FORCE_PATH_STYLE). Default unset. */
    readonly s3ForcePathStyle?: boolean;
    /** AWS_REGION. Default unset. */
    readonly awsRegion?: string;
    /**
     * Secret (in the namespace the steps run in) holding AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
     * (OBJECT_STORE_SECRET). Default unset: no keys (workload identity such as IRSA).
     */
    readonly credentialsSecret?: string;
    /** `<namespace>/<name>` of the InferenceService that promotion rolls (INFERENCE_SERVICE). Required. */
    readonly inferenceService: string;
    /** Hours of history per training run (TRAINING_HOURS). Default TRAINER_DEFAULTS.trainingHours (168). */
    readonly trainingHours: number;
    /** Query resolution in seconds (TRAINING_STEP_SECONDS). Default TRAINER_DEFAULTS.trainingStepSeconds (10). */
    readonly trainingStepSeconds: number;
    /** Lowest flag rate a candidate may have on the held-back window (PROMOTION_MIN_FLAG_RATE). Default: the trainer's. */
    readonly promotionMinFlagRate?: number;
    /** Highest flag rate a candidate may have on the held-back window (PROMOTION_MAX_FLAG_RATE). Default: the trainer's. */
    readonly promotionMaxFlagRate?: number;
    /** When to train (TRAINING_SCHEDULE, five or six fields). Default 02:00 UTC daily. */
    readonly schedule: Schedule;
    /** False pauses the recurring run / suspends the CronJob (TRAINING_SCHEDULE_PAUSED=true). Default true. */
    readonly scheduleEnabled: boolean;
    /** Kubernetes service account the steps run as (PIPELINE_SERVICE_ACCOUNT). Default pipeline-runner. */
    readonly serviceAccount: string;
    /** KFP pipeline name, also pipelineInfo.name (PIPELINE_NAME). Default aiops-detector-training. */
    readonly pipelineName: string;
    /** KFP experiment the recurring run lives in (PIPELINE_EXPERIMENT). Default aiops-detector. */
    readonly experiment: string;
}

/** KFP's pipeline-name rule (backend/src/apiserver/common/utils.go pipelineNamePattern, 2.17.0). */
export const PIPELINE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;
/** Kubernetes DNS-1123 label (namespaces, service accounts' and objects' names). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Display names go into a KFP list filter; keep to characters that survive its double URL decoding. */
const DISPLAY_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

type Env = Readonly<Record<string, string | undefined>>;

/** What the caller passes instead of env (flags win over env). */
export type SettingsOverrides = Partial<
    Record<"image" | "schedule" | "serviceAccount" | "pipelineName" | "experiment" | "credentialsSecret", string>
> & {
    readonly paused?: boolean;
};

function isUrl(text: string, schemes: readonly string[]): boolean {
    try {
        const u = new URL(text);
        return schemes.includes(u.protocol) && u.host !== "";
    } catch {
        return false;
    }
}

/**
 * Reads and validates the settings. Every problem is collected and reported in one error whose lines name
 * the variable, the bad value and the fix.
 */
export function settingsFromEnv(env: Env, overrides: SettingsOverrides = {}): TrainingSettings {
    const problems: string[] = [];
    const get = (name: string): string | undefined => {
        const v = env[name]?.trim();
        return v === undefined || v === "" ? undefined : v;
    };
    const required = (name: string, what: string): string => {
        const v = get(name);
        if (v === undefined) problems.push(`${name} is required: ${what}`);
        return v ?? "";
    };
    const url = (name: string, text: string | undefined, schemes: readonly string[]) => {
        if (text !== undefined && text !== "" && !isUrl(text, schemes))
            problems.push(`${name} must be a ${schemes.map((s) => s.replace(":", "://")).join(" or ")} URL; got '${text}'`);
    };
    const positiveInt = (name: string, fallback: number): number => {
        const text = get(name);
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!/^\d+$/.test(text) || !Number.isInteger(n) || n <= 0) problems.push(`${name} must be a positive whole number; got '${text}'`);
        return n;
    };
    const rate = (name: string): number | undefined => {
        const text = get(name);
        if (text === undefined) return undefined;
        const n = Number(text);
        if (!Number.isFinite(n) || n < 0 || n > 1) problems.push(`${name} must be a share between 0 and 1 (e.g. 0.05); got '${text}'`);
        return n;
    };
    const bool = (name: string, text: string | undefined): boolean | undefined => {
        if (text === undefined) return undefined;
        if (text === "true") return true;
        if (text === "false") return false;
        problems.push(`${name} must be true or false; got '${text}'`);
        return undefined;
    };

    const image =
        overrides.image ?? required(PIPELINE_ENV.image, "the detector image the steps run, e.g. ghcr.io/acme/aiops-detector:0.1.0");
    // A moving tag would make the same IR run different code on different days.
    if (image !== "" && !/@sha256:[0-9a-f]{64}$/.test(image) && !/:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(image.split("/").pop() ?? ""))
        problems.push(`${PIPELINE_ENV.image} must be pinned by tag or digest (repo/name:1.2.3 or repo/name@sha256:...); got '${image}'`);
    else if (/:latest$/.test(image)) problems.push(`${PIPELINE_ENV.image} must not use the moving tag 'latest'; got '${image}'`);

    const prometheusUrl = required(STEP_ENV.prometheusUrl, "base URL of Prometheus, e.g. http://prometheus.monitoring:9090");
    url(STEP_ENV.prometheusUrl, prometheusUrl, ["http:", "https:"]);
    const mlflowTrackingUri = required(STEP_ENV.mlflowTrackingUri, "MLflow tracking server, e.g. http://mlflow.mlflow:5000");
    url(STEP_ENV.mlflowTrackingUri, mlflowTrackingUri, ["http:", "https:"]);
    const modelStoreUri = required(STEP_ENV.modelStoreUri, "where models are stored, e.g. s3://models/anomaly-detector");
    url(STEP_ENV.modelStoreUri, modelStoreUri, ["s3:"]);
    const s3EndpointUrl = get(STEP_ENV.s3EndpointUrl);
    url(STEP_ENV.s3EndpointUrl, s3EndpointUrl, ["http:", "https:"]);
    const inferenceService = required(STEP_ENV.inferenceService, "<namespace>/<name> of the detector's InferenceService");
    if (inferenceService !== "") {
        const [ns, name, extra] = inferenceService.split("/");
        if (extra !== undefined || name === undefined || !DNS_LABEL.test(ns) || !DNS_SUBDOMAIN.test(name))
            problems.push(
                `${STEP_ENV.inferenceService} must be <namespace>/<name> (e.g. models/anomaly-detector); got '${inferenceService}'`,
            );
    }
    const minRate = rate(STEP_ENV.promotionMinFlagRate);
    const maxRate = rate(STEP_ENV.promotionMaxFlagRate);
    if (minRate !== undefined && maxRate !== undefined && minRate > maxRate)
        problems.push(`${STEP_ENV.promotionMinFlagRate} (${minRate}) must not exceed ${STEP_ENV.promotionMaxFlagRate} (${maxRate})`);

    let schedule: Schedule = { kfp: "", kubernetes: "" };
    try {
        schedule = parseSchedule(overrides.schedule ?? get(PIPELINE_ENV.schedule) ?? DEFAULTS.schedule);
    } catch (err) {
        problems.push(`${PIPELINE_ENV.schedule}: ${(err as Error).message}`);
    }
    const paused = overrides.paused ?? bool(PIPELINE_ENV.schedulePaused, get(PIPELINE_ENV.schedulePaused)) ?? false;

    const serviceAccount = overrides.serviceAccount ?? get(PIPELINE_ENV.serviceAccount) ?? DEFAULTS.serviceAccount;
    if (!DNS_SUBDOMAIN.test(serviceAccount))
        problems.push(`${PIPELINE_ENV.serviceAccount} must be a Kubernetes service account name; got '${serviceAccount}'`);
    const pipelineName = overrides.pipelineName ?? get(PIPELINE_ENV.pipelineName) ?? DEFAULTS.pipelineName;
    if (!PIPELINE_NAME_PATTERN.test(pipelineName))
        problems.push(
            `${PIPELINE_ENV.pipelineName} must be lowercase letters, digits and '-', starting with a letter or digit (KFP's rule); got '${pipelineName}'`,
        );
    const experiment = overrides.experiment ?? get(PIPELINE_ENV.experiment) ?? DEFAULTS.experiment;
    if (!DISPLAY_NAME.test(experiment))
        problems.push(`${PIPELINE_ENV.experiment} must be letters, digits, space, '.', '_' or '-' (at most 100); got '${experiment}'`);
    // A flag too: the name holds "SECRET", and the platform's policy refuses literal values of such variables.
    const credentialsSecret = overrides.credentialsSecret ?? get(PIPELINE_ENV.credentialsSecret);
    if (credentialsSecret !== undefined && !DNS_SUBDOMAIN.test(credentialsSecret))
        problems.push(`${PIPELINE_ENV.credentialsSecret} must be a Secret name; got '${credentialsSecret}'`);

    const settings: TrainingSettings = {
        image,
        prometheusUrl,
        mlflowTrackingUri,
        modelStoreUri,
        s3EndpointUrl,
        s3ForcePathStyle: bool(STEP_ENV.s3ForcePathStyle, get(STEP_ENV.s3ForcePathStyle)),
        awsRegion: get(STEP_ENV.awsRegion),
        credentialsSecret,
        inferenceService,
        trainingHours: positiveInt(STEP_ENV.trainingHours, DEFAULTS.trainingHours),
        trainingStepSeconds: positiveInt(STEP_ENV.trainingStepSeconds, DEFAULTS.trainingStepSeconds),
        promotionMinFlagRate: minRate,
        promotionMaxFlagRate: maxRate,
        schedule,
        scheduleEnabled: !paused,
        serviceAccount,
        pipelineName,
        experiment,
    };
    if (problems.length > 0) throw new Error(`invalid training settings:\n  - ${problems.join("\n  - ")}`);
    return settings;
}

/**
 * The environment every step gets, in a fixed order (so the IR, and with it the version hash, is stable).
 * Optional settings appear only when set, so the trainer's own defaults apply otherwise.
 */
export function stepEnvironment(s: TrainingSettings): { name: string; value: string }[] {
    const env: [string, string | number | boolean | undefined][] = [
        [STEP_ENV.prometheusUrl, s.prometheusUrl],
        [STEP_ENV.mlflowTrackingUri, s.mlflowTrackingUri],
        [STEP_ENV.modelStoreUri, s.modelStoreUri],
        [STEP_ENV.s3EndpointUrl, s.s3EndpointUrl],
        [STEP_ENV.s3ForcePathStyle, s.s3ForcePathStyle],
        [STEP_ENV.awsRegion, s.awsRegion],
        [STEP_ENV.inferenceService, s.inferenceService],
        [STEP_ENV.trainingHours, s.trainingHours],
        [STEP_ENV.trainingStepSeconds, s.trainingStepSeconds],
        [STEP_ENV.promotionMinFlagRate, s.promotionMinFlagRate],
        [STEP_ENV.promotionMaxFlagRate, s.promotionMaxFlagRate],
    ];
    return env.filter((e): e is [string, string | number | boolean] => e[1] !== undefined).map(([name, v]) => ({ name, value: String(v) }));
}
