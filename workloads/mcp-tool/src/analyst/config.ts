import { DEFAULT_PORTS } from "@aiops/contract";
import { EnvReader } from "../env";

/** Everything the analyst reads from its environment, validated once at start. */
export interface AnalystConfig {
    /** Env `PORT`, default 9103 (the contract's DEFAULT_PORTS.analyst). */
    readonly port: number;
    /** Env `HOST`, default 0.0.0.0. */
    readonly host: string;
    /** The agent's A2A JSON-RPC endpoint (kagent: http://kagent-controller.kagent:8083/api/a2a/<ns>/<agent>/). Env `A2A_URL`, required. */
    readonly a2aUrl: string;
    /** Prometheus base URL. Env `PROMETHEUS_URL`, required. */
    readonly prometheusUrl: string;
    /** The detector's base URL, named in the prompt so the agent's tools can be pointed at it. Env `INFERENCE_SERVICE_URL`, required. */
    readonly inferenceServiceUrl: string;
    /** Slack-compatible incoming webhook (POST {"text": markdown}). Env `REPORT_WEBHOOK_URL`; unset: reports go to the log. */
    readonly reportWebhookUrl: string | undefined;
    /**
     * Kubernetes API for events. Env `KUBERNETES_API_URL`; default in cluster https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
     * unset outside a cluster (no events gathered).
     */
    readonly kubernetesApiUrl: string | undefined;
    /** ServiceAccount token and CA (the in-cluster mount). Env `KUBERNETES_TOKEN_FILE`, `KUBERNETES_CA_FILE`. */
    readonly kubernetesTokenFile: string;
    readonly kubernetesCaFile: string;
    /** Alerts waiting for analysis at most; more are dropped and counted. Env `QUEUE_SIZE`, default 100. */
    readonly queueSize: number;
    /** Alerts analysed at once. Env `WORKERS`, default 2. */
    readonly workers: number;
    /** How long the agent may think. Env `AGENT_TIMEOUT_MS`, default 60000. */
    readonly agentTimeoutMs: number;
    /** Timeout of each Prometheus, Kubernetes and webhook call. Env `DEPENDENCY_TIMEOUT_MS`, default 5000. */
    readonly dependencyTimeoutMs: number;
    /** Minutes of metric history put in the context. Env `WINDOW_MINUTES`, default 30. */
    readonly windowMinutes: number;
}

export class AnalystConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid analyst configuration: ${problems.join("; ")}`);
        this.name = "AnalystConfigError";
    }
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Reads and validates the environment; throws one AnalystConfigError listing every problem. */
export function parseAnalystConfig(env: NodeJS.ProcessEnv): AnalystConfig {
    const problems: string[] = [];
    const url = (name: string, required: boolean): string | undefined => {
        const v = env[name]?.trim();
        if (v === undefined || v === "") {
            if (required) problems.push(`${name} is required: set it to an http(s) URL`);
            return undefined;
        }
        try {
            const u = new URL(v);
            if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
            return v.replace(/\/+$/, "");
        } catch {
            problems.push(`${name} must be an http(s) URL such as http://host:port; got '${v}'`);
            return undefined;
        }
    };
    const ints = new EnvReader(env);
    const int = (name: string, def: number, min: number, max: number): number => ints.int(name, def, min, max);
    const inCluster =
        env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== ""
            ? `https://${env.KUBERNETES_SERVICE_HOST.includes(":") ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`
            : undefined;
    const config: AnalystConfig = {
        port: int("PORT", DEFAULT_PORTS.analyst, 0, 65535),
        host: env.HOST?.trim() || "0.0.0.0",
        a2aUrl: url("A2A_URL", true) ?? "",
        prometheusUrl: url("PROMETHEUS_URL", true) ?? "",
        inferenceServiceUrl: url("INFERENCE_SERVICE_URL", true) ?? "",
        reportWebhookUrl: url("REPORT_WEBHOOK_URL", false),
        kubernetesApiUrl: url("KUBERNETES_API_URL", false) ?? inCluster,
        kubernetesTokenFile: env.KUBERNETES_TOKEN_FILE?.trim() || `${SA_DIR}/token`,
        kubernetesCaFile: env.KUBERNETES_CA_FILE?.trim() || `${SA_DIR}/ca.crt`,
        queueSize: int("QUEUE_SIZE", 100, 1, 100_000),
        workers: int("WORKERS", 2, 1, 32),
        agentTimeoutMs: int("AGENT_TIMEOUT_MS", 60_000, 100, 600_000),
        dependencyTimeoutMs: int("DEPENDENCY_TIMEOUT_MS", 5_000, 100, 60_000),
        windowMinutes: int("WINDOW_MINUTES", 30, 5, 24 * 60),
    };
    problems.push(...ints.problems);
    if (problems.length > 0) throw new AnalystConfigError(problems);
    return config;
}
