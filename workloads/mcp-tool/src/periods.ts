/** One scored point of a series. Timestamps are unix seconds. */
export interface ScoredPoint {
    readonly timestamp: number;
    readonly value: number;
    /** Detector score: lower = more anomalous. */
    readonly score: number;
    /** Detector label: -1 = anomaly, 1 = normal. */
    readonly label: number;
}

export interface Period {
    /** First anomalous timestamp, unix seconds. */
    readonly start: number;
    /** Last anomalous timestamp, unix seconds. */
    readonly end: number;
    /** Anomalous points in the period. */
    readonly count: number;
    /** The most anomalous point (lowest score); not always the highest value (a sudden drop can score lowest). */
    readonly peak: ScoredPoint;
    /** Smallest and largest value among the period's anomalous points. */
    readonly min: number;
    readonly max: number;
}

/** How many normal steps may separate two anomalies that still belong to one period. */
export const DEFAULT_GAP_STEPS = 2;

/**
 * Groups anomalous points into contiguous periods. Two anomalies join when at most `gapSteps` normal
 * steps lie between them, so a burst with a single unflagged point inside stays one period.
 */
export function mergePeriods(points: readonly ScoredPoint[], stepSeconds: number, gapSteps = DEFAULT_GAP_STEPS): Period[] {
    const anomalies = points.filter((p) => p.label === -1).sort((a, b) => a.timestamp - b.timestamp);
    const maxDistance = (gapSteps + 1) * stepSeconds;
    const periods: Period[] = [];
    let current: { start: number; end: number; count: number; peak: ScoredPoint; min: number; max: number } | undefined;
    for (const p of anomalies) {
        if (current !== undefined && p.timestamp - current.end <= maxDistance) {
            current.end = p.timestamp;
            current.count++;
            if (p.score < current.peak.score) current.peak = p;
            current.min = Math.min(current.min, p.value);
            current.max = Math.max(current.max, p.value);
            continue;
        }
        if (current !== undefined) periods.push(current);
        current = { start: p.timestamp, end: p.timestamp, count: 1, peak: p, min: p.value, max: p.value };
    }
    if (current !== undefined) periods.push(current);
    return periods;
}
