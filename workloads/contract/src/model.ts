// How the detector's models are stored, served and described: the names the trainer writes, the detector
// reads, the MCP tool and the scorer ask about, and the Pulumi components point KServe at.

/** Files of one trained model set (a directory, or an object-store prefix). */
export const MODEL_FILES = {
    /** Names, versions, training window, points per instance, flag rates: written by `detector train-all`. */
    manifest: "manifest.json",
    /**
     * Written into the serving prefix before any model exists: KServe's storage-initializer fails a pod
     * whose storage URI holds no object, and the detector skips dot files, so it answers "no model trained
     * yet" (503) instead of never starting.
     */
    placeholder: ".no-model-yet",
} as const;

/** The model file of one model: `<model>.json`. */
export function modelFileName(model: string): string {
    return `${model}.json`;
}

/** Layout under the models bucket's prefix (MODEL_STORE_URI, e.g. s3://<models bucket>/anomaly-detector). */
export const MODEL_STORE_LAYOUT = {
    /** The serving copy the InferenceService's storageUri points at: every model file + manifest. */
    serving: "current",
    /** Every trained set, immutable, under versions/<version>/. */
    versions: "versions",
} as const;

/** Keys of the detector's OIP model metadata `properties` (GET /v2/models/<name>) that clients read. */
export const MODEL_PROPERTY = {
    /** Points of history before the first point to score that the features need to be fully formed (integer). */
    lookbackPoints: "lookback_points",
    /** Step, in seconds, of the series the model was trained on (integer). */
    stepSeconds: "training_step_seconds",
} as const;

/** How every component words the state before the first training run (detector 503, MCP tool, scorer). */
export const NO_MODEL_YET = "no model trained yet";

/**
 * Environment variable, set by the Pulumi components on the detector and the MCP tool, that says when the
 * first training runs (e.g. "the bootstrap Job trains once Prometheus holds 1 h of history, then daily at
 * 02:00 UTC"); appended to NO_MODEL_YET answers.
 */
export const TRAINING_HINT_ENV = "MODEL_TRAINING_HINT";
