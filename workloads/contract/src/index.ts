export { METRIC_NAMES, METRICS, MODEL_NAMES, formatValue, isMetricName } from "./metrics";
export type { MetricInfo, MetricName } from "./metrics";
export { UNAME_QUERY, UP_QUERY, buildQuery, escapeRegex, instanceMatcher, isValidInstance, promqlString } from "./promql";
export { DEFAULT_PORTS, SCORER_METRICS } from "./scorer";
export { MODEL_FILES, MODEL_PROPERTY, MODEL_STORE_LAYOUT, NO_MODEL_YET, TRAINING_HINT_ENV, modelFileName } from "./model";
export {
    CHAMPION_ALIAS,
    DEFAULT_MLFLOW_EXPERIMENT,
    MODEL_VERSION_ANNOTATION,
    TRAINER_COMMANDS,
    TRAINER_DEFAULTS,
    TRAINER_ENV,
} from "./trainer";
