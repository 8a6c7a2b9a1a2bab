/**
 * The manifest of one trained model set (`manifest.json`, written by `detector train-all`) and the held-back
 * window's data (`holdout.json.gz`), which promotion re-scores the champion on.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { FEATURE_SETS, featureLookback, type FeatureSetName } from "../features";
import type { Point } from "../series";

export const MANIFEST_FORMAT = "aiops-model-set";
export const HOLDOUT_FORMAT = "aiops-holdout";
/** Not `.json`: the detector loads every *.json of its model directory, and this file is no model. */
export const HOLDOUT_FILE = "holdout.json.gz";

/** One node-exporter instance's share of a model's training data. */
export interface InstanceStats {
    instance: string;
    /** Points read from Prometheus (training + held back). */
    points: number;
    trainingPoints: number;
    holdoutPoints: number;
    /** Share of this instance's held-back points the model flags; null when it has none. */
    holdoutFlagRate: number | null;
}

export interface ManifestModel {
    /** Model name, served at /v2/models/<name> (node-cpu, ...). */
    name: string;
    /** The contract's metric (cpu, memory, disk, network). */
    metric: string;
    /** File name in the set: `<name>.json`. */
    file: string;
    /** The detector's version of the file: first 12 hex digits of its SHA-256. */
    version: string;
    /** The file's full SHA-256 (hex), checked after every download. */
    sha256: string;
    /** The PromQL the series came from (one series per instance). */
    query: string;
    /** Instances the model was trained on. */
    instances: InstanceStats[];
    /** Instances left out because they had fewer than minPoints points (e.g. a node that joined lately). */
    skipped: { instance: string; points: number }[];
    /** Points the forest was trained on (all instances, before the held-back window). */
    trainingPoints: number;
    /** Points in the held-back window (all instances). */
    holdoutPoints: number;
    /** Share of the training points the model flags: about the contamination by construction (for the default set, whose budget counts runs of flags as events, between it and EVENT_POINTS times it). */
    trainingFlagRate: number;
    /** Share of the held-back points the model flags: what promotion judges. */
    holdoutFlagRate: number;
    /** Quantiles of score_samples on the held-back window (lower is more anomalous). */
    holdoutScoreQuantiles: { p01: number; p05: number; p50: number };
}

export interface Manifest {
    format: typeof MANIFEST_FORMAT;
    formatVersion: 1;
    /** The set's version: first 12 hex digits of the SHA-256 of the models' "name version" lines. */
    version: string;
    createdAt: string;
    prometheus: string;
    /** Requested window (unix seconds) and step; `dataStart` is the first sample Prometheus actually had. */
    window: { start: number; end: number; hours: number; step: number; dataStart: number };
    /** The held-back window [start, end], the recent `fraction` of the data span, never trained on. */
    holdout: { start: number; end: number; fraction: number; file: string; sha256: string };
    /** Minimum points per instance this run required. */
    minPoints: number;
    /** Points of history the feature set needs before a point for its features to be fully formed. */
    lookbackPoints: number;
    training: { featureSet: FeatureSetName; trees: number; maxSamples: number; contamination: number | "auto"; seed: number };
    models: ManifestModel[];
}

/** Held-back data: per model, per instance, the held-back points plus enough history before them for the features. */
export interface Holdout {
    format: typeof HOLDOUT_FORMAT;
    formatVersion: 1;
    start: number;
    end: number;
    step: number;
    models: Record<string, { instance: string; timestamps: number[]; values: number[] }[]>;
}

/** Points of history a feature set needs before a point (features.ts featureLookback). */
export function lookbackPoints(set: FeatureSetName): number {
    return featureLookback(set);
}

/** Context kept before the held-back window: enough for any feature set, so a champion of another set scores fairly. */
export const HOLDOUT_CONTEXT_POINTS = Math.max(...(Object.keys(FEATURE_SETS) as FeatureSetName[]).map(lookbackPoints));

export function sha256Hex(data: string | Buffer): string {
    return createHash("sha256").update(data).digest("hex");
}

/** The detector's model version (registry.ts): the first 12 hex digits of the file's SHA-256. */
export function fileVersion(text: string | Buffer): string {
    return sha256Hex(text).slice(0, 12);
}

/** The set's version from its models' names and versions: changes whenever any model file changes. */
export function setVersion(models: readonly { name: string; version: string }[]): string {
    const lines = [...models].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => `${m.name} ${m.version}`);
    return sha256Hex(`${lines.join("\n")}\n`).slice(0, 12);
}

export function encodeHoldout(h: Holdout): Buffer {
    return gzipSync(JSON.stringify(h));
}

export function decodeHoldout(data: Buffer, source: string): Holdout {
    let json: unknown;
    try {
        json = JSON.parse(gunzipSync(data).toString("utf8"));
    } catch (err) {
        throw new Error(`${source} is not a gzipped JSON held-back window: ${(err as Error).message}`);
    }
    const h = json as Partial<Holdout>;
    if (h?.format !== HOLDOUT_FORMAT || h.formatVersion !== 1 || typeof h.models !== "object" || h.models === null) {
        throw new Error(`${source}: expected format "${HOLDOUT_FORMAT}" version 1`);
    }
    return h as Holdout;
}

/** The held-back series of one instance as points. */
export function holdoutPoints(s: { timestamps: number[]; values: number[] }): Point[] {
    return s.timestamps.map((timestamp, i) => ({ timestamp, value: s.values[i] }));
}

const VERSION = /^[0-9a-f]{12}$/;

export function isVersion(text: string): boolean {
    return VERSION.test(text);
}

/** Checks the fields promotion relies on; throws one error naming each problem. */
export function parseManifest(text: string, source: string): Manifest {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new Error(`${source} is not valid JSON: ${(err as Error).message}`);
    }
    const m = json as Partial<Manifest> | null;
    const problems: string[] = [];
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new Error(`${source}: expected a JSON object`);
    if (m.format !== MANIFEST_FORMAT) problems.push(`format must be "${MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}`);
    if (m.formatVersion !== 1) problems.push(`formatVersion must be 1, got ${JSON.stringify(m.formatVersion)}`);
    if (typeof m.version !== "string" || !isVersion(m.version))
        problems.push(`version must be 12 hex digits, got ${JSON.stringify(m.version)}`);
    if (!Array.isArray(m.models) || m.models.length === 0) problems.push("models must be a non-empty array");
    else {
        m.models.forEach((x, i) => {
            if (typeof x?.name !== "string" || typeof x.file !== "string" || typeof x.sha256 !== "string" || !isVersion(x.version ?? "")) {
                problems.push(`models[${i}] needs name, file, version (12 hex digits) and sha256`);
            } else if (x.file !== `${x.name}.json` || x.file.includes("/")) {
                problems.push(`models[${i}].file must be "${x.name}.json", got ${JSON.stringify(x.file)}`);
            }
        });
        if (problems.length === 0 && setVersion(m.models) !== m.version) {
            problems.push(`version ${m.version} does not match its models (expected ${setVersion(m.models)})`);
        }
    }
    if (typeof m.holdout?.file !== "string" || typeof m.holdout.sha256 !== "string") problems.push("holdout must name its file and sha256");
    if (problems.length > 0) throw new Error(`${source}: ${problems.join("; ")}`);
    return m as Manifest;
}
