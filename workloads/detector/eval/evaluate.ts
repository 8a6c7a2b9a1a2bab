/**
 * Trains on each series and scores it (the seed baseline's protocol), for the forest configurations and the
 * SRE z-score rule, in two modes:
 * - whole: the series is scored in one call;
 * - windowed: the series is cut into 1-hour windows at its step, and each window is scored with the
 *   detector's lookback of history before it, reporting labels inside the window only (what the MCP tool
 *   and the scorer do).
 */
import { scoreSeries, trainModel, type ModelFile, type TrainOptions } from "../src/model";
import type { Point } from "../src/series";
import { evaluateFlags, sumDetections, type Detection } from "./metrics";
import type { Window } from "./nab";

export interface Configuration {
    label: string;
    options: Omit<TrainOptions, "name">;
}

/** Our default detector: every trainModel default. */
export const DEFAULT_CONFIG: Configuration = { label: "ours, default", options: {} };
/** The seed pipeline's settings run through our implementation. */
export const SEED_CONFIG: Configuration = {
    label: "ours, seed config",
    options: { featureSet: "seed", contamination: 0.05, trees: 100 },
};
/** The published sklearn baseline (notes section 4: seed features, IsolationForest(contamination=0.05, random_state=42)). */
export const SKLEARN_SEED_BASELINE: Detection = { windows: 30, windowsHit: 28, flagged: 3393, inWindow: 731, fpOutside: 2662 };

/** A labelled series: NAB's or the synthetic benchmark's (whose windows carry a kind). */
export interface LabelledSeries {
    name: string;
    points: Point[];
    windows: (Window & { kind?: string })[];
}

export type Mode = "whole" | "windowed";
export const MODES: readonly Mode[] = ["whole", "windowed"];

/** Labels (-1 anomaly) per point, in input order, for one series and mode. */
export type Labeller = (s: LabelledSeries, mode: Mode) => (1 | -1)[];

export interface SeriesResult {
    series: string;
    points: number;
    detection: Detection;
}

export interface ConfigResult {
    config: Configuration;
    perSeries: SeriesResult[];
    total: Detection;
    /** Per anomaly kind, when the windows carry one. */
    perKind: Record<string, Detection>;
}

/** Median spacing of a series' timestamps, in seconds. */
export function seriesStep(points: readonly Point[]): number {
    const d: number[] = [];
    for (let i = 1; i < points.length; i++) d.push(points[i].timestamp - points[i - 1].timestamp);
    d.sort((a, b) => a - b);
    return d.length === 0 ? 1 : d[(d.length - 1) >> 1];
}

/** Points per 1-hour scoring window at the series' step. */
export function hourPoints(points: readonly Point[]): number {
    return Math.max(1, Math.round(3600 / seriesStep(points)));
}

/**
 * Scores `points` in consecutive windows of `size` points, each with `lookback` points of history before it,
 * and keeps each window's own labels: what a client asking about one window at a time sees.
 */
export function scoreWindowed(points: readonly Point[], size: number, lookback: number, score: (slice: Point[]) => (1 | -1)[]): (1 | -1)[] {
    const labels: (1 | -1)[] = new Array(points.length);
    for (let from = 0; from < points.length; from += size) {
        const to = Math.min(points.length, from + size);
        const start = Math.max(0, from - lookback);
        const got = score(points.slice(start, to));
        for (let i = from; i < to; i++) labels[i] = got[i - start];
    }
    return labels;
}

/** A forest configuration as a labeller: train on the whole series, then score it in the given mode. */
export function forestLabeller(config: Configuration): Labeller {
    let cached: { s: LabelledSeries; model: ModelFile } | undefined;
    return (s, mode) => {
        if (cached?.s !== s) cached = { s, model: trainModel(s.points, { ...config.options, name: "eval" }) };
        const model = cached.model;
        const score = (slice: Point[]) => scoreSeries(model, slice).map((p) => p.label);
        if (mode === "whole") return score(s.points);
        return scoreWindowed(s.points, hourPoints(s.points), model.lookbackPoints, score);
    };
}

export function evaluateLabeller(series: readonly LabelledSeries[], config: Configuration, labeller: Labeller, mode: Mode): ConfigResult {
    const perKind: Record<string, Detection> = {};
    const perSeries = series.map((s) => {
        const labels = labeller(s, mode);
        const timestamps = s.points.map((p) => p.timestamp);
        const detection = evaluateFlags(timestamps, labels, s.windows);
        const kinds = new Set(s.windows.map((w) => w.kind).filter((k): k is string => k !== undefined));
        for (const kind of kinds) {
            const d = evaluateFlags(
                timestamps,
                labels,
                s.windows.filter((w) => w.kind === kind),
            );
            perKind[kind] = sumDetections([perKind[kind] ?? { windows: 0, windowsHit: 0, flagged: 0, inWindow: 0, fpOutside: 0 }, d]);
        }
        return { series: s.name, points: s.points.length, detection };
    });
    return { config, perSeries, total: sumDetections(perSeries.map((r) => r.detection)), perKind };
}

/** Whole-series evaluation of a forest configuration (the seed baseline's protocol). */
export function evaluateConfig(series: readonly LabelledSeries[], config: Configuration, mode: Mode = "whole"): ConfigResult {
    return evaluateLabeller(series, config, forestLabeller(config), mode);
}
