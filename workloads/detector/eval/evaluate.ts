/** Trains on each NAB series and scores it (the seed baseline's protocol), for one or more configurations. */
import { scoreSeries, trainModel, type TrainOptions } from "../src/model";
import { evaluateFlags, sumDetections, type Detection } from "./metrics";
import type { NabSeries } from "./nab";

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

export interface SeriesResult {
    series: string;
    points: number;
    detection: Detection;
}

export interface ConfigResult {
    config: Configuration;
    perSeries: SeriesResult[];
    total: Detection;
}

export function evaluateConfig(series: readonly NabSeries[], config: Configuration): ConfigResult {
    const perSeries = series.map((s) => {
        const model = trainModel(s.points, { ...config.options, name: "nab-eval" });
        const scored = scoreSeries(model, s.points);
        const detection = evaluateFlags(
            scored.map((p) => p.timestamp),
            scored.map((p) => p.label),
            s.windows,
        );
        return { series: s.name, points: s.points.length, detection };
    });
    return { config, perSeries, total: sumDetections(perSeries.map((r) => r.detection)) };
}
