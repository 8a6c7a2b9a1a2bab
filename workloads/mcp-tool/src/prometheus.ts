import { DependencyError, excerpt, fetchWithin } from "./errors";

export interface RangeSeries {
    readonly labels: Readonly<Record<string, string>>;
    /** [unix seconds, value] pairs; NaN and infinities are dropped. */
    readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface InstantSample {
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

interface ApiResponse {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown };
}

/**
 * Largest Prometheus answer read (bytes). The answer is parsed whole, and JSON.parse of a matrix takes about
 * five times its text in heap, so the cap is what keeps a runaway query inside the 96 MiB heap: 2 MiB is six
 * times the largest answer a tool asks for (one series of 11,000 points, about 0.33 MB).
 */
export const PROMETHEUS_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** Most series one query may return (a node-exporter fleet's instances for list_instances). */
export const PROMETHEUS_MAX_SERIES = 1_000;
/** Most points one query_range may return over all its series (Prometheus itself allows 11,000 per series). */
export const PROMETHEUS_MAX_POINTS = 50_000;

export interface PrometheusClientOptions {
    /** Default PROMETHEUS_MAX_RESPONSE_BYTES. */
    readonly maxResponseBytes?: number;
    /** Default PROMETHEUS_MAX_SERIES. */
    readonly maxSeries?: number;
    /** Default PROMETHEUS_MAX_POINTS. */
    readonly maxPoints?: number;
}

/** The three Prometheus HTTP API calls the tools need, each bounded by a timeout. */
export class PrometheusClient {
    private readonly maxResponseBytes: number;
    private readonly maxSeries: number;
    private readonly maxPoints: number;

    constructor(
        readonly baseUrl: string,
        private readonly timeoutMs: number,
        opts: PrometheusClientOptions = {},
    ) {
        this.maxResponseBytes = opts.maxResponseBytes ?? PROMETHEUS_MAX_RESPONSE_BYTES;
        this.maxSeries = opts.maxSeries ?? PROMETHEUS_MAX_SERIES;
        this.maxPoints = opts.maxPoints ?? PROMETHEUS_MAX_POINTS;
    }

    /**
     * Every answer is checked before use: each series must carry a label object and a values array of
     * [unix seconds, "value"] pairs with strictly increasing timestamps inside [start, end]. A proxy or
     * non-Prometheus backend that answers "success" with anything else gets a `bad_response` error naming
     * Prometheus, rather than a TypeError or points reported in a window they are not in.
     */
    async queryRange(query: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
        const path = "api/v1/query_range";
        const result = await this.call(path, { query, start: String(start), end: String(end), step: String(step) }, "matrix");
        const bad = (detail: string) => new DependencyError("prometheus", "bad_response", this.shown(path), detail);
        let total = 0;
        return result.map((s, i) => {
            if (!isObject(s) || !Array.isArray(s.values)) throw bad(`returned a malformed matrix: result[${i}] has no values array`);
            const labels = this.labelsOf(s.metric, `result[${i}]`, path);
            const values = s.values as unknown[];
            total += values.length;
            if (total > this.maxPoints) {
                throw bad(
                    `returned more than ${this.maxPoints} points for one query, the most this tool reads; ask for a shorter window or fewer series`,
                );
            }
            const points: Array<readonly [number, number]> = [];
            let previous = -Infinity;
            for (let j = 0; j < values.length; j++) {
                const pair = values[j];
                if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "number" || !Number.isFinite(pair[0])) {
                    throw bad(`returned a malformed matrix: result[${i}].values[${j}] is not a [unix seconds, "value"] pair`);
                }
                const t = pair[0];
                if (t < start || t > end) {
                    throw bad(
                        `returned a point at ${isoOf(t)} (result[${i}].values[${j}]) outside the asked window ${isoOf(start)} to ${isoOf(end)}`,
                    );
                }
                if (t <= previous) throw bad(`returned timestamps out of order or repeated at result[${i}].values[${j}]`);
                previous = t;
                const v = sampleValue(pair[1]);
                if (v === undefined)
                    throw bad(`returned a malformed value at result[${i}].values[${j}]: ${excerpt(JSON.stringify(pair[1]), 40)}`);
                // NaN and infinities are real Prometheus values (0/0, a stale rate); the detector cannot score them.
                // The parsed pair becomes the point (its value string replaced by the number): a new [t, v] per point
                // was ~0.6 MB of garbage for a day at 10 s (docs/mcp-tool-memory.md).
                if (Number.isFinite(v)) {
                    pair[1] = v;
                    points.push(pair as [number, number]);
                }
            }
            return { labels, points };
        });
    }

    async query(query: string, time: number): Promise<InstantSample[]> {
        const path = "api/v1/query";
        const result = await this.call(path, { query, time: String(time) }, "vector");
        return result.map((s, i) => {
            const bad = (detail: string) => new DependencyError("prometheus", "bad_response", this.shown(path), detail);
            if (!isObject(s) || !Array.isArray(s.value) || s.value.length !== 2 || typeof s.value[0] !== "number") {
                throw bad(`returned a malformed vector: result[${i}] has no [unix seconds, "value"] value`);
            }
            const value = sampleValue(s.value[1]);
            if (value === undefined) throw bad(`returned a malformed value at result[${i}]: ${excerpt(JSON.stringify(s.value[1]), 40)}`);
            return { labels: this.labelsOf(s.metric, `result[${i}]`, path), value };
        });
    }

    /** The label set of a series; refuses anything but an object of strings. */
    private labelsOf(metric: unknown, where: string, path: string): Record<string, string> {
        if (metric === undefined) return {};
        if (!isObject(metric) || !Object.values(metric).every((v) => typeof v === "string")) {
            throw new DependencyError("prometheus", "bad_response", this.shown(path), `returned malformed labels at ${where}.metric`);
        }
        return metric as Record<string, string>;
    }

    /** Resolves when Prometheus answers /-/ready with 200; throws a DependencyError otherwise. */
    async ready(timeoutMs: number = this.timeoutMs): Promise<void> {
        const url = new URL("-/ready", this.baseUrl);
        const { status, body } = await fetchWithin("prometheus", url, {}, timeoutMs, 64 * 1024);
        if (status !== 200) throw new DependencyError("prometheus", "http", url.href, `is not ready (HTTP ${status}: ${excerpt(body)})`);
    }

    private async call(path: string, params: Record<string, string>, resultType: string): Promise<unknown[]> {
        const url = new URL(path, this.baseUrl);
        // POST with a form body: long PromQL never hits URL length limits.
        const { status, body } = await fetchWithin(
            "prometheus",
            url,
            {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams(params).toString(),
            },
            this.timeoutMs,
            this.maxResponseBytes,
        );
        const shown = this.shown(path);
        let parsed: ApiResponse;
        try {
            parsed = JSON.parse(body) as ApiResponse;
        } catch {
            throw new DependencyError(
                "prometheus",
                status >= 400 ? "http" : "bad_response",
                shown,
                `answered HTTP ${status} with a non-JSON body: ${excerpt(body)}`,
            );
        }
        if (!isObject(parsed)) {
            throw new DependencyError(
                "prometheus",
                "bad_response",
                shown,
                `answered HTTP ${status} with JSON that is not an API response: ${excerpt(body)}`,
            );
        }
        if (status >= 400 || parsed.status !== "success") {
            throw new DependencyError(
                "prometheus",
                "http",
                shown,
                `rejected the query (HTTP ${status}): ${typeof parsed.error === "string" ? excerpt(parsed.error) : excerpt(body)}`,
            );
        }
        if (isObject(parsed.data) && parsed.data.resultType === resultType && !Array.isArray(parsed.data.result)) {
            throw new DependencyError(
                "prometheus",
                "bad_response",
                shown,
                `returned a malformed ${resultType}: data.result is not an array`,
            );
        }
        if (!isObject(parsed.data) || parsed.data.resultType !== resultType || !Array.isArray(parsed.data.result)) {
            throw new DependencyError(
                "prometheus",
                "bad_response",
                shown,
                `returned ${isObject(parsed.data) && typeof parsed.data.resultType === "string" ? excerpt(parsed.data.resultType, 20) : "no"} data where ${resultType} was expected`,
            );
        }
        if (parsed.data.result.length > this.maxSeries) {
            throw new DependencyError(
                "prometheus",
                "bad_response",
                shown,
                `returned ${parsed.data.result.length} series, more than the ${this.maxSeries} this tool reads per query; narrow the query`,
            );
        }
        return parsed.data.result as unknown[];
    }

    /** The endpoint's URL without query, as error messages show it. */
    private shown(path: string): string {
        const url = new URL(path, this.baseUrl);
        return `${url.origin}${url.pathname}`;
    }
}

function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A sample value as Prometheus spells it ("12.5", "NaN", "+Inf"); undefined for anything else. */
function sampleValue(raw: unknown): number | undefined {
    if (typeof raw !== "string" || raw.trim() === "") return undefined;
    // Go's strconv.FormatFloat spells infinities "+Inf" and "-Inf", which Number() does not read.
    if (raw === "+Inf" || raw === "Inf") return Infinity;
    if (raw === "-Inf") return -Infinity;
    const v = Number(raw);
    // Number("0x1f") and Number("1e5") differ from Go's float parsing only for hex, which Prometheus never writes.
    return Number.isNaN(v) && raw !== "NaN" ? undefined : v;
}

function isoOf(seconds: number): string {
    const d = new Date(seconds * 1000);
    return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace(".000Z", "Z");
}
