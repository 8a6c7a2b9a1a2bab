/**
 * `detector train-all`: one model per contract metric, trained on every node-exporter instance's history.
 * Features are computed per instance (each node's own baseline), their rows pooled into one forest per metric.
 * The most recent share of the data is held back: never trained on, it measures the flag rate promotion judges.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { METRIC_NAMES, METRICS, MODEL_FILES, buildQuery, modelFileName, type MetricName } from "@aiops/contract";
import { percentile } from "../iforest";
import { DEFAULT_TRAIN_OPTIONS, scoreSeries, trainModel, type TrainOptions, type TrainingStats } from "../model";
import { fetchSeriesByLabel, type SeriesSamples } from "../prometheus";
import type { Point } from "../series";
import {
    HOLDOUT_CONTEXT_POINTS,
    HOLDOUT_FILE,
    HOLDOUT_FORMAT,
    MANIFEST_FORMAT,
    encodeHoldout,
    fileVersion,
    lookbackPoints,
    setVersion,
    sha256Hex,
    type Holdout,
    type InstanceStats,
    type Manifest,
    type ManifestModel,
} from "./manifest";

/** Rows with fully formed features the default minimum asks for beyond the features' lookback. */
export const MIN_ROWS_BEYOND_LOOKBACK = 60;

export interface TrainAllOptions {
    prometheus: string;
    /** Window length; the window ends at `end`. */
    hours: number;
    /** Resolution in seconds. Default 10. */
    step?: number;
    /** End of the window, unix seconds. Default now, rounded down to a multiple of step. */
    end?: number;
    outDir: string;
    /** Share of the data span, at its recent end, held back. Default 0.1. */
    holdoutFraction?: number;
    /** Minimum points per instance. Default lookbackPoints(featureSet) + MIN_ROWS_BEYOND_LOOKBACK. */
    minPoints?: number;
    /** Training options (the name comes from the contract). */
    train?: Omit<TrainOptions, "name">;
    /** Metrics to train. Default every contract metric. */
    metrics?: readonly MetricName[];
    /** Per-request timeout towards Prometheus. Default 30 s. */
    timeoutMs?: number;
    log?: (line: string) => void;
    /** Clock, for tests. Default Date.now. */
    now?: () => number;
}

/** Prometheus answered, but holds too little history (or no series yet): retryable by `run`. */
export class InsufficientHistoryError extends Error {
    constructor(
        message: string,
        /** Roughly how much longer until every metric has enough history. */
        readonly shortfallSeconds: number,
    ) {
        super(message);
        this.name = "InsufficientHistoryError";
    }
}

/** The fetched history of every metric, checked against the minimum. */
export interface FetchedHistory {
    start: number;
    end: number;
    step: number;
    minPoints: number;
    series: Map<MetricName, Map<string, SeriesSamples>>;
}

export function defaultMinPoints(train: Omit<TrainOptions, "name"> | undefined): number {
    return lookbackPoints(train?.featureSet ?? DEFAULT_TRAIN_OPTIONS.featureSet) + MIN_ROWS_BEYOND_LOOKBACK;
}

/**
 * Reads every metric's series from Prometheus and checks that at least one instance per metric has
 * `minPoints` points; throws InsufficientHistoryError (naming Prometheus and the shortfall) otherwise.
 */
export async function fetchHistory(opts: TrainAllOptions): Promise<FetchedHistory> {
    const step = opts.step ?? 10;
    const end = opts.end ?? Math.floor((opts.now ?? Date.now)() / 1000 / step) * step;
    const start = end - Math.round((opts.hours * 3600) / step) * step;
    const minPoints = opts.minPoints ?? defaultMinPoints(opts.train);
    const base = opts.prometheus.replace(/\/+$/, "");
    const series = new Map<MetricName, Map<string, SeriesSamples>>();
    const short: string[] = [];
    let shortfall = 0;
    for (const metric of opts.metrics ?? METRIC_NAMES) {
        const query = buildQuery(metric);
        const byInstance = await fetchSeriesByLabel({ url: base, query, start, end, step, timeoutMs: opts.timeoutMs });
        series.set(metric, byInstance);
        const model = METRICS[metric].model;
        if (byInstance.size === 0) {
            short.push(`${model}: no series for ${query} (is node-exporter scraped by this Prometheus?)`);
            shortfall = Math.max(shortfall, minPoints * step);
            continue;
        }
        let longest: [string, SeriesSamples] | undefined;
        for (const entry of byInstance) if (longest === undefined || entry[1].values.length > longest[1].values.length) longest = entry;
        const [instance, samples] = longest as [string, SeriesSamples];
        if (samples.values.length < minPoints) {
            short.push(
                `${model}: the longest of ${byInstance.size} instance(s) (${instance}) has ${samples.values.length} points ` +
                    `(${duration(samples.values.length * step)} at a ${step} s step)`,
            );
            shortfall = Math.max(shortfall, (minPoints - samples.values.length) * step);
        }
    }
    if (short.length > 0) {
        const lookback = lookbackPoints(opts.train?.featureSet ?? DEFAULT_TRAIN_OPTIONS.featureSet);
        throw new InsufficientHistoryError(
            `Prometheus at ${base} holds too little history to train (window ${iso(start)} to ${iso(end)}): ${short.join("; ")}. ` +
                `Training needs at least ${minPoints} points per instance (${duration(minPoints * step)} at a ${step} s step; ` +
                `the features look back ${lookback} points). Wait about ${duration(shortfall)}, or lower --min-points (TRAINING_MIN_POINTS).`,
            shortfall,
        );
    }
    return { start, end, step, minPoints, series };
}

/** Trains every metric of fetched history, writes the model files, holdout.json.gz and manifest.json (last). */
export function trainFetched(history: FetchedHistory, opts: TrainAllOptions): Manifest {
    const log = opts.log ?? (() => undefined);
    const { start, end, step, minPoints } = history;
    const fraction = opts.holdoutFraction ?? 0.1;
    const train = { ...DEFAULT_TRAIN_OPTIONS, ...stripUndefined(opts.train ?? {}) };
    // The held-back window is the recent share of the span Prometheus actually holds (a bootstrap run
    // asks for a week and gets an hour), common to every metric so one window judges the whole set.
    let dataStart = Infinity;
    for (const byInstance of history.series.values()) {
        for (const s of byInstance.values()) if (s.values.length >= minPoints) dataStart = Math.min(dataStart, s.timestamps[0]);
    }
    const holdoutStart = end - Math.max(1, Math.round((fraction * (end - dataStart)) / step)) * step;
    mkdirSync(opts.outDir, { recursive: true });
    const models: ManifestModel[] = [];
    const holdout: Holdout = { format: HOLDOUT_FORMAT, formatVersion: 1, start: holdoutStart, end, step, models: {} };
    for (const [metric, byInstance] of history.series) {
        const name = METRICS[metric].model;
        const started = Date.now();
        const kept: [string, Point[]][] = [];
        const skipped: ManifestModel["skipped"] = [];
        for (const [instance, s] of [...byInstance].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
            if (s.values.length < minPoints) skipped.push({ instance, points: s.values.length });
            else kept.push([instance, s.timestamps.map((timestamp, i) => ({ timestamp, value: s.values[i] }))]);
        }
        for (const s of skipped) log(`${name}: skipping ${s.instance}: ${s.points} points, fewer than the minimum ${minPoints}`);
        const trainingSeries = kept.map(([, points]) => points.filter((p) => p.timestamp < holdoutStart)).filter((p) => p.length > 0);
        const stats: TrainingStats = {};
        const model = trainModel(trainingSeries, { ...train, name }, stats);
        const text = `${JSON.stringify(model)}\n`;
        const file = modelFileName(name);
        writeFileSync(join(opts.outDir, file), text);

        // Score only the held-back points, each series with HOLDOUT_CONTEXT_POINTS of history before them:
        // the features are trailing windows no longer than that, so the rows equal those of the whole series.
        let holdoutFlags = 0;
        const holdoutScores: number[] = [];
        const instances: InstanceStats[] = [];
        holdout.models[name] = [];
        for (const [instance, points] of kept) {
            const firstHeld = firstAtOrAfter(points, holdoutStart);
            const held = points.length - firstHeld;
            let flags = 0;
            if (held > 0) {
                const slice = points.slice(Math.max(0, firstHeld - HOLDOUT_CONTEXT_POINTS));
                for (const p of scoreSeries(model, slice)) {
                    if (p.timestamp < holdoutStart) continue;
                    holdoutScores.push(p.score);
                    if (p.label === -1) flags++;
                }
                holdout.models[name].push({ instance, timestamps: slice.map((p) => p.timestamp), values: slice.map((p) => p.value) });
            }
            holdoutFlags += flags;
            instances.push({
                instance,
                points: points.length,
                trainingPoints: firstHeld,
                holdoutPoints: held,
                holdoutFlagRate: held === 0 ? null : flags / held,
            });
        }
        const trainingPoints = model.training.points;
        const quantile = (q: number) => (holdoutScores.length === 0 ? 0 : percentile(holdoutScores, q));
        const entry: ManifestModel = {
            name,
            metric,
            file,
            version: fileVersion(text),
            sha256: sha256Hex(text),
            query: buildQuery(metric),
            instances,
            skipped,
            trainingPoints,
            holdoutPoints: holdoutScores.length,
            trainingFlagRate: stats.trainingFlagRate ?? 0,
            holdoutFlagRate: holdoutScores.length === 0 ? 0 : holdoutFlags / holdoutScores.length,
            holdoutScoreQuantiles: { p01: quantile(1), p05: quantile(5), p50: quantile(50) },
        };
        models.push(entry);
        log(
            `${name}: trained on ${trainingPoints} points from ${instances.length} instance(s) in ${Date.now() - started} ms; ` +
                `version ${entry.version}; flag rate ${pct(entry.trainingFlagRate)} on training data, ` +
                `${pct(entry.holdoutFlagRate)} on the held-back ${entry.holdoutPoints} points`,
        );
    }
    const holdoutData = encodeHoldout(holdout);
    writeFileSync(join(opts.outDir, HOLDOUT_FILE), holdoutData);
    const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        formatVersion: 1,
        version: setVersion(models),
        createdAt: new Date().toISOString(),
        prometheus: opts.prometheus.replace(/\/+$/, ""),
        window: { start, end, hours: opts.hours, step, dataStart },
        holdout: { start: holdoutStart, end, fraction, file: HOLDOUT_FILE, sha256: sha256Hex(holdoutData) },
        minPoints,
        lookbackPoints: lookbackPoints(train.featureSet),
        training: {
            featureSet: train.featureSet,
            trees: train.trees,
            maxSamples: train.maxSamples,
            contamination: train.contamination,
            seed: train.seed,
        },
        models,
    };
    // Written last: a directory with a manifest is complete.
    writeFileSync(join(opts.outDir, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
}

/** fetchHistory then trainFetched. */
export async function trainAll(opts: TrainAllOptions): Promise<Manifest> {
    return trainFetched(await fetchHistory(opts), opts);
}

/** Index of the first point at or after t (points in time order); points.length when none. */
export function firstAtOrAfter(points: readonly Point[], t: number): number {
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (points[mid].timestamp < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** "58 min", "2 h 5 min", "30 s". */
export function duration(seconds: number): string {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    const minutes = Math.round(s / 60);
    if (minutes < 60) return `${minutes} min`;
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

function pct(x: number): string {
    return `${(100 * x).toFixed(2)}%`;
}

function iso(t: number): string {
    return new Date(t * 1000).toISOString();
}
