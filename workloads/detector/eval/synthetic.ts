/**
 * A seeded, reproducible benchmark of node-metric-like series with planted anomalies of the six kinds node
 * metrics show, labelled the NAB way.
 *
 * Every series is a daily wave (plus a faint hourly one) around a level, with Gaussian noise of a given scale,
 * at a 5-minute step (14 days, NAB-like) or a 10-second step (2 days, Prometheus-like). Each series holds one
 * anomaly of every kind, in a random order, spaced out after the first day so a baseline exists:
 * - spike: 1-2 points 6-10 noise sigmas up;
 * - dip: 2-4 points 6-10 sigmas down (clamped at 0, as a rate or a gauge of usage would be);
 * - level_shift: the level moves 5-8 sigmas up or down for half a window, then moves back;
 * - variance_burst: the noise grows 4-6x for a quarter of a window;
 * - stuck: the value freezes (a stuck exporter or a hung counter) for a quarter of a window;
 * - ramp: a slow leak rising 8-12 sigmas over half a window, then drained over a quarter window.
 *
 * Windows follow NAB's rule (labels/combined_windows.json): the window size is 10% of the series' length
 * divided by its number of anomalies, centred on the anomaly's first point; a window is stretched to the
 * anomaly's last point when the anomaly lasts longer than half a window (level shift, ramp), so every
 * anomalous point is inside its window.
 */
import { Random } from "../src/random";
import type { Point } from "../src/series";
import type { Window } from "./nab";

export const ANOMALY_KINDS = ["spike", "level_shift", "variance_burst", "stuck", "ramp", "dip"] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface LabelledWindow extends Window {
    kind: AnomalyKind;
    /** First and last anomalous point (unix seconds, inclusive). */
    anomalyStart: number;
    anomalyEnd: number;
}

export interface SyntheticSeries {
    name: string;
    /** Seconds between points. */
    step: number;
    level: number;
    noise: number;
    points: Point[];
    windows: LabelledWindow[];
}

export interface SyntheticOptions {
    /** PRNG seed. Default 2026. */
    seed?: number;
    /** Series per step. Default 10 (20 windows per kind over both steps). */
    perStep?: number;
    /** Days at the 5-minute step. Default 14. */
    days5m?: number;
    /** Days at the 10-second step. Default 2. */
    days10s?: number;
}

const DAY = 86400;
const START = 1_767_225_600; // 2026-01-01T00:00:00Z

/** The benchmark: `perStep` series at a 5-minute step, then `perStep` at a 10-second step. */
export function syntheticBenchmark(opts: SyntheticOptions = {}): SyntheticSeries[] {
    const seed = opts.seed ?? 2026;
    const perStep = opts.perStep ?? 10;
    const out: SyntheticSeries[] = [];
    const plan: [number, number][] = [
        [300, opts.days5m ?? 14],
        [10, opts.days10s ?? 2],
    ];
    for (const [step, days] of plan) {
        for (let k = 0; k < perStep; k++) {
            out.push(syntheticSeries(seed * 7919 + step * 131 + k, step, days, k));
        }
    }
    return out;
}

/** One series with one anomaly of every kind. `index` picks its level and noise scale from fixed grids. */
export function syntheticSeries(seed: number, step: number, days: number, index = 0): SyntheticSeries {
    const rng = new Random(seed);
    const gauss = gaussian(rng);
    const n = Math.round((days * DAY) / step);
    // Levels from a CPU % to bytes/s; noise 2-10% of the level; daily amplitude 2-6 noise sigmas.
    const levels = [8, 35, 60, 400, 5000];
    const level = levels[index % levels.length] * (0.8 + 0.4 * rng.next());
    const noise = level * [0.02, 0.05, 0.1][index % 3] * (0.8 + 0.4 * rng.next());
    const daily = noise * (2 + 4 * rng.next());
    const phase = 2 * Math.PI * rng.next();
    const base = new Float64Array(n);
    const sigma = new Float64Array(n).fill(noise);
    for (let i = 0; i < n; i++) {
        const t = i * step;
        base[i] = level + daily * Math.sin((2 * Math.PI * t) / DAY + phase) + 0.3 * noise * Math.sin((2 * Math.PI * t) / 3600);
    }

    // NAB window size, in points.
    const w = Math.max(8, Math.round((0.1 * n) / ANOMALY_KINDS.length));
    const half = Math.floor(w / 2);
    const kinds = shuffle([...ANOMALY_KINDS], rng);
    // Slots after the first day (or first 10% when shorter), each wide enough for a stretched window.
    const first = Math.max(Math.round(DAY / step), Math.round(0.1 * n)) + half;
    const slot = Math.floor((n - first - 2 * w) / kinds.length);
    if (slot < 2 * w) throw new Error(`syntheticSeries: ${days} days at a ${step} s step is too short for ${kinds.length} anomalies`);

    const add = new Float64Array(n); // additive offsets (spike, dip, shift, ramp)
    const stuckAt: [number, number][] = [];
    const windows: LabelledWindow[] = [];
    kinds.forEach((kind, j) => {
        const start = first + j * slot + Math.floor(rng.next() * (slot - 2 * w));
        const size = 6 + 4 * rng.next();
        let len: number;
        switch (kind) {
            case "spike":
                len = 1 + rng.int(2);
                for (let i = start; i < start + len; i++) add[i] += size * noise;
                break;
            case "dip":
                len = 2 + rng.int(3);
                for (let i = start; i < start + len; i++) add[i] -= size * noise;
                break;
            case "level_shift": {
                len = half;
                const shift = (5 + 3 * rng.next()) * noise * (rng.next() < 0.5 ? -1 : 1);
                for (let i = start; i < start + len; i++) add[i] += shift;
                break;
            }
            case "variance_burst":
                len = Math.max(6, Math.floor(w / 4));
                for (let i = start; i < start + len; i++) sigma[i] = noise * (4 + 2 * rng.next());
                break;
            case "stuck":
                len = Math.max(6, Math.floor(w / 4));
                stuckAt.push([start, start + len]);
                break;
            case "ramp": {
                const up = half;
                const down = Math.max(2, Math.floor(w / 4));
                len = up + down;
                const top = (8 + 4 * rng.next()) * noise;
                for (let i = 0; i < up; i++) add[start + i] += (top * (i + 1)) / up;
                for (let i = 0; i < down; i++) add[start + up + i] += (top * (down - 1 - i)) / down;
                break;
            }
        }
        const anomalyEnd = start + len - 1;
        windows.push({
            kind,
            start: START + (start - half) * step,
            end: START + Math.max(start + half, anomalyEnd) * step,
            anomalyStart: START + start * step,
            anomalyEnd: START + anomalyEnd * step,
        });
    });

    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.max(0, base[i] + add[i] + sigma[i] * gauss());
    for (const [from, to] of stuckAt) for (let i = from + 1; i < to; i++) values[i] = values[from];
    const points: Point[] = Array.from(values, (value, i) => ({ timestamp: START + i * step, value: round(value) }));
    windows.sort((a, b) => a.start - b.start);
    return {
        name: `synthetic-${step === 300 ? "5m" : `${step}s`}-${String(index).padStart(2, "0")}`,
        step,
        level: round(level),
        noise: round(noise),
        points,
        windows,
    };
}

/** 6 significant digits, as an exporter would print them (and so stuck values repeat exactly). */
function round(x: number): number {
    return Number(x.toPrecision(6));
}

/** Box-Muller normal deviates from the seeded uniform stream. */
function gaussian(rng: Random): () => number {
    let spare: number | undefined;
    return () => {
        if (spare !== undefined) {
            const s = spare;
            spare = undefined;
            return s;
        }
        const u = Math.max(rng.next(), 1e-12);
        const v = rng.next();
        const r = Math.sqrt(-2 * Math.log(u));
        spare = r * Math.sin(2 * Math.PI * v);
        return r * Math.cos(2 * Math.PI * v);
    };
}

function shuffle<T>(a: T[], rng: Random): T[] {
    for (let i = a.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
}
