/**
 * The model file (versioned JSON, never pickle) and the train / score entry points used by the CLI and server.
 */
import { readFileSync } from "node:fs";
import {
    computeFeatureColumns,
    computeFeatures,
    FEATURE_SETS,
    featureLookback,
    fitFeatureParams,
    isFeatureSetName,
    type FeatureParams,
    type FeatureSetName,
} from "./features";
import { fitForest, offsetFor, scoreSamples, sortedPercentile, toFloat32Matrix, type Forest, type Tree } from "./iforest";
import { Random } from "./random";
import type { Point } from "./series";

export const MODEL_FORMAT = "aiops-iforest";
export const MODEL_VERSION = 1;

export interface TrainOptions {
    /** Model name served at /v2/models/<name>. */
    name: string;
    /** Default "default". */
    featureSet?: FeatureSetName;
    /**
     * Share of training points flagged, in (0, 0.5], or "auto" (sklearn's offset -0.5). Default 0.014. For the
     * default feature set it is a budget of events rather than points: see eventOffset.
     */
    contamination?: number | "auto";
    /** Number of trees. Default 100. */
    trees?: number;
    /** Subsample per tree, min(maxSamples, n). Default 256. */
    maxSamples?: number;
    /** PRNG seed (uint32). Default 42. */
    seed?: number;
}

export const DEFAULT_TRAIN_OPTIONS = {
    featureSet: "default" as FeatureSetName,
    contamination: 0.014 as number | "auto",
    trees: 100,
    maxSamples: 256,
    seed: 42,
};

/** Number of quantile bins recorded per feature for drift monitoring. */
export const DRIFT_BINS = 10;

/**
 * One isolation tree as flat arrays, node 0 is the root (sklearn's tree_ layout).
 * Leaves have left = right = -1; their feature and threshold are -2 and ignored.
 */
export type TreeJson = Tree;

/** Training distribution of one feature: quantile bin edges and the share of training rows per bin. */
export interface FeatureDistribution {
    name: string;
    /** Inner bin edges, strictly ascending; bin 0 is (-inf, edges[0]], bin i is (edges[i-1], edges[i]], the last is (edges[k-1], inf). */
    edges: number[];
    /** Share of training rows per bin, length edges.length + 1, sums to 1. */
    fractions: number[];
}

export interface ModelFile {
    format: typeof MODEL_FORMAT;
    version: typeof MODEL_VERSION;
    name: string;
    /** ISO 8601 time of training. */
    createdAt: string;
    featureSet: FeatureSetName;
    /** Feature names in column order (equal to FEATURE_SETS[featureSet]). */
    features: string[];
    /** Feature parameters fitted on the training series (see features.ts), reused when serving. */
    featureParams: FeatureParams;
    /**
     * Points of history the features need before the first point to score (contract MODEL_PROPERTY.lookback_points):
     * a client scoring a window sends this many points before it and reads the labels of the window only.
     * Files written before this field existed get featureLookback(featureSet) when loaded.
     */
    lookbackPoints: number;
    /**
     * Median spacing of the training series in seconds (contract MODEL_PROPERTY.training_step_seconds): windows
     * count points, so lookbackPoints * stepSeconds is the history to fetch. 0 when training had one point.
     */
    stepSeconds: number;
    /** Training window: first and last timestamp (unix seconds) and number of points. */
    training: { start: number; end: number; points: number };
    params: { trees: number; maxSamples: number; contamination: number | "auto"; seed: number };
    /** Subsample size actually used, min(maxSamples, n): the c() normaliser of the score. */
    maxSamplesUsed: number;
    /** sklearn offset_: decision = score - offset; a point is an anomaly (-1) when decision < 0. */
    offset: number;
    trees: TreeJson[];
    /** One entry per feature, in column order. */
    drift: FeatureDistribution[];
}

export class ModelFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ModelFileError";
    }
}

export interface ScoredPoint {
    timestamp: number;
    value: number;
    /** sklearn score_samples: -2^(-E[h]/c(maxSamplesUsed)), in [-1, 0); lower is more abnormal. */
    score: number;
    /** -1 anomaly, 1 normal. */
    label: 1 | -1;
}

/**
 * Trains on one series, or on several (one per node: `train-all`), whose features are computed per series
 * (each node's own baseline) and whose rows are pooled into one forest; feature parameters are fitted on
 * all points together.
 */
export function trainModel(data: Point[] | readonly Point[][], opts: TrainOptions, stats?: TrainingStats): ModelFile {
    const o = resolveTrainOptions(opts);
    const series = isSeriesList(data) ? data.filter((s) => s.length > 0) : [data];
    let total = 0;
    for (const s of series) total += s.length;
    if (total === 0) throw new Error("trainModel: the training series is empty; send at least one point");
    const featureParams = fitFeatureParams(series);
    const perSeries = series.map((s) => computeFeatureColumns(s, o.featureSet, featureParams));
    const names = perSeries[0].names;
    const d = names.length;
    // Row-major float32 matrix (sklearn's cast of X), filled column by column, series after series.
    const x = new Float32Array(total * d);
    let row = 0;
    for (const f of perSeries) {
        const n = f.columns[0].length;
        for (let j = 0; j < d; j++) {
            const c = f.columns[j];
            for (let i = 0; i < n; i++) x[(row + i) * d + j] = c[i];
        }
        row += n;
    }
    const forest = fitForest(x, total, d, { trees: o.trees, maxSamples: o.maxSamples, seed: o.seed });
    const lengths = perSeries.map((f) => f.columns[0].length);
    const candidates = offsetRows(lengths, o.featureSet);
    let trainingScores: Float64Array;
    let offset: number;
    if (o.featureSet === "default" && o.contamination !== "auto") {
        // The threshold from the training scores in time order, each run of consecutive flags counted as one
        // event (eventOffset); above OFFSET_SAMPLE_ROWS rows, from contiguous blocks of them.
        const rows = candidates ?? allRows(total);
        const picked = rows.length <= OFFSET_SAMPLE_ROWS ? rows : sampleBlocks(rows, OFFSET_SAMPLE_ROWS, o.seed);
        trainingScores = scoreSamples(forest, gatherRows(x, picked, d), picked.length);
        offset = eventOffset(trainingScores, adjacentRows(picked, lengths), o.contamination);
    } else {
        // sklearn scores every training row for offset_; above OFFSET_SAMPLE_ROWS rows (a week of 10-s samples from
        // many nodes) a seeded uniform sample of that many rows estimates the same percentile (standard error of a
        // 2% quantile from 32,768 rows: 0.08 percentage points) at a fraction of the cost.
        const sample =
            candidates === undefined && total <= OFFSET_SAMPLE_ROWS
                ? { x, rows: total }
                : sampleRows(x, candidates ?? allRows(total), d, Math.min(OFFSET_SAMPLE_ROWS, candidates?.length ?? total), o.seed);
        trainingScores = scoreSamples(forest, sample.x, sample.rows);
        offset = offsetFor(trainingScores, o.contamination);
    }
    if (stats !== undefined) {
        let below = 0;
        for (const score of trainingScores) if (score - offset < 0) below++;
        stats.trainingFlagRate = below / trainingScores.length;
    }
    let start = Infinity;
    let end = -Infinity;
    for (const s of series) {
        for (const p of s) {
            if (p.timestamp < start) start = p.timestamp;
            if (p.timestamp > end) end = p.timestamp;
        }
    }
    return {
        format: MODEL_FORMAT,
        version: MODEL_VERSION,
        name: o.name,
        createdAt: new Date().toISOString(),
        featureSet: o.featureSet,
        features: names,
        featureParams,
        lookbackPoints: featureLookback(o.featureSet),
        stepSeconds: medianStep(series),
        training: { start, end, points: total },
        params: { trees: o.trees, maxSamples: o.maxSamples, contamination: o.contamination, seed: o.seed },
        maxSamplesUsed: forest.maxSamplesUsed,
        offset,
        trees: forest.trees,
        drift: names.map((name, j) => featureDistribution(name, driftColumn(x, total, d, j))),
    };
}

/** Training rows above which the offset is estimated on a sample (see trainModel). */
export const OFFSET_SAMPLE_ROWS = 32_768;
/** Training rows above which the drift deciles are read from every k-th row (k = ceil(rows / DRIFT_SAMPLE_ROWS)). */
export const DRIFT_SAMPLE_ROWS = 262_144;

/**
 * Fewest fully formed rows the offset is taken from (at the default 1.4% contamination the cut then rests on
 * one row or more); with fewer it comes from every row, as sklearn's does.
 */
export const MIN_OFFSET_ROWS = 100;

/**
 * The training rows the offset (the flag threshold) is taken from, or undefined for every row.
 * Serving scores only rows whose features are fully formed: a client sends lookbackPoints of history before
 * the points it asks about. The first lookbackPoints rows of each training series are not: their trailing
 * windows are half empty, they score unlike anything served, and with little history they are most of the
 * rows (290 of the 360 per node that the bootstrap's first hour gives at 10 s), so the 2% cut fell among
 * them and the first model flagged almost nothing (docs/detector-quality.md, third round). The forest still
 * learns from every row. The seed set keeps sklearn's protocol (every row): it reproduces the published pipeline.
 */
export function offsetRows(seriesLengths: readonly number[], featureSet: FeatureSetName): Int32Array | undefined {
    if (featureSet === "seed") return undefined;
    const lookback = featureLookback(featureSet);
    let full = 0;
    for (const n of seriesLengths) full += Math.max(0, n - lookback);
    if (full < MIN_OFFSET_ROWS) return undefined;
    const rows = new Int32Array(full);
    let first = 0;
    let k = 0;
    for (const n of seriesLengths) {
        for (let i = lookback; i < n; i++) rows[k++] = first + i;
        first += n;
    }
    return rows;
}

function allRows(total: number): Int32Array {
    const rows = new Int32Array(total);
    for (let i = 0; i < total; i++) rows[i] = i;
    return rows;
}

/**
 * Points of a run of consecutive flags that count fully toward the default set's flag budget; each further
 * point of the run counts 1 / EVENT_POINTS (eventOffset).
 */
export const EVENT_POINTS = 4;

/** Budget a run of `len` consecutive flags uses: len up to EVENT_POINTS, then 1 / EVENT_POINTS per point. */
export function runCost(len: number): number {
    return len <= EVENT_POINTS ? len : EVENT_POINTS + (len - EVENT_POINTS) / EVENT_POINTS;
}

/**
 * The default set's threshold: flag the lowest training scores, lowest first, while the flags' budget (runCost
 * per run of consecutive flags) stays within contamination x rows; the offset is the score of the first row
 * that would overspend it. sklearn's percentile counts every point, so one sustained anomaly (a level shift
 * whose first day of points all look new against the trailing baseline) spent a whole series' budget and hid
 * every later anomaly of that series, while a lone spike used the same budget per point as a shift
 * (docs/detector-quality.md, fifth round). Counting a run's points after the first EVENT_POINTS at a quarter
 * lets a series with a long event flag that event and still reach its next one; a calm series, whose flags
 * are lone points, flags contamination x rows as before. The cost of a run is at least len / EVENT_POINTS, so
 * at most EVENT_POINTS x contamination of the rows are ever flagged.
 * scores: in time order; adjacent[k] is 1 when row k directly follows row k - 1 in the same series.
 */
export function eventOffset(scores: Float64Array, adjacent: Uint8Array, contamination: number): number {
    const m = scores.length;
    if (m === 0) throw new Error("eventOffset: no training scores");
    const order = Int32Array.from({ length: m }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
    // endLen[k] / startLen[k]: length of the run of flags ending / starting at k, kept up to date at run ends.
    const endLen = new Int32Array(m);
    const startLen = new Int32Array(m);
    const flagged = new Uint8Array(m);
    const budget = contamination * m;
    let spent = 0;
    for (const k of order) {
        const left = k > 0 && adjacent[k] === 1 && flagged[k - 1] === 1 ? endLen[k - 1] : 0;
        const right = k + 1 < m && adjacent[k + 1] === 1 && flagged[k + 1] === 1 ? startLen[k + 1] : 0;
        const len = left + 1 + right;
        const cost = runCost(len) - runCost(left) - runCost(right);
        if (spent + cost > budget) return scores[k];
        spent += cost;
        flagged[k] = 1;
        endLen[k + right] = len;
        startLen[k - left] = len;
    }
    // Only when contamination x rows exceeds the cost of flagging every row (contamination above 1 / EVENT_POINTS).
    return offsetFor(scores, contamination);
}

/** 1 where picked[k] is the training row right after picked[k - 1] in the same series (series lengths in pooled order). */
export function adjacentRows(picked: Int32Array, seriesLengths: readonly number[]): Uint8Array {
    const starts = new Set<number>();
    let first = 0;
    for (const n of seriesLengths) {
        starts.add(first);
        first += n;
    }
    const out = new Uint8Array(picked.length);
    for (let k = 1; k < picked.length; k++) out[k] = picked[k] === picked[k - 1] + 1 && !starts.has(picked[k]) ? 1 : 0;
    return out;
}

/** Rows of the offset sample drawn as contiguous blocks (runs need neighbours), kept in time order. */
export const OFFSET_BLOCK_ROWS = 512;

/** `count` of `candidates` (ascending) as seeded randomly chosen blocks of OFFSET_BLOCK_ROWS consecutive candidates, in order. */
export function sampleBlocks(candidates: Int32Array, count: number, seed: number): Int32Array {
    const blocks = Math.ceil(candidates.length / OFFSET_BLOCK_ROWS);
    const want = Math.min(blocks, Math.max(1, Math.floor(count / OFFSET_BLOCK_ROWS)));
    const rng = new Random((seed ^ 0x5eed0ff5) >>> 0);
    const pool = Int32Array.from({ length: blocks }, (_, i) => i);
    for (let i = 0; i < want; i++) {
        const k = i + rng.int(blocks - i);
        const b = pool[k];
        pool[k] = pool[i];
        pool[i] = b;
    }
    const chosen = pool.subarray(0, want).sort();
    const out: number[] = [];
    for (const b of chosen)
        for (let i = b * OFFSET_BLOCK_ROWS; i < Math.min(candidates.length, (b + 1) * OFFSET_BLOCK_ROWS); i++) out.push(candidates[i]);
    return Int32Array.from(out);
}

/** The given rows of the row-major matrix `x` (d columns), in the given order. */
function gatherRows(x: Float32Array, rows: Int32Array, d: number): Float32Array {
    const out = new Float32Array(rows.length * d);
    for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
    return out;
}

/** `count` rows of `x` drawn without replacement from `candidates` (a seeded partial shuffle; all of them when count = length). */
function sampleRows(x: Float32Array, candidates: Int32Array, d: number, count: number, seed: number): { x: Float32Array; rows: number } {
    const rng = new Random((seed ^ 0x5eed0ff5) >>> 0);
    const pool = Int32Array.from(candidates);
    const rows = pool.length;
    const out = new Float32Array(count * d);
    for (let i = 0; i < count; i++) {
        const k = i + rng.int(rows - i);
        const r = pool[k];
        pool[k] = pool[i];
        pool[i] = r;
        out.set(x.subarray(r * d, r * d + d), i * d);
    }
    return { x: out, rows: count };
}

/** Column j of the training matrix (every k-th row above DRIFT_SAMPLE_ROWS), as the float32 values the forest saw. */
function driftColumn(x: Float32Array, rows: number, d: number, j: number): Float64Array {
    const stride = Math.ceil(rows / DRIFT_SAMPLE_ROWS);
    const out = new Float64Array(Math.ceil(rows / stride));
    for (let i = 0, k = 0; i < rows; i += stride, k++) out[k] = x[i * d + j];
    return out;
}

/** Median spacing of consecutive timestamps over every series (first 10,000 points of each), in seconds. */
export function medianStep(series: readonly (readonly Point[])[]): number {
    const steps: number[] = [];
    for (const s of series) {
        const ts = Float64Array.from(s.slice(0, 10_000), (p) => p.timestamp).sort();
        for (let i = 1; i < ts.length; i++) if (ts[i] > ts[i - 1]) steps.push(ts[i] - ts[i - 1]);
    }
    if (steps.length === 0) return 0;
    const sorted = Float64Array.from(steps).sort();
    return sorted[(sorted.length - 1) >> 1];
}

/** Filled in by trainModel when passed: facts of the fit that only training sees. */
export interface TrainingStats {
    /** Share of the training rows the model labels -1 (about the contamination, by construction). */
    trainingFlagRate?: number;
}

function isSeriesList(data: Point[] | readonly Point[][]): data is readonly Point[][] {
    return data.length > 0 && Array.isArray(data[0]);
}

/** Applies defaults and checks every option, throwing one error that lists each problem. */
export function resolveTrainOptions(opts: TrainOptions): Required<TrainOptions> {
    const o = { ...DEFAULT_TRAIN_OPTIONS, ...stripUndefined(opts) } as Required<TrainOptions>;
    const problems: string[] = [];
    if (typeof o.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(o.name)) {
        problems.push(`name must be 1-63 characters of letters, digits, ".", "_" or "-"; got ${JSON.stringify(o.name)}`);
    }
    if (!isFeatureSetName(o.featureSet)) {
        problems.push(`featureSet must be one of ${Object.keys(FEATURE_SETS).join(", ")}; got ${JSON.stringify(o.featureSet)}`);
    }
    if (o.contamination !== "auto" && !(typeof o.contamination === "number" && o.contamination > 0 && o.contamination <= 0.5)) {
        problems.push(`contamination must be "auto" or a number in (0, 0.5]; got ${JSON.stringify(o.contamination)}`);
    }
    if (!Number.isInteger(o.trees) || o.trees < 1 || o.trees > 10000) {
        problems.push(`trees must be an integer in [1, 10000]; got ${JSON.stringify(o.trees)}`);
    }
    if (!Number.isInteger(o.maxSamples) || o.maxSamples < 1) {
        problems.push(`maxSamples must be an integer >= 1; got ${JSON.stringify(o.maxSamples)}`);
    }
    if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
        problems.push(`seed must be an integer in [0, 4294967295]; got ${JSON.stringify(o.seed)}`);
    }
    if (problems.length > 0) throw new Error(`invalid training options: ${problems.join("; ")}`);
    return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Decile edges (deduplicated) of a training feature and the share of rows in each bin. */
export function featureDistribution(name: string, values: ArrayLike<number>): FeatureDistribution {
    const edges: number[] = [];
    const sorted = Float64Array.from(values).sort();
    for (let b = 1; b < DRIFT_BINS; b++) {
        const e = sortedPercentile(sorted, (100 * b) / DRIFT_BINS);
        if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
    }
    return { name, edges, fractions: binFractions(values, edges) };
}

/** Share of values per bin: bin 0 is (-inf, edges[0]], bin i is (edges[i-1], edges[i]], last is above the top edge. */
export function binFractions(values: ArrayLike<number>, edges: readonly number[]): number[] {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (let i = 0; i < values.length; i++) {
        const v = values[i];
        // Binary search for the first edge >= v.
        let lo = 0;
        let hi = edges.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (edges[mid] >= v) hi = mid;
            else lo = mid + 1;
        }
        counts[lo]++;
    }
    return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
}

/** The feature rows the model scores for these points (input order), e.g. for drift monitoring. */
export function featureRows(model: ModelFile, points: Point[]): number[][] {
    return computeFeatures(points, model.featureSet, model.featureParams).rows;
}

/** sklearn's score_samples and predict for precomputed feature rows. */
export function scoreRows(model: ModelFile, rows: readonly (readonly number[])[]): { scores: Float64Array; labels: (1 | -1)[] } {
    const forest: Forest = { trees: model.trees, maxSamplesUsed: model.maxSamplesUsed, nFeatures: model.features.length };
    const scores = scoreSamples(forest, toFloat32Matrix(rows, forest.nFeatures), rows.length);
    const labels = Array.from(scores, (s): 1 | -1 => (s - model.offset < 0 ? -1 : 1));
    return { scores, labels };
}

/**
 * scoreRows for rows given flat and row-major (nFeatures columns): the same float32 cast, scores and labels,
 * without one array per row.
 */
export function scoreFlatRows(model: ModelFile, rows: Float64Array): { scores: Float64Array; labels: (1 | -1)[] } {
    const forest: Forest = { trees: model.trees, maxSamplesUsed: model.maxSamplesUsed, nFeatures: model.features.length };
    const nRows = rows.length / forest.nFeatures;
    const scores = scoreSamples(forest, Float32Array.from(rows), nRows);
    const labels = Array.from(scores, (s): 1 | -1 => (s - model.offset < 0 ? -1 : 1));
    return { scores, labels };
}

/** One score and label per input point, in input order. */
export function scoreSeries(model: ModelFile, points: Point[]): ScoredPoint[] {
    if (points.length === 0) throw new Error("scoreSeries: the series is empty; send at least one point");
    const { scores, labels } = scoreRows(model, featureRows(model, points));
    return points.map((p, i) => ({ timestamp: p.timestamp, value: p.value, score: scores[i], label: labels[i] }));
}

export function loadModelFile(path: string): ModelFile {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        throw new ModelFileError(`cannot read model file ${path}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new ModelFileError(`model file ${path} is not valid JSON: ${(e as Error).message}`);
    }
    return parseModelFile(json, path);
}

/** Validates a parsed model file; throws ModelFileError listing every problem with its field path. */
export function parseModelFile(json: unknown, source = "model file"): ModelFile {
    const problems: string[] = [];
    const fail = (field: string, msg: string) => problems.push(`${field} ${msg}`);
    if (!isObject(json)) throw new ModelFileError(`${source}: expected a JSON object, got ${typeName(json)}`);
    const m = json;
    if (m.format !== MODEL_FORMAT) fail("format", `must be "${MODEL_FORMAT}", got ${JSON.stringify(m.format)}`);
    if (m.version !== MODEL_VERSION) {
        fail("version", `must be ${MODEL_VERSION} (this server reads version ${MODEL_VERSION}), got ${JSON.stringify(m.version)}`);
    }
    if (problems.length > 0) throw new ModelFileError(`${source}: ${problems.join("; ")}`);

    if (typeof m.name !== "string" || m.name === "") fail("name", "must be a non-empty string");
    if (typeof m.createdAt !== "string") fail("createdAt", "must be an ISO 8601 string");
    if (!isFeatureSetName(m.featureSet)) {
        fail("featureSet", `must be one of ${Object.keys(FEATURE_SETS).join(", ")}, got ${JSON.stringify(m.featureSet)}`);
    }
    // Files written before issue 15 say "default" for the set now called default-v1: read them as that set,
    // so a rollback to an older model version still serves.
    if (m.featureSet === "default" && Array.isArray(m.features) && m.features.join(",") === FEATURE_SETS["default-v1"].join(",")) {
        m.featureSet = "default-v1";
    }
    const expected = isFeatureSetName(m.featureSet) ? FEATURE_SETS[m.featureSet] : undefined;
    if (!Array.isArray(m.features) || !m.features.every((f) => typeof f === "string")) {
        fail("features", "must be an array of feature names");
    } else if (expected && m.features.join(",") !== expected.join(",")) {
        fail("features", `must be [${expected.join(", ")}] for feature set ${String(m.featureSet)}, got [${m.features.join(", ")}]`);
    }
    const nFeatures = expected?.length ?? 0;
    if (!isObject(m.featureParams)) fail("featureParams", "must be an object {scaleFloor}");
    else if (!(isFiniteNumber(m.featureParams.scaleFloor) && m.featureParams.scaleFloor > 0)) {
        fail("featureParams.scaleFloor", `must be a positive number, got ${JSON.stringify(m.featureParams.scaleFloor)}`);
    }

    if (m.lookbackPoints === undefined && isFeatureSetName(m.featureSet)) m.lookbackPoints = featureLookback(m.featureSet);
    else if (!isCount(m.lookbackPoints, 0)) fail("lookbackPoints", `must be an integer >= 0, got ${JSON.stringify(m.lookbackPoints)}`);
    else if (isFeatureSetName(m.featureSet) && m.lookbackPoints < featureLookback(m.featureSet)) {
        fail(
            "lookbackPoints",
            `must be at least ${featureLookback(m.featureSet)} for feature set ${m.featureSet}, got ${m.lookbackPoints}`,
        );
    }
    if (m.stepSeconds === undefined) m.stepSeconds = 0;
    else if (!(isFiniteNumber(m.stepSeconds) && m.stepSeconds >= 0)) {
        fail("stepSeconds", `must be a number of seconds >= 0, got ${JSON.stringify(m.stepSeconds)}`);
    }
    if (!isObject(m.training)) fail("training", "must be an object {start, end, points}");
    else {
        for (const k of ["start", "end"] as const) if (!isFiniteNumber(m.training[k])) fail(`training.${k}`, "must be unix seconds");
        if (!isCount(m.training.points, 1)) fail("training.points", "must be an integer >= 1");
    }
    if (!isObject(m.params)) fail("params", "must be an object {trees, maxSamples, contamination, seed}");
    else {
        if (!isCount(m.params.trees, 1)) fail("params.trees", "must be an integer >= 1");
        if (!isCount(m.params.maxSamples, 1)) fail("params.maxSamples", "must be an integer >= 1");
        const c = m.params.contamination;
        if (c !== "auto" && !(isFiniteNumber(c) && c > 0 && c <= 0.5))
            fail("params.contamination", `must be "auto" or in (0, 0.5], got ${JSON.stringify(c)}`);
        if (!isCount(m.params.seed, 0)) fail("params.seed", "must be an integer >= 0");
    }
    if (!isCount(m.maxSamplesUsed, 1)) fail("maxSamplesUsed", "must be an integer >= 1");
    if (!isFiniteNumber(m.offset)) fail("offset", "must be a finite number");

    if (!Array.isArray(m.trees) || m.trees.length === 0) fail("trees", "must be a non-empty array of trees");
    else {
        if (isObject(m.params) && isCount(m.params.trees, 1) && m.params.trees !== m.trees.length) {
            fail("trees", `has ${m.trees.length} trees but params.trees is ${m.params.trees}`);
        }
        for (let t = 0; t < m.trees.length && problems.length < 20; t++) checkTree(m.trees[t], `trees[${t}]`, nFeatures, fail);
    }

    if (!Array.isArray(m.drift)) fail("drift", "must be an array with one distribution per feature");
    else {
        if (nFeatures > 0 && m.drift.length !== nFeatures) fail("drift", `must have ${nFeatures} entries, got ${m.drift.length}`);
        m.drift.forEach((d, i) => checkDistribution(d, `drift[${i}]`, fail));
    }
    if (problems.length > 0) throw new ModelFileError(`${source}: ${problems.join("; ")}`);
    return m as unknown as ModelFile;
}

function checkTree(t: unknown, at: string, nFeatures: number, fail: (f: string, m: string) => void): void {
    if (!isObject(t)) return void fail(at, "must be an object {left, right, feature, threshold, samples}");
    const keys = ["left", "right", "feature", "threshold", "samples"] as const;
    for (const k of keys) if (!Array.isArray(t[k])) return void fail(`${at}.${k}`, "must be an array");
    const arrays = t as Record<(typeof keys)[number], unknown[]>;
    const n = arrays.left.length;
    if (n === 0) return void fail(`${at}.left`, "must have at least one node");
    for (const k of keys)
        if (arrays[k].length !== n) return void fail(`${at}.${k}`, `has ${arrays[k].length} entries, expected ${n} (one per node)`);
    for (let i = 0; i < n; i++) {
        const l = arrays.left[i];
        const r = arrays.right[i];
        if (!Number.isInteger(arrays.samples[i]) || (arrays.samples[i] as number) < 0) {
            return void fail(`${at}.samples[${i}]`, "must be an integer >= 0");
        }
        if (l === -1 && r === -1) continue;
        if (l === -1 || r === -1)
            return void fail(
                `${at}.left[${i}]/right[${i}]`,
                `must both be -1 (a leaf) or both child indices, got ${String(l)} and ${String(r)}`,
            );
        // Children come after their parent (pre-order), which also rules out cycles.
        if (!Number.isInteger(l) || (l as number) <= i || (l as number) >= n)
            return void fail(`${at}.left[${i}]`, `must be -1 or a node index in (${i}, ${n}), got ${String(l)}`);
        if (!Number.isInteger(r) || (r as number) <= i || (r as number) >= n)
            return void fail(`${at}.right[${i}]`, `must be -1 or a node index in (${i}, ${n}), got ${String(r)}`);
        const f = arrays.feature[i];
        if (!Number.isInteger(f) || (f as number) < 0 || (nFeatures > 0 && (f as number) >= nFeatures)) {
            return void fail(`${at}.feature[${i}]`, `must be a feature index in [0, ${nFeatures}), got ${String(f)}`);
        }
        if (!isFiniteNumber(arrays.threshold[i]))
            return void fail(`${at}.threshold[${i}]`, `must be a finite number, got ${String(arrays.threshold[i])}`);
    }
}

/** The drift window keeps bin indices in a Uint16Array, so a distribution may have at most this many bins. */
export const MAX_DRIFT_BINS = 65535;

function checkDistribution(d: unknown, at: string, fail: (f: string, m: string) => void): void {
    if (!isObject(d)) return void fail(at, "must be an object {name, edges, fractions}");
    if (typeof d.name !== "string") fail(`${at}.name`, "must be a string");
    if (!Array.isArray(d.edges) || !d.edges.every(isFiniteNumber)) return void fail(`${at}.edges`, "must be an array of finite numbers");
    for (let i = 1; i < d.edges.length; i++)
        if (!((d.edges[i] as number) > (d.edges[i - 1] as number))) return void fail(`${at}.edges`, "must be strictly ascending");
    if (!Array.isArray(d.fractions) || !d.fractions.every(isFiniteNumber) || d.fractions.length !== d.edges.length + 1) {
        return void fail(`${at}.fractions`, "must be an array of edges.length + 1 numbers");
    }
    // Checked here so a bad file is a load failure, not an exception from the drift window at (re)load.
    if (d.fractions.length > MAX_DRIFT_BINS) fail(`${at}.fractions`, `must have at most ${MAX_DRIFT_BINS} bins, got ${d.fractions.length}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === "object" && x !== null && !Array.isArray(x);
}
function isFiniteNumber(x: unknown): x is number {
    return typeof x === "number" && Number.isFinite(x);
}
function isCount(x: unknown, min: number): x is number {
    return Number.isInteger(x) && (x as number) >= min;
}
function typeName(x: unknown): string {
    return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}
