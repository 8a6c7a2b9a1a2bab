import { METRIC_NAMES, METRICS, MetricName, isValidInstance } from "@aiops/contract";
import { Env, EnvReader } from "./env";

/** Everything the server reads from its environment, validated once at start. */
export interface Config {
    /** Port to listen on. Env `PORT`, default 8080. */
    readonly port: number;
    /** Address to bind. Env `HOST`, default `0.0.0.0` (all interfaces, as a container needs). */
    readonly host: string;
    /** Prometheus base URL, e.g. `http://prometheus:9090`. Env `PROMETHEUS_URL`, required. */
    readonly prometheusUrl: string;
    /** Detector (KServe OIP v2) base URL. Env `INFERENCE_SERVICE_URL`, required. */
    readonly inferenceServiceUrl: string;
    /** Detector model name per metric. Env `MODEL_CPU`, `MODEL_MEMORY`, `MODEL_DISK`, `MODEL_NETWORK`. */
    readonly models: Readonly<Record<MetricName, string>>;
    /** Instance used when a tool call names none. Env `DEFAULT_INSTANCE_IP`, optional. */
    readonly defaultInstance: string | undefined;
    /** Per-request timeout for Prometheus. Env `PROMETHEUS_TIMEOUT_MS`, default 10000. */
    readonly prometheusTimeoutMs: number;
    /** Per-request timeout for the detector. Env `INFERENCE_TIMEOUT_MS`, default 10000. */
    readonly inferenceTimeoutMs: number;
    /**
     * Host names (ports ignored) accepted in the `Host` header of `/mcp` requests, to refuse DNS rebinding.
     * Env `ALLOWED_HOSTS`, comma-separated; default localhost, 127.0.0.1 and [::1].
     */
    readonly allowedHosts: readonly string[];
    /**
     * Origins (scheme://host[:port]) accepted in the `Origin` header of `/mcp` requests. The MCP Streamable
     * HTTP transport requires servers to validate Origin (DNS rebinding from a browser); a request with a
     * foreign Origin gets 403, one without Origin (kagent, CLI clients) is not affected.
     * Env `ALLOWED_ORIGINS`, comma-separated; default none.
     */
    readonly allowedOrigins: readonly string[];
}

/** The model names the detector serves (the contract's), overridable per metric. */
export const DEFAULT_MODELS: Readonly<Record<MetricName, string>> = {
    cpu: METRICS.cpu.model,
    memory: METRICS.memory.model,
    disk: METRICS.disk.model,
    network: METRICS.network.model,
};

const MODEL_ENV: Record<MetricName, string> = {
    cpu: "MODEL_CPU",
    memory: "MODEL_MEMORY",
    disk: "MODEL_DISK",
    network: "MODEL_NETWORK",
};

export const DEFAULT_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;
const MAX_TIMEOUT_MS = 120_000;
// KServe model names are DNS-1035-ish; OIP puts them in a URL path, so keep them path-safe.
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HOST_NAME = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Parses and validates the environment; throws one ConfigError listing every bad variable. */
export function parseConfig(env: Env): Config {
    const { problems, value, int, baseUrl: url } = new EnvReader(env);

    const port = int("PORT", 8080, 0, 65535, "the port to listen on; 0 picks a free one");
    const host = value("HOST") ?? "0.0.0.0";
    const prometheusUrl = url("PROMETHEUS_URL", "http://prometheus-server.monitoring.svc:9090");
    const inferenceServiceUrl = url("INFERENCE_SERVICE_URL", "http://anomaly-detector.aiops.svc:8080");

    const models = {} as Record<MetricName, string>;
    for (const metric of METRIC_NAMES) {
        const name = MODEL_ENV[metric];
        const raw = value(name) ?? DEFAULT_MODELS[metric];
        if (!MODEL_NAME.test(raw)) {
            problems.push(
                `${name} must be a model name of letters, digits, '.', '_' or '-' (e.g. ${DEFAULT_MODELS[metric]}); got '${raw}'`,
            );
        }
        models[metric] = raw;
    }

    const defaultInstance = value("DEFAULT_INSTANCE_IP");
    if (defaultInstance !== undefined && !isValidInstance(defaultInstance)) {
        problems.push(`DEFAULT_INSTANCE_IP must be a host or host:port such as 10.0.1.10:9100; got '${defaultInstance}'`);
    }

    const prometheusTimeoutMs = int("PROMETHEUS_TIMEOUT_MS", 10_000, 1, MAX_TIMEOUT_MS, "milliseconds");
    const inferenceTimeoutMs = int("INFERENCE_TIMEOUT_MS", 10_000, 1, MAX_TIMEOUT_MS, "milliseconds");

    const allowedHosts: string[] = [];
    const hostsRaw = value("ALLOWED_HOSTS");
    for (const entry of hostsRaw === undefined ? DEFAULT_ALLOWED_HOSTS : hostsRaw.split(",")) {
        const trimmed = entry.trim();
        if (trimmed === "") continue;
        const name = /[/@?#\s]/.test(trimmed) ? undefined : hostnameOf(trimmed);
        if (name === undefined || !HOST_NAME.test(name)) {
            problems.push(
                `ALLOWED_HOSTS entries must be host names or host:port (e.g. anomaly-mcp.kagent.svc.cluster.local:8080); got '${trimmed}'`,
            );
            continue;
        }
        if (!allowedHosts.includes(name)) allowedHosts.push(name);
    }
    if (hostsRaw !== undefined && allowedHosts.length === 0 && problems.every((p) => !p.startsWith("ALLOWED_HOSTS"))) {
        problems.push("ALLOWED_HOSTS must list at least one host name, e.g. localhost,anomaly-mcp.kagent.svc");
    }

    const allowedOrigins: string[] = [];
    for (const entry of (value("ALLOWED_ORIGINS") ?? "").split(",")) {
        const trimmed = entry.trim();
        if (trimmed === "") continue;
        const origin = originOf(trimmed);
        if (origin === undefined) {
            problems.push(
                `ALLOWED_ORIGINS entries must be origins such as https://kagent.example.com (scheme, host, optional port); got '${trimmed}'`,
            );
            continue;
        }
        if (!allowedOrigins.includes(origin)) allowedOrigins.push(origin);
    }

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        port,
        host,
        prometheusUrl,
        inferenceServiceUrl,
        models,
        defaultInstance,
        prometheusTimeoutMs,
        inferenceTimeoutMs,
        allowedHosts,
        allowedOrigins,
    };
}

/** The serialized origin (lower-case scheme and host, default port dropped) of an http(s) origin; undefined otherwise. */
export function originOf(raw: string): string | undefined {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        return undefined;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    // An origin has no path, query, fragment or credentials.
    if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "" || url.username !== "" || raw.endsWith("/"))
        return undefined;
    return url.origin;
}

/** The host name of a `Host` header value or ALLOWED_HOSTS entry, lower-cased and without its port. */
export function hostnameOf(hostHeader: string): string | undefined {
    try {
        const name = new URL(`http://${hostHeader}`).hostname;
        return name === "" ? undefined : name.toLowerCase();
    } catch {
        return undefined;
    }
}
