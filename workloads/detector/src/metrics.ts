import { Counter, Gauge, Histogram, Registry } from "./prom";
import { registerProcessMetrics } from "./process-metrics";
import { MAX_DRIFT_BINS, type FeatureDistribution } from "./model";

/**
 * Floor for empty bins in the PSI: ln(a/0) is infinite, so both shares are clamped to at least this.
 * 1e-4 sits below the resolution of the default 2,000-row window (1/2000 = 5e-4), so it only matters
 * for truly empty bins.
 */
export const PSI_EPSILON = 1e-4;

/** Rows kept per model for drift (about 5.5 hours of 10-s samples). */
export const DEFAULT_DRIFT_WINDOW = 2000;

/** The drift gauge of a model appears once its window holds this many rows: a PSI of a handful of rows is noise. */
export const DRIFT_MIN_ROWS = 100;

/**
 * Population stability index of `actual` against `expected` (both bin shares summing to 1):
 * sum_i (a_i - e_i) * ln(a_i / e_i), with every share clamped to at least `epsilon`.
 * Common reading: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = PSI_EPSILON): number {
    if (expected.length !== actual.length) {
        throw new Error(`PSI needs the same number of bins; got expected ${expected.length} and actual ${actual.length}`);
    }
    let psi = 0;
    for (let i = 0; i < expected.length; i++) {
        const e = Math.max(expected[i], epsilon);
        const a = Math.max(actual[i], epsilon);
        psi += (a - e) * Math.log(a / e);
    }
    return psi;
}

/**
 * Bin of `x` for inner edges (ascending): bin i is (edges[i-1], edges[i]], so the index is the number of
 * edges strictly below x. Matches the training distribution the model file stores.
 */
export function binIndex(edges: ArrayLike<number>, x: number): number {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (edges[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/**
 * Rolling window of the most recent feature rows of one model, kept as bin indices per feature in a
 * ring buffer with running counts, so adding a row and reading the PSI are O(features) and
 * O(features x bins) with no allocation per request.
 */
export class DriftWindow {
    readonly capacity: number;
    private readonly dists: readonly FeatureDistribution[];
    private readonly ring: Uint16Array[];
    private readonly counts: Int32Array[];
    private readonly scratch: Float64Array[];
    private next = 0;
    private filled = 0;

    constructor(dists: readonly FeatureDistribution[], capacity = DEFAULT_DRIFT_WINDOW) {
        if (!Number.isInteger(capacity) || capacity < 1) {
            throw new Error(`drift window must be a positive integer; got ${capacity}`);
        }
        for (const d of dists) {
            if (d.fractions.length !== d.edges.length + 1 || d.fractions.length > MAX_DRIFT_BINS) {
                throw new Error(
                    `drift distribution of feature '${d.name}' needs edges.length + 1 fractions (at most ${MAX_DRIFT_BINS} bins)`,
                );
            }
        }
        this.capacity = capacity;
        this.dists = dists;
        this.ring = dists.map(() => new Uint16Array(capacity));
        this.counts = dists.map((d) => new Int32Array(d.fractions.length));
        this.scratch = dists.map((d) => new Float64Array(d.fractions.length));
    }

    /** Rows held (at most capacity). */
    get size(): number {
        return this.filled;
    }

    get featureNames(): string[] {
        return this.dists.map((d) => d.name);
    }

    /** Adds feature rows (columns in the model's feature order); rows with a non-finite value are skipped. */
    add(rows: readonly (readonly number[])[]): void {
        const nf = this.dists.length;
        for (const row of rows) if (row.length >= nf) this.addRow(row, 0);
    }

    /** Adds feature rows given flat and row-major with `width` columns (the scoring worker's format). */
    addFlat(flat: Float64Array, width: number): void {
        if (width < this.dists.length) return;
        const n = Math.floor(flat.length / width);
        for (let r = 0; r < n; r++) this.addRow(flat, r * width);
    }

    /** The row at values[offset ..]: a plain index, no closure per row (this runs for every scored point). */
    private addRow(values: ArrayLike<number>, offset: number): void {
        const nf = this.dists.length;
        for (let f = 0; f < nf; f++) if (!Number.isFinite(values[offset + f])) return;
        const slot = this.next;
        const evict = this.filled === this.capacity;
        for (let f = 0; f < nf; f++) {
            if (evict) this.counts[f][this.ring[f][slot]]--;
            const bin = binIndex(this.dists[f].edges, values[offset + f]);
            this.ring[f][slot] = bin;
            this.counts[f][bin]++;
        }
        this.next = (slot + 1) % this.capacity;
        if (!evict) this.filled++;
    }

    /** PSI per feature (model feature order) of the window against the training shares; 0 when empty. */
    psi(): number[] {
        return this.dists.map((d, f) => {
            if (this.filled === 0) return 0;
            const shares = this.scratch[f];
            const counts = this.counts[f];
            for (let b = 0; b < counts.length; b++) shares[b] = counts[b] / this.filled;
            return populationStabilityIndex(d.fractions, shares);
        });
    }
}

/** What the metrics need to know about one model entry. */
export interface ModelStatus {
    name: string;
    ready: boolean;
    version?: string;
    featureSet?: string;
    /** Recent feature rows of a loaded model. */
    drift?: DriftWindow;
    /** The last reload could not read this model's new file: the version above is the last good one. */
    reloadFailed?: boolean;
}

/**
 * prom-client's default metrics include three gauges named like counters (`nodejs_active_handles_total`,
 * `nodejs_active_requests_total`, `nodejs_active_resources_total`), which `promtool check metrics` refuses
 * ("non-counter metrics should not have _total suffix"). The detector's process metrics (process-metrics.ts)
 * never export them; `nodejs_active_resources` carries the figures by type.
 */
export const DROPPED_DEFAULT_METRICS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/**
 * Prometheus metrics of the detector on its own Registry (so tests and several servers in one process
 * do not collide), plus the process and runtime metrics (process-metrics.ts).
 */
export class DetectorMetrics {
    readonly registry = new Registry();
    readonly requests: Counter<"model" | "route" | "status">;
    readonly latency: Histogram<"model" | "route">;
    readonly inferenceSeconds: Histogram<"model">;
    readonly anomalies: Counter<"model">;
    readonly points: Counter<"model">;
    readonly reloads: Counter<"result">;

    /** `models` is read at every scrape, so reloads show up without re-registering anything. */
    constructor(models: () => readonly ModelStatus[], opts: { defaultMetrics?: boolean } = {}) {
        const registers = [this.registry];
        if (opts.defaultMetrics ?? true) registerProcessMetrics(this.registry);
        this.reloads = new Counter({
            name: "detector_model_reloads_total",
            help: "Loads of the model directory (start and SIGHUP) by result: success, or failure when any model file failed to load.",
            labelNames: ["result"],
            registers,
        });
        new Gauge({
            name: "detector_model_reload_failed",
            help: "1 when the last reload could not load this model's file and the previous good version still serves; 0 otherwise.",
            labelNames: ["model"],
            registers,
            collect() {
                this.reset();
                for (const s of models()) if (s.ready) this.set({ model: s.name }, s.reloadFailed === true ? 1 : 0);
            },
        });
        this.requests = new Counter({
            name: "detector_http_requests_total",
            help: "HTTP requests by model (empty for server routes, 'unknown' for names not in the model directory), route pattern and status code.",
            labelNames: ["model", "route", "status"],
            registers,
        });
        this.latency = new Histogram({
            name: "detector_http_request_duration_seconds",
            help: "HTTP request latency from the first byte to the response, by model and route pattern.",
            labelNames: ["model", "route"],
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
            registers,
        });
        this.inferenceSeconds = new Histogram({
            name: "detector_inference_duration_seconds",
            help: "Time spent computing features, scores and drift for one infer request.",
            labelNames: ["model"],
            buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
            registers,
        });
        this.anomalies = new Counter({
            name: "detector_anomalies_total",
            help: "Points labelled anomalous (-1) by model.",
            labelNames: ["model"],
            registers,
        });
        this.points = new Counter({
            name: "detector_points_scored_total",
            help: "Points scored by model.",
            labelNames: ["model"],
            registers,
        });
        new Gauge({
            name: "detector_feature_drift_psi",
            help: `Population stability index of each feature over the recent drift window against the model's training distribution (< 0.1 stable, > 0.25 significant shift); absent until the window holds ${DRIFT_MIN_ROWS} rows.`,
            labelNames: ["model", "feature"],
            registers,
            collect() {
                this.reset();
                for (const { name: model, drift } of models()) {
                    if (drift === undefined || drift.size < DRIFT_MIN_ROWS) continue;
                    const psi = drift.psi();
                    drift.featureNames.forEach((feature, i) => this.set({ model, feature }, psi[i]));
                }
            },
        });
        new Gauge({
            name: "detector_drift_window_rows",
            help: "Feature rows currently in the drift window of each model.",
            labelNames: ["model"],
            registers,
            collect() {
                this.reset();
                for (const { name: model, drift } of models()) if (drift !== undefined) this.set({ model }, drift.size);
            },
        });
        new Gauge({
            name: "detector_model_ready",
            help: "1 when the model file loaded and the model serves requests, 0 when it failed to load.",
            labelNames: ["model"],
            registers,
            collect() {
                this.reset();
                for (const s of models()) this.set({ model: s.name }, s.ready ? 1 : 0);
            },
        });
        new Gauge({
            name: "detector_model_info",
            help: "Loaded models with their version (content hash) and feature set; always 1.",
            labelNames: ["model", "version", "feature_set"],
            registers,
            collect() {
                this.reset();
                for (const s of models()) {
                    if (s.ready) this.set({ model: s.name, version: s.version ?? "", feature_set: s.featureSet ?? "" }, 1);
                }
            },
        });
    }
}
