/**
 * The rule an SRE would write in PromQL:
 *   abs(x - avg_over_time(x[W])) / stddev_over_time(x[W]) > k
 * The range vector [W] ends at the evaluated sample and includes it; stddev_over_time is the population
 * standard deviation. A zero deviation gives NaN (0/0) or +Inf, and PromQL compares NaN as false, +Inf as true.
 */
import type { Point } from "../src/series";
import { pointPrecision, windowRecall, type Detection } from "./metrics";

export interface ZScoreRule {
    /** Range in seconds (the [W] of the query). */
    rangeSeconds: number;
    k: number;
}

/** The grid an SRE tries: ranges from 30 min to a day, thresholds 2.5 to 6. */
export const ZSCORE_GRID: readonly ZScoreRule[] = [1800, 3600, 3 * 3600, 6 * 3600, 86400].flatMap((rangeSeconds) =>
    [2.5, 3, 3.5, 4, 5, 6].map((k) => ({ rangeSeconds, k })),
);

/** Points in the rule's range at the series' step (at least 2). */
export function rangePoints(rule: ZScoreRule, step: number): number {
    return Math.max(2, Math.round(rule.rangeSeconds / step));
}

/** Labels per point (input assumed in time order): -1 where |z| > k over the trailing `w` points including the point. */
export function zscoreLabels(points: readonly Point[], w: number, k: number): (1 | -1)[] {
    const n = points.length;
    const labels: (1 | -1)[] = new Array(n);
    // Running sums around a centre c, re-centred on the current value every `w` points (and recomputed over the
    // range then), so a series far from its first value keeps an accurate variance, as PromQL's per-range
    // computation does.
    let c = 0;
    let s1 = 0;
    let s2 = 0;
    // The latest index whose value differs from the one before it: the range [from, i] is exactly flat when
    // it is at most `from`. Flat is told exactly, not from the running sums: their rounding residue after a
    // re-centre far from a flat stretch (a disk at 0 B/s after a busy hour) read as a tiny deviation over a
    // tinier spread, flagging every point of the stretch in whole series but not in windows that start in it.
    let lastChange = 0;
    for (let i = 0; i < n; i++) {
        const from = Math.max(0, i - w + 1);
        if (i > 0 && points[i].value !== points[i - 1].value) lastChange = i;
        if (i % w === 0) {
            c = points[i].value;
            s1 = 0;
            s2 = 0;
            for (let j = from; j < i; j++) {
                const v = points[j].value - c;
                s1 += v;
                s2 += v * v;
            }
        } else if (from > 0) {
            const old = points[from - 1].value - c;
            s1 -= old;
            s2 -= old * old;
        }
        const v = points[i].value - c;
        s1 += v;
        s2 += v * v;
        if (lastChange <= from) {
            // Every value in the range is the same: stddev_over_time is 0 and so is the deviation, 0/0 = NaN.
            labels[i] = 1;
            continue;
        }
        const m = i - from + 1;
        const mean = s1 / m;
        const sd = Math.sqrt(Math.max(0, s2 / m - mean * mean));
        const dev = Math.abs(v - mean);
        // An exactly flat range is 0/0 = NaN in PromQL (no alert); rounding of the sums stands in for that zero.
        const tol = 1e-9 * Math.max(Math.abs(mean + c), 1e-12);
        const z = sd <= tol ? (dev <= tol ? NaN : Infinity) : dev / sd;
        labels[i] = z > k ? -1 : 1;
    }
    return labels;
}

/**
 * How the grid point is picked, as generously to the rule as we can: the highest point precision among the
 * rules whose window recall is at least `minRecall` (the detector it is compared with); if none reaches it,
 * the highest recall (then precision).
 */
export function pickRule<T extends { total: Detection }>(results: readonly T[], minRecall: number): T {
    const ok = results.filter((r) => windowRecall(r.total) >= minRecall - 1e-12);
    const by = (a: T, b: T) =>
        ok.length > 0
            ? pointPrecision(b.total) - pointPrecision(a.total) || windowRecall(b.total) - windowRecall(a.total)
            : windowRecall(b.total) - windowRecall(a.total) || pointPrecision(b.total) - pointPrecision(a.total);
    return [...(ok.length > 0 ? ok : results)].sort(by)[0];
}
