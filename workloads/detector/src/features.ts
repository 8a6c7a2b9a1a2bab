/**
 * The one feature-engineering module, shared by training (trainModel) and serving (scoreSeries).
 *
 * Every feature is computed on the series in time order (a stable sort, so duplicate timestamps keep input
 * order) and windows count points, not seconds, so the same model works on NAB's 5-minute data and on
 * Prometheus' 10-second windows. Rows come back in input order, one per input point.
 */
import type { Point } from "./series";

export type FeatureSetName = "seed" | "default" | "default-v1";

/** Feature names per set, in column order. */
export const FEATURE_SETS: Record<FeatureSetName, readonly string[]> = {
    // The seed pipeline's pandas features, unchanged.
    seed: ["value", "rolling_mean", "rolling_std", "rate_of_change", "hour"],
    // Several time scales, robust level and spread, change of spread (burst or flat), slope. See defaultColumns.
    default: ["robust_z", "noise_step_z", "level_shift_z", "spread_ratio", "trend_z"],
    // The default set before issue 15: still loaded and served, so an older model version can be rolled back to.
    "default-v1": ["value", "robust_z", "step_z", "level_shift_z"],
};

export interface FeatureMatrix {
    names: string[];
    /** One row per input point, in input order. */
    rows: number[][];
}

export function isFeatureSetName(x: unknown): x is FeatureSetName {
    return x === "seed" || x === "default" || x === "default-v1";
}

/** Window of the seed's rolling mean/std (pandas rolling(5, min_periods=1)). */
export const SEED_WINDOW = 5;
/** Trailing baseline of the default set, in points (1 day of 5-minute data, 48 min of 10-second data). */
export const BASELINE_WINDOW = 288;
/** Short window whose mean is compared with the baseline to catch level shifts; kept out of the baseline. */
export const SHIFT_WINDOW = 3;
/** Points of the short spread window (spread_ratio): mean |first difference| over the last SPREAD_WINDOW steps. */
export const SPREAD_WINDOW = 6;
/** Points of each half of the slope window (trend_z): mean of the last TREND_WINDOW points minus the TREND_WINDOW before. */
export const TREND_WINDOW = 24;
/**
 * spread_ratio's epsilon, as a share of the scale floor: small enough that an exactly flat stretch (a stuck
 * metric) lands far below every noisy one, large enough that a series flat all along stays at 0.
 */
export const FLAT_EPSILON_SHARE = 1e-5;
/** The default set's scale floor is this share of the training series' 1st-99th percentile range. */
export const SCALE_FLOOR_SHARE = 0.02;

/**
 * Parameters fitted on the training series and stored in the model, so serving computes the same features.
 * scaleFloor: lower bound of the robust spread; without it a flat baseline (MAD = 0) turns any wiggle into a
 * huge z-score, which then crowds the real events out of the flag budget.
 */
export interface FeatureParams {
    scaleFloor: number;
}

/**
 * Points of history a feature set needs before a point for its features to be fully formed (windows count
 * points, see above): scoring a window with this many points before it gives the rows of the whole series.
 */
export function featureLookback(set: FeatureSetName): number {
    // default: the baseline is the BASELINE_WINDOW points before the SHIFT_WINDOW-point short window.
    return set === "seed" ? SEED_WINDOW - 1 : BASELINE_WINDOW + SHIFT_WINDOW - 1;
}

/** Fits FeatureParams on a training series. */
export function fitFeatureParams(points: readonly Point[] | readonly (readonly Point[])[]): FeatureParams {
    const sorted = new Float64Array(countPoints(points));
    if (sorted.length === 0) throw new Error("fitFeatureParams: the series is empty; send at least one point");
    let at0 = 0;
    for (const s of (isNested(points) ? points : [points]) as readonly (readonly Point[])[]) for (const p of s) sorted[at0++] = p.value;
    sorted.sort();
    const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))];
    const range = at(0.99) - at(0.01);
    // A constant training series still needs a positive floor; scale it to the values' magnitude.
    const tiny = 1e-9 * Math.max(1, Math.abs(at(0.5)));
    return { scaleFloor: Math.max(SCALE_FLOOR_SHARE * range, tiny) };
}

function isNested(points: readonly Point[] | readonly (readonly Point[])[]): points is readonly (readonly Point[])[] {
    return points.length > 0 && Array.isArray(points[0]);
}

function countPoints(points: readonly Point[] | readonly (readonly Point[])[]): number {
    return isNested(points) ? points.reduce((a, s) => a + s.length, 0) : points.length;
}

/**
 * Computes a feature set; one row per input point, in input order.
 * params: the model's stored FeatureParams (serving); when omitted they are fitted on these points (training).
 */
export function computeFeatures(points: Point[], set: FeatureSetName, params?: FeatureParams): FeatureMatrix {
    const { names, columns } = computeFeatureColumns(points, set, params);
    const rows: number[][] = new Array(points.length);
    for (let i = 0; i < points.length; i++) rows[i] = columns.map((c) => c[i]);
    return { names, rows };
}

/** The same features as columns, each in input order: training's path, which never builds one array per row. */
export function computeFeatureColumns(
    points: readonly Point[],
    set: FeatureSetName,
    params?: FeatureParams,
): { names: string[]; columns: Float64Array[] } {
    if (points.length === 0) throw new Error("computeFeatures: the series is empty; send at least one point");
    const n = points.length;
    let inOrder = true;
    for (let i = 1; i < n && inOrder; i++) inOrder = points[i - 1].timestamp <= points[i].timestamp;
    // The common case (Prometheus, NAB) is already in time order: no index array, no permutation back.
    const order = inOrder ? undefined : timeOrder(points);
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let k = 0; k < n; k++) {
        const p = points[order === undefined ? k : order[k]];
        values[k] = p.value;
        timestamps[k] = p.timestamp;
    }
    const columns =
        set === "seed"
            ? seedColumns(values, timestamps)
            : set === "default"
              ? defaultColumns(values, (params ?? fitFeatureParams(points)).scaleFloor)
              : defaultV1Columns(values, (params ?? fitFeatureParams(points)).scaleFloor);
    const names = [...FEATURE_SETS[set]];
    if (order === undefined) return { names, columns };
    return {
        names,
        columns: columns.map((c) => {
            const out = new Float64Array(c.length);
            for (let k = 0; k < order.length; k++) out[order[k]] = c[k];
            return out;
        }),
    };
}

/**
 * The same columns for a series given as two arrays already in time order (non-decreasing timestamps), with
 * the model's params: serving's path, which builds no point objects. Undefined when the timestamps are out of
 * order; the caller then takes computeFeatureColumns, which sorts.
 */
export function computeSortedFeatureColumns(
    timestamps: Float64Array,
    values: Float64Array,
    set: FeatureSetName,
    params: FeatureParams,
): Float64Array[] | undefined {
    const n = values.length;
    if (n === 0) throw new Error("computeFeatures: the series is empty; send at least one point");
    for (let i = 1; i < n; i++) if (!(timestamps[i - 1] <= timestamps[i])) return undefined;
    return set === "seed"
        ? seedColumns(values, timestamps)
        : set === "default"
          ? defaultColumns(values, params.scaleFloor)
          : defaultV1Columns(values, params.scaleFloor);
}

/** Input indices sorted by timestamp; ties keep input order. */
export function timeOrder(points: readonly Point[]): number[] {
    const order = points.map((_, i) => i);
    let sorted = true;
    for (let i = 1; i < points.length && sorted; i++) sorted = points[i - 1].timestamp <= points[i].timestamp;
    if (!sorted) order.sort((a, b) => points[a].timestamp - points[b].timestamp || a - b);
    return order;
}

function seedColumns(values: Float64Array, timestamps: Float64Array): Float64Array[] {
    const n = values.length;
    const mean = new Float64Array(n);
    const std = new Float64Array(n);
    const diff = new Float64Array(n);
    const hour = new Float64Array(n);
    for (let i = 0; i < n; i++) {
        const from = Math.max(0, i - SEED_WINDOW + 1);
        const count = i - from + 1;
        let sum = 0;
        for (let k = from; k <= i; k++) sum += values[k];
        const m = sum / count;
        mean[i] = m;
        if (count > 1) {
            // pandas: ddof = 1; the first row's NaN is filled with 0 by the seed.
            let ss = 0;
            for (let k = from; k <= i; k++) ss += (values[k] - m) * (values[k] - m);
            std[i] = Math.sqrt(ss / (count - 1));
        }
        diff[i] = i === 0 ? 0 : values[i] - values[i - 1];
        hour[i] = new Date(timestamps[i] * 1000).getUTCHours();
    }
    return [values, mean, std, diff, hour];
}

/**
 * The default set. Point i's baseline is the BASELINE_WINDOW points before its short window [i - SHIFT_WINDOW + 1, i]
 * (fewer at the start; the first point gets zeros). Two robust scales come from it: `scale`, 1.4826 x the MAD
 * of the baseline's values (level spread, seasonality included), and `noise`, the mean |first difference| of the
 * baseline (point-to-point noise, which a daily wave barely moves). Both are floored by the model's scaleFloor.
 * - robust_z: (x - median) / scale: spikes, dips, shifts against the last day (5-minute step) or 48 min (10 s).
 * - noise_step_z: (x[i] - x[i-1]) / noise: a jump in units of the usual step-to-step noise.
 * - level_shift_z: (mean of the short window - median) / scale: a shift that holds for a few points.
 * - spread_ratio: log of the mean |difference| over the last SPREAD_WINDOW steps over `noise`: a variance
 *   burst is well above 0, a stuck (flat) metric far below (-log(FLAT_EPSILON_SHARE ...)).
 * - trend_z: (mean of the last TREND_WINDOW points - mean of the TREND_WINDOW before) / noise: a slope (a leak).
 * A same-time-yesterday feature (the short window one BASELINE_WINDOW back, a day at a 5-minute step) was
 * tried and dropped: it flags the normal present one baseline after every anomaly (its echo), 48 minutes later
 * at a 10-second step (docs/detector-quality.md).
 * slog keeps the sign and order of each ratio but tames the tails, so one enormous spike does not squash every
 * other point into one split.
 */
function defaultColumns(values: Float64Array, scaleFloor: number): Float64Array[] {
    const n = values.length;
    const robust = new Float64Array(n);
    const step = new Float64Array(n);
    const shift = new Float64Array(n);
    const spread = new Float64Array(n);
    const trend = new Float64Array(n);
    const window = new SortedWindow(BASELINE_WINDOW);
    const epsilon = FLAT_EPSILON_SHARE * scaleFloor;
    let from = 0;
    let end = 0;
    // Sum of |x[j] - x[j-1]| for j in [diffFrom, diffEnd): the differences inside the baseline [from, end).
    let diffSum = 0;
    let diffFrom = 1;
    let diffEnd = 1;
    for (let i = 1; i < n; i++) {
        const nextEnd = Math.max(1, i - SHIFT_WINDOW + 1);
        const nextFrom = Math.max(0, nextEnd - BASELINE_WINDOW);
        for (; from < nextFrom; from++) window.remove(values[from]);
        for (; end < nextEnd; end++) window.insert(values[end]);
        for (; diffEnd < end; diffEnd++) diffSum += Math.abs(values[diffEnd] - values[diffEnd - 1]);
        for (; diffFrom < Math.max(1, from + 1); diffFrom++) diffSum -= Math.abs(values[diffFrom] - values[diffFrom - 1]);
        const diffs = diffEnd - diffFrom;
        const baselineNoise = diffs > 0 ? Math.max(0, diffSum) / diffs : 0;
        // Short window [end, i]: at most SHIFT_WINDOW points, summed directly.
        let shortSum = 0;
        for (let k = end; k <= i; k++) shortSum += values[k];
        const shortMean = shortSum / (i - end + 1);
        const med = window.median();
        const scale = Math.max(1.4826 * window.mad(med), scaleFloor);
        const noise = Math.max(baselineNoise, scaleFloor);
        robust[i] = slog((values[i] - med) / scale);
        step[i] = slog((values[i] - values[i - 1]) / noise);
        shift[i] = slog((shortMean - med) / scale);

        const spreadFrom = Math.max(1, i - SPREAD_WINDOW + 1);
        let absDiff = 0;
        for (let k = spreadFrom; k <= i; k++) absDiff += Math.abs(values[k] - values[k - 1]);
        spread[i] = Math.log((absDiff / (i - spreadFrom + 1) + epsilon) / (baselineNoise + epsilon));

        const recentFrom = Math.max(0, i - TREND_WINDOW + 1);
        const olderFrom = Math.max(0, i - 2 * TREND_WINDOW + 1);
        if (olderFrom < recentFrom) {
            let recent = 0;
            for (let k = recentFrom; k <= i; k++) recent += values[k];
            let older = 0;
            for (let k = olderFrom; k < recentFrom; k++) older += values[k];
            trend[i] = slog((recent / (i - recentFrom + 1) - older / (recentFrom - olderFrom)) / noise);
        }
    }
    return [robust, step, shift, spread, trend];
}

/**
 * The legacy set default-v1: value, robust_z, step_z, level_shift_z. The baseline of point i is the BASELINE_WINDOW points before its
 * short window [i - SHIFT_WINDOW + 1, i] (fewer at the start; the first point gets zeros). Its median and
 * MAD give a robust z-score; slog keeps the sign and order but tames the tails, so one enormous spike does
 * not squash every other point into one split.
 */
function defaultV1Columns(values: Float64Array, scaleFloor: number): Float64Array[] {
    const n = values.length;
    const robust = new Float64Array(n);
    const step = new Float64Array(n);
    const shift = new Float64Array(n);
    const window = new SortedWindow(BASELINE_WINDOW);
    let from = 0;
    let end = 0;
    for (let i = 1; i < n; i++) {
        const nextEnd = Math.max(1, i - SHIFT_WINDOW + 1);
        const nextFrom = Math.max(0, nextEnd - BASELINE_WINDOW);
        for (; from < nextFrom; from++) window.remove(values[from]);
        for (; end < nextEnd; end++) window.insert(values[end]);
        // Short window [end, i]: at most SHIFT_WINDOW points, summed directly.
        let shortSum = 0;
        for (let k = end; k <= i; k++) shortSum += values[k];
        const med = window.median();
        const scale = Math.max(1.4826 * window.mad(med), scaleFloor);
        robust[i] = slog((values[i] - med) / scale);
        step[i] = slog((values[i] - values[i - 1]) / scale);
        shift[i] = slog((shortSum / (i - end + 1) - med) / scale);
    }
    return [values, robust, step, shift];
}

/** Signed log1p: keeps order and sign, compresses large magnitudes. */
export function slog(z: number): number {
    return z < 0 ? -Math.log1p(-z) : Math.log1p(z);
}

/** A bounded multiset kept sorted, for rolling median and MAD in O(window) per step without re-sorting. */
export class SortedWindow {
    private readonly buf: Float64Array;
    private len = 0;

    constructor(capacity: number) {
        this.buf = new Float64Array(capacity);
    }

    get size(): number {
        return this.len;
    }

    insert(v: number): void {
        if (this.len === this.buf.length) throw new Error("SortedWindow is full");
        const at = this.lowerBound(v);
        this.buf.copyWithin(at + 1, at, this.len);
        this.buf[at] = v;
        this.len++;
    }

    remove(v: number): void {
        const at = this.lowerBound(v);
        if (at >= this.len || this.buf[at] !== v) throw new Error(`SortedWindow has no ${v} to remove`);
        this.buf.copyWithin(at, at + 1, this.len);
        this.len--;
    }

    median(): number {
        const n = this.len;
        if (n === 0) throw new Error("median of an empty window");
        const mid = n >> 1;
        return n % 2 === 1 ? this.buf[mid] : (this.buf[mid - 1] + this.buf[mid]) / 2;
    }

    /**
     * Median absolute deviation from m in O(log window): the deviations below m (m - buf[r0 - 1 - t]) and at
     * or above it (buf[r0 + t] - m) are two ascending runs, and their k-th smallest is found by binary search.
     */
    mad(m: number): number {
        const n = this.len;
        if (n === 0) throw new Error("MAD of an empty window");
        const split = this.lowerBound(m);
        const want = n >> 1; // 0-based rank of the upper middle deviation
        const upper = this.kthDeviation(m, split, want);
        return n % 2 === 1 ? upper : (this.kthDeviation(m, split, want - 1) + upper) / 2;
    }

    /** k-th smallest (0-based) of the deviations |buf[i] - m|, given split = lowerBound(m). */
    private kthDeviation(m: number, split: number, k: number): number {
        const a = split; // left run: A(t) = m - buf[split - 1 - t], ascending in t
        const b = this.len - split; // right run: B(t) = buf[split + t] - m, ascending in t
        const buf = this.buf;
        const A = (t: number) => m - buf[split - 1 - t];
        const B = (t: number) => buf[split + t] - m;
        // Take i from A and j = k + 1 - i from B so that the largest taken is the k-th smallest overall.
        let lo = Math.max(0, k + 1 - b);
        let hi = Math.min(a, k + 1);
        for (;;) {
            const i = (lo + hi) >> 1;
            const j = k + 1 - i;
            if (i < a && j > 0 && B(j - 1) > A(i)) lo = i + 1;
            else if (i > 0 && j < b && A(i - 1) > B(j)) hi = i - 1;
            else return Math.max(i > 0 ? A(i - 1) : -Infinity, j > 0 ? B(j - 1) : -Infinity);
        }
    }

    private lowerBound(v: number): number {
        let lo = 0;
        let hi = this.len;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (this.buf[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
