import type { Point } from "./series";

/** Prometheus refuses a range query with more than 11,000 points per series. */
export const PROMETHEUS_MAX_POINTS = 11000;
/** Points per request we plan for, leaving room under the limit for rounding. */
export const POINTS_PER_QUERY = 10000;

export class PrometheusError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PrometheusError";
    }
}

export interface RangeWindow {
    start: number;
    end: number;
}

/**
 * Splits [start, end] into consecutive windows of at most `maxPoints` samples at `step`, so the whole
 * range keeps its resolution (a week at 10 s is 60,480 points) while each query_range stays under
 * Prometheus's 11,000-point limit. Window k starts one step after window k-1 ends, so no sample repeats.
 */
export function planRangeQueries(start: number, end: number, step: number, maxPoints = POINTS_PER_QUERY): RangeWindow[] {
    if (!(step > 0) || !Number.isFinite(step)) throw new Error(`step must be a positive number of seconds; got ${step}`);
    if (!(end >= start)) throw new Error(`range end (${end}) must not be before its start (${start})`);
    if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new Error(`maxPoints must be a positive integer; got ${maxPoints}`);
    const windows: RangeWindow[] = [];
    const span = (maxPoints - 1) * step;
    for (let s = start; s <= end; s += span + step) {
        windows.push({ start: s, end: Math.min(s + span, end) });
    }
    return windows;
}

export interface FetchSeriesOptions {
    /** Prometheus base URL, e.g. http://prometheus-operated.monitoring:9090 (a trailing slash is fine). */
    url: string;
    /** PromQL that yields exactly one series. */
    query: string;
    /** How far back from `end` to read. */
    hours: number;
    /** Resolution in seconds. Default 10 (node-exporter's usual scrape interval). */
    step?: number;
    /** End of the range, unix seconds. Default now, rounded down to a multiple of step. */
    end?: number;
    /** Per-request timeout. Default 30 s. */
    timeoutMs?: number;
}

interface PrometheusResponse {
    status?: string;
    errorType?: string;
    error?: string;
    data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }> };
}

/**
 * Reads one series over the last `hours` with query_range, in as many requests as the 11,000-point limit
 * needs. Throws PrometheusError naming Prometheus and its URL when it is unreachable, rejects the query,
 * returns no data or returns several series. Non-finite samples (NaN, +Inf) are dropped.
 */
export async function fetchSeries(opts: FetchSeriesOptions): Promise<Point[]> {
    const step = opts.step ?? 10;
    if (!(opts.hours > 0)) throw new PrometheusError(`hours must be positive; got ${opts.hours}`);
    const end = opts.end ?? Math.floor(Date.now() / 1000 / step) * step;
    const start = end - opts.hours * 3600;
    const base = opts.url.replace(/\/+$/, "");
    const byTime = new Map<number, number>();
    let seriesLabels: string | undefined;
    for (const w of planRangeQueries(start, end, step)) {
        const series = await queryRange(base, opts.query, w, step, opts.timeoutMs ?? 30000);
        if (series.length > 1) {
            throw new PrometheusError(
                `Prometheus at ${base} returned ${series.length} series for '${opts.query}' (e.g. ${series
                    .slice(0, 2)
                    .map((s) => labelText(s.metric))
                    .join(", ")}); the trainer needs one: aggregate it (avg(...), sum by () (...)) or add label matchers`,
            );
        }
        if (series.length === 0) continue;
        const labels = labelText(series[0].metric);
        if (seriesLabels !== undefined && labels !== seriesLabels) {
            throw new PrometheusError(
                `Prometheus at ${base} returned different series for '${opts.query}' over time (${seriesLabels} then ${labels}); aggregate the query to one series`,
            );
        }
        seriesLabels = labels;
        for (const [t, v] of series[0].values ?? []) {
            const value = Number(v);
            if (Number.isFinite(value)) byTime.set(Number(t), value);
        }
    }
    if (byTime.size === 0) {
        throw new PrometheusError(
            `Prometheus at ${base} returned no data for '${opts.query}' between ${iso(start)} and ${iso(end)} (last ${opts.hours} h); check the query and time range in the Prometheus UI`,
        );
    }
    return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([timestamp, value]) => ({ timestamp, value }));
}

/** One series' samples in time order, as two parallel arrays (8 bytes a number, not an object per point). */
export interface SeriesSamples {
    timestamps: number[];
    values: number[];
}

export interface FetchByLabelOptions {
    /** Prometheus base URL (a trailing slash is fine). */
    url: string;
    /** PromQL that yields one series per value of `label`, e.g. `avg by (instance) (...)`. */
    query: string;
    /** Range start and end, unix seconds. */
    start: number;
    end: number;
    /** Resolution in seconds. */
    step: number;
    /** The label that tells the series apart. Default `instance`. */
    label?: string;
    /** Per-request timeout. Default 30 s. */
    timeoutMs?: number;
    /**
     * Samples (points x series) one response may hold; after the first window the trainer sizes each window
     * by the number of series it saw, so a cluster with many nodes does not get one huge response.
     * Default 200,000 (about 6 MB of JSON).
     */
    maxSamplesPerQuery?: number;
}

/**
 * Reads every series of a query over [start, end] in consecutive windows, each under Prometheus's
 * 11,000-points-per-series limit and `maxSamplesPerQuery` samples, and returns them keyed by `label`
 * (series without it are keyed by their whole label set). Non-finite samples are dropped; no data is an
 * empty map (the caller words what that means). Errors name Prometheus and its URL, as fetchSeries does.
 */
export async function fetchSeriesByLabel(opts: FetchByLabelOptions): Promise<Map<string, SeriesSamples>> {
    const { start, end, step } = opts;
    planRangeQueries(start, end, step, 1); // validates the range and step
    const base = opts.url.replace(/\/+$/, "");
    const label = opts.label ?? "instance";
    const budget = opts.maxSamplesPerQuery ?? 200_000;
    const out = new Map<string, SeriesSamples>();
    let seriesSeen = 1;
    for (let s = start; s <= end;) {
        const points = Math.max(1, Math.min(POINTS_PER_QUERY, Math.floor(budget / Math.max(1, seriesSeen))));
        const w = { start: s, end: Math.min(s + (points - 1) * step, end) };
        const series = await queryRange(base, opts.query, w, step, opts.timeoutMs ?? 30000);
        seriesSeen = Math.max(seriesSeen, series.length);
        for (const one of series) {
            const key = one.metric?.[label] ?? labelText(one.metric);
            let samples = out.get(key);
            if (samples === undefined) {
                samples = { timestamps: [], values: [] };
                out.set(key, samples);
            }
            for (const [t, v] of one.values ?? []) {
                const value = Number(v);
                if (!Number.isFinite(value)) continue;
                samples.timestamps.push(Number(t));
                samples.values.push(value);
            }
        }
        s = w.end + step;
    }
    return out;
}

async function queryRange(
    base: string,
    query: string,
    w: RangeWindow,
    step: number,
    timeoutMs: number,
): Promise<NonNullable<NonNullable<PrometheusResponse["data"]>["result"]>> {
    const params = new URLSearchParams({ query, start: String(w.start), end: String(w.end), step: String(step) });
    let res: Response;
    try {
        res = await fetch(`${base}/api/v1/query_range`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: params.toString(),
            signal: AbortSignal.timeout(timeoutMs),
        });
    } catch (err) {
        throw new PrometheusError(
            `cannot reach Prometheus at ${base}: ${causeText(err)}; check --prometheus and that Prometheus is running`,
        );
    }
    const text = await res.text();
    let body: PrometheusResponse;
    try {
        body = JSON.parse(text) as PrometheusResponse;
    } catch {
        throw new PrometheusError(
            `Prometheus at ${base} answered HTTP ${res.status} with a non-JSON body; is ${base} the Prometheus base URL (e.g. http://prometheus:9090)?`,
        );
    }
    if (!res.ok || body.status !== "success") {
        throw new PrometheusError(
            `Prometheus at ${base} rejected '${query}' (HTTP ${res.status}${body.errorType ? ` ${body.errorType}` : ""}): ${body.error ?? "no error message"}`,
        );
    }
    if (body.data?.resultType !== "matrix") {
        throw new PrometheusError(
            `Prometheus at ${base} returned a ${body.data?.resultType ?? "missing"} result for '${query}'; expected a range vector (matrix)`,
        );
    }
    return body.data.result ?? [];
}

function labelText(metric: Record<string, string> | undefined): string {
    const entries = Object.entries(metric ?? {});
    return `{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

/** A fetch error as a short cause: "timed out", ECONNREFUSED, ... (shared by the HTTP clients). */
export function causeText(err: unknown): string {
    if (err instanceof Error) {
        if (err.name === "TimeoutError") return "timed out";
        const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
        return cause?.code ?? cause?.message ?? err.message;
    }
    return String(err);
}

function iso(t: number): string {
    return new Date(t * 1000).toISOString();
}
