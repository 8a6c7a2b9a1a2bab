import { DEFAULT_PORTS, METRIC_NAMES, MetricName, TRAINING_HINT_ENV } from "@aiops/contract";
import { ConfigError, DEFAULT_MODELS } from "../config";
import { Env, EnvReader } from "../env";

/** Everything the scorer reads from its environment, validated once at start. */
export interface ScorerConfig {
    /** Env `PORT`, default 9102 (DEFAULT_PORTS.scorer). */
    readonly port: number;
    /** Env `HOST`, default 0.0.0.0. */
    readonly host: string;
    /** Env `PROMETHEUS_URL`, required. */
    readonly prometheusUrl: string;
    /** Env `INFERENCE_SERVICE_URL`, required: the detector's OIP v2 base URL. */
    readonly inferenceServiceUrl: string;
    /** Seconds between the starts of two scoring rounds. Env `SCORE_INTERVAL_SECONDS`, default 60. */
    readonly intervalSeconds: number;
    /** The recent window scored each round, seconds. Env `SCORE_WINDOW_SECONDS`, default the interval. */
    readonly windowSeconds: number;
    /** Instances scored at once. Env `SCORE_CONCURRENCY`, default 4. */
    readonly concurrency: number;
    /** Budget of one instance's four metrics, ms. Env `INSTANCE_TIMEOUT_MS`, default 20000. */
    readonly instanceTimeoutMs: number;
    /** Env `PROMETHEUS_TIMEOUT_MS`, default 10000. */
    readonly prometheusTimeoutMs: number;
    /** Env `INFERENCE_TIMEOUT_MS`, default 10000. */
    readonly inferenceTimeoutMs: number;
    /** Model per metric: the contract's names (the MCP tool's MODEL_* variables are not read here). */
    readonly models: Readonly<Record<MetricName, string>>;
    /** Env MODEL_TRAINING_HINT: logged with "no model trained yet". */
    readonly trainingHint: string | undefined;
}

/** Parses and validates the scorer's environment; throws one ConfigError listing every bad variable. */
export function parseScorerConfig(env: Env): ScorerConfig {
    const { problems, value, int, baseUrl: url } = new EnvReader(env);

    const port = int("PORT", DEFAULT_PORTS.scorer, 0, 65535, "the port /metrics is served on; 0 picks a free one");
    const host = value("HOST") ?? "0.0.0.0";
    const prometheusUrl = url("PROMETHEUS_URL", "http://prometheus-server.monitoring.svc:9090");
    const inferenceServiceUrl = url("INFERENCE_SERVICE_URL", "http://anomaly-detector-predictor.aiops-serving.svc.cluster.local");
    const intervalSeconds = int("SCORE_INTERVAL_SECONDS", 60, 5, 3600, "seconds between scoring rounds");
    const windowSeconds = int("SCORE_WINDOW_SECONDS", intervalSeconds, 10, 86_400, "the recent window scored each round");
    const concurrency = int("SCORE_CONCURRENCY", 4, 1, 64, "instances scored at once");
    const instanceTimeoutMs = int("INSTANCE_TIMEOUT_MS", 20_000, 100, 600_000, "milliseconds for one instance's metrics");
    const prometheusTimeoutMs = int("PROMETHEUS_TIMEOUT_MS", 10_000, 1, 120_000, "milliseconds");
    const inferenceTimeoutMs = int("INFERENCE_TIMEOUT_MS", 10_000, 1, 120_000, "milliseconds");
    const models = Object.fromEntries(METRIC_NAMES.map((m) => [m, DEFAULT_MODELS[m]])) as Record<MetricName, string>;

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        port,
        host,
        prometheusUrl,
        inferenceServiceUrl,
        intervalSeconds,
        windowSeconds,
        concurrency,
        instanceTimeoutMs,
        prometheusTimeoutMs,
        inferenceTimeoutMs,
        models,
        trainingHint: value(TRAINING_HINT_ENV),
    };
}
