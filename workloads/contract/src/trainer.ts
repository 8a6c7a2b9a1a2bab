// How the trainer (the `detector` CLI's training commands) is configured and what it leaves behind: the
// Pulumi components that run it (bootstrap Job, CronJob, KFP pipeline steps, the promotion RBAC) and the
// trainer itself read these names from here.

/** The trainer's commands, as `detector <command>` (the KFP pipeline steps and the Jobs call them). */
export const TRAINER_COMMANDS = {
    /** Train one model per metric from Prometheus into a directory (+ manifest.json). */
    trainAll: "train-all",
    /** Upload a trained directory under versions/<version>/ and record it in MLflow. */
    publish: "publish",
    /** Guarded promotion of a published version to the serving copy. */
    promote: "promote",
    /** Unguarded promotion of an older published version. */
    rollback: "rollback",
    /** Placeholder, wait for history, train-all, publish, promote: the bootstrap Job and the CronJob. */
    run: "run",
    /** Only the placeholder step of `run`. */
    bootstrap: "bootstrap",
    /** Roll the predictor to the store's champion when its version annotation differs (the edge's model roller). */
    roll: "roll",
} as const;

/**
 * Environment variables the trainer reads (command-line flags win). Values in the comments are the defaults.
 */
export const TRAINER_ENV = {
    /** Prometheus base URL (required for train-all and run). */
    prometheusUrl: "PROMETHEUS_URL",
    /** MLflow tracking server base URL (required for publish, promote, rollback, run). */
    mlflowTrackingUri: "MLFLOW_TRACKING_URI",
    /** MLflow experiment the runs go to; default `anomaly-detector`. */
    mlflowExperiment: "MLFLOW_EXPERIMENT_NAME",
    /** Model store prefix, `s3://<bucket>/<prefix>` (required for publish, promote, rollback, bootstrap, run). */
    modelStoreUri: "MODEL_STORE_URI",
    /** S3 endpoint with scheme (MinIO, SeaweedFS, https://storage.googleapis.com); empty for AWS S3. */
    s3EndpointUrl: "S3_ENDPOINT_URL",
    /** "true" for path-style bucket addressing; default true when S3_ENDPOINT_URL is set, else false. */
    s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
    /** S3 region; default us-east-1 (GCS interop: auto). */
    awsRegion: "AWS_REGION",
    /** `<namespace>/<name>` of the InferenceService whose predictor a promotion rolls; empty: no roll. */
    inferenceService: "INFERENCE_SERVICE",
    /** Training window in hours; default 168 (a week). */
    trainingHours: "TRAINING_HOURS",
    /** Query step (resolution) in seconds; default 10. */
    trainingStepSeconds: "TRAINING_STEP_SECONDS",
    /** Share of the window, at its recent end, held back from training and used to judge it; default 0.1. */
    holdoutFraction: "TRAINING_HOLDOUT_FRACTION",
    /** Minimum points per instance; default the features' lookback + 60 (see the detector README). */
    minPoints: "TRAINING_MIN_POINTS",
    /** Lowest acceptable flag rate on the held-back window; default 0. */
    promotionMinFlagRate: "PROMOTION_MIN_FLAG_RATE",
    /** Highest acceptable flag rate on the held-back window; default 0.1. */
    promotionMaxFlagRate: "PROMOTION_MAX_FLAG_RATE",
    /** How much the candidate's flag rate may exceed the champion's on the same window; default 0. */
    promotionTolerance: "PROMOTION_TOLERANCE",
    /** `run`: history Prometheus must hold before the first training (e.g. 1h, 90m); default 1h. */
    historyWait: "HISTORY_WAIT",
    /** `run`: give up waiting for history after this long (e.g. 3h); default HISTORY_WAIT + 2h. */
    historyWaitTimeout: "HISTORY_WAIT_TIMEOUT",
} as const;

/**
 * Defaults of the training window, shared by the trainer, the KFP pipeline's parameters and the CronJob.
 * A week at 10 s: the step matches the node-exporter scrape interval the platform sets, so the trainer and
 * the scorer see the samples Prometheus holds, and the features' lookback fills within the first hour.
 */
export const TRAINER_DEFAULTS = {
    trainingHours: 168,
    trainingStepSeconds: 10,
} as const;

/** The pod-template annotation a promotion sets on the InferenceService's predictor (value: the version). */
export const MODEL_VERSION_ANNOTATION = "aiops.dev/model-version";

/** The MLflow registered-model alias of the served version (one registered model per model name). */
export const CHAMPION_ALIAS = "champion";

/** Default MLflow experiment of the training runs. */
export const DEFAULT_MLFLOW_EXPERIMENT = "anomaly-detector";
