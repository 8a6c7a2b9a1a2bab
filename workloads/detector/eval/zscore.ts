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
    // Shifted sums (around the first value) keep the variance accurate for large levels.
    const c = n > 0 ? points[0].value : 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
        const v = points[i].value - c;
        s1 += v;
        s2 += v * v;
        if (i >= w) {
            const old = points[i - w].value - c;
            s1 -= old;
            s2 -= old * old;
        }
        const m = Math.min(i + 1, w);
        const mean = s1 / m;
        const variance = Math.max(0, s2 / m - mean * mean);
        const sd = Math.sqrt(variance);
        const dev = Math.abs(v - mean);
        // Treat a deviation at rounding level as none (PromQL would see 0/0 = NaN on an exactly flat range).
        const z = sd <= 1e-12 * Math.max(1, Math.abs(c)) ? (dev <= 1e-9 * Math.max(1, Math.abs(c)) ? NaN : Infinity) : dev / sd;
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
