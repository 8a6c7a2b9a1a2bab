/**
 * `detector promote` / `rollback` / `bootstrap`: the serving copy under `<store>/current/`, the MLflow
 * `champion` alias and the predictor roll.
 *
 * A candidate is promoted only when, for every model, its flag rate on its own held-back window lies within
 * [min, max] and is not worse (higher, beyond `tolerance`) than the champion's flag rate on that same window.
 * A rollback is the same promotion step without the guard.
 */
import { CHAMPION_ALIAS, MODEL_FILES, MODEL_STORE_LAYOUT, NO_MODEL_YET } from "@aiops/contract";
import { parseModelFile, scoreSeries, type ModelFile } from "../model";
import { rollPredictor, type InferenceServiceRef, type KubeOptions } from "./kube";
import { decodeHoldout, holdoutPoints, parseManifest, type Holdout, type Manifest } from "./manifest";
import { MlflowClient } from "./mlflow";
import { downloadSet, findModelVersion, findRun, TAGS, type LoadedSet } from "./publish";
import type { ModelStore } from "./store";

export interface Bounds {
    /** Lowest acceptable held-back flag rate. Default 0. */
    minFlagRate: number;
    /** Highest acceptable held-back flag rate. Default 0.1. */
    maxFlagRate: number;
    /** How far the candidate's rate may exceed the champion's on the same window. Default 0. */
    tolerance: number;
}

export const DEFAULT_BOUNDS: Bounds = { minFlagRate: 0, maxFlagRate: 0.1, tolerance: 0 };

export interface ModelJudgement {
    name: string;
    /** The candidate's flag rate on its held-back window; null when the window holds no point of this model. */
    candidate: number | null;
    /** The champion's flag rate on the same window; undefined without a champion model of this name. */
    champion?: number | null;
}

export interface Decision {
    promote: boolean;
    /** Why not (one entry per failed check), or why (one line) when promoted. */
    reasons: string[];
}

/** The guard, pure: every model must be within bounds and not worse than the champion. */
export function judge(models: readonly ModelJudgement[], bounds: Bounds, championModels: readonly string[] = []): Decision {
    const reasons: string[] = [];
    const names = new Set(models.map((m) => m.name));
    for (const name of championModels) if (!names.has(name)) reasons.push(`the candidate has no ${name} model, which the champion serves`);
    for (const m of models) {
        if (m.candidate === null) {
            reasons.push(`${m.name} has no held-back points to judge it on`);
            continue;
        }
        if (m.candidate < bounds.minFlagRate)
            reasons.push(`${m.name} flags ${rate(m.candidate)} of the held-back window, below the minimum ${rate(bounds.minFlagRate)}`);
        if (m.candidate > bounds.maxFlagRate)
            reasons.push(`${m.name} flags ${rate(m.candidate)} of the held-back window, above the maximum ${rate(bounds.maxFlagRate)}`);
        if (typeof m.champion === "number" && m.candidate > m.champion + bounds.tolerance) {
            reasons.push(
                `${m.name} flags ${rate(m.candidate)} of the held-back window, worse than the champion's ${rate(m.champion)}` +
                    (bounds.tolerance > 0 ? ` (tolerance ${rate(bounds.tolerance)})` : ""),
            );
        }
    }
    if (reasons.length > 0) return { promote: false, reasons };
    const compared = models.filter((m) => typeof m.champion === "number").length;
    return {
        promote: true,
        reasons: [
            `every model is within [${rate(bounds.minFlagRate)}, ${rate(bounds.maxFlagRate)}] on the held-back window` +
                (compared > 0 ? ` and not worse than the champion (${compared} model(s) compared)` : " (no champion to compare with)"),
        ],
    };
}

/** Share of held-back points (at or after holdout.start) that `model` flags, over every instance of `name`. */
export function holdoutFlagRate(model: ModelFile, holdout: Holdout, name: string): number | null {
    let flags = 0;
    let count = 0;
    for (const s of holdout.models[name] ?? []) {
        const points = holdoutPoints(s);
        if (points.length === 0) continue;
        for (const p of scoreSeries(model, points)) {
            if (p.timestamp < holdout.start) continue;
            count++;
            if (p.label === -1) flags++;
        }
    }
    return count === 0 ? null : flags / count;
}

function parseModels(set: LoadedSet, source: string): Map<string, ModelFile> {
    const out = new Map<string, ModelFile>();
    for (const m of set.manifest.models) {
        const data = set.files.get(m.file) as Buffer;
        out.set(m.name, parseModelFile(JSON.parse(data.toString("utf8")), `${source}/${m.file}`));
    }
    return out;
}

export const SERVING = MODEL_STORE_LAYOUT.serving;

/** The manifest of the serving copy, or undefined when only the placeholder (or nothing) is there. */
export async function servingManifest(store: ModelStore): Promise<Manifest | undefined> {
    const data = await store.get(`${SERVING}/${MODEL_FILES.manifest}`);
    return data === undefined ? undefined : parseManifest(data.toString("utf8"), `${store.uri}/${SERVING}/${MODEL_FILES.manifest}`);
}

/** Text of the placeholder: non-empty, because KServe's storage-initializer skips objects of size 0. */
export const PLACEHOLDER_TEXT = `${NO_MODEL_YET}: detector run writes the models here after its first training\n`;

/**
 * Writes the placeholder into current/ when nothing is there: KServe v0.20.0's storage-initializer fails the
 * predictor pod when the storage URI's prefix holds no object ("Failed to fetch model. No model found in ...",
 * python/storage/kserve_storage/kserve_storage.py _download_s3), and it skips keys ending in "/" and objects
 * of size 0. Returns whether it wrote it.
 */
export async function bootstrap(store: ModelStore, log: (line: string) => void = () => undefined): Promise<boolean> {
    const existing = await store.list(SERVING);
    if (existing.length > 0) {
        log(`${store.uri}/${SERVING}/ already holds ${existing.join(", ")}; leaving it`);
        return false;
    }
    await store.put(`${SERVING}/${MODEL_FILES.placeholder}`, PLACEHOLDER_TEXT, "text/plain");
    log(`wrote the placeholder ${store.uri}/${SERVING}/${MODEL_FILES.placeholder}`);
    return true;
}

/** Replaces current/ with a set: models, then the manifest, then the placeholder and stale files go. */
export async function writeServingCopy(store: ModelStore, set: LoadedSet): Promise<void> {
    const before = await store.list(SERVING);
    const keep = new Set([...set.manifest.models.map((m) => m.file), MODEL_FILES.manifest]);
    for (const m of set.manifest.models) await store.put(`${SERVING}/${m.file}`, set.files.get(m.file) as Buffer, "application/json");
    await store.put(`${SERVING}/${MODEL_FILES.manifest}`, set.manifestText, "application/json");
    for (const key of before) if (!keep.has(key)) await store.delete(`${SERVING}/${key}`);
}

export interface PromoteOptions {
    /** The published version to promote. */
    version: string;
    /** Skip the guard (rollback). */
    force?: boolean;
    bounds?: Bounds;
    experiment: string;
    /** The InferenceService to roll; undefined: no roll (the predictor picks the copy up at its next restart). */
    inferenceService?: InferenceServiceRef;
    kube?: KubeOptions;
    log?: (line: string) => void;
}

export interface PromoteResult {
    version: string;
    /** promoted (guard passed), kept (guard refused), rolled-back (forced), unchanged (already the champion). */
    decision: "promoted" | "kept" | "rolled-back" | "unchanged";
    /** The champion before this step. */
    previous?: string;
    reasons: string[];
    models: ModelJudgement[];
}

export async function promote(store: ModelStore, mlflow: MlflowClient, opts: PromoteOptions): Promise<PromoteResult> {
    const log = opts.log ?? (() => undefined);
    const bounds = opts.bounds ?? DEFAULT_BOUNDS;
    const candidate = await downloadSet(store, opts.version);
    if (candidate === undefined) {
        const published = (await store.list(MODEL_STORE_LAYOUT.versions))
            .filter((k) => k.endsWith(`/${MODEL_FILES.manifest}`))
            .map((k) => k.split("/")[0]);
        throw new Error(
            `${store.description} has no version ${opts.version} under ${MODEL_STORE_LAYOUT.versions}/ (published: ${published.join(", ") || "none"}); run detector publish first`,
        );
    }
    const current = await servingManifest(store);
    const previous = current?.version;
    let decision: PromoteResult["decision"];
    let reasons: string[];
    let models: ModelJudgement[] = [];
    if (opts.force) {
        decision = previous === opts.version ? "unchanged" : "rolled-back";
        reasons = [`forced (rollback) from ${previous ?? "no champion"} to ${opts.version}`];
    } else if (previous === opts.version) {
        decision = "unchanged";
        reasons = [`${opts.version} is already the champion; re-applying the serving copy, alias and roll`];
    } else {
        const holdout = decodeHoldout(
            candidate.files.get(candidate.manifest.holdout.file) as Buffer,
            `${opts.version}/${candidate.manifest.holdout.file}`,
        );
        const candidateModels = parseModels(candidate, `${store.uri}/versions/${opts.version}`);
        let championModels = new Map<string, ModelFile>();
        if (previous !== undefined) {
            // The serving copy is the champion: what the predictor loads at its next start.
            const champion = await downloadServing(store, current as Manifest);
            championModels = parseModels(champion, `${store.uri}/${SERVING}`);
        }
        models = candidate.manifest.models.map((m) => {
            const champion = championModels.get(m.name);
            return {
                name: m.name,
                candidate: holdoutFlagRate(candidateModels.get(m.name) as ModelFile, holdout, m.name),
                ...(champion ? { champion: holdoutFlagRate(champion, holdout, m.name) } : {}),
            };
        });
        const d = judge(models, bounds, [...championModels.keys()]);
        decision = d.promote ? "promoted" : "kept";
        reasons = d.reasons;
    }
    log(
        `${decision === "kept" ? "keeping the champion" : decision}: ${opts.version} (champion was ${previous ?? "none"}): ${reasons.join("; ")}`,
    );

    // Record the decision on the candidate's run.
    const experimentId = await mlflow.ensureExperiment(opts.experiment);
    const run = await findRun(mlflow, experimentId, opts.version);
    // A re-applied champion keeps the tags of the decision that made it champion.
    if (run !== undefined && decision !== "unchanged") {
        await mlflow.logBatch(run.info.run_id, {
            tags: [
                { key: TAGS.promotion, value: decision },
                { key: TAGS.promotionReason, value: reasons.join("; ").slice(0, 5000) },
            ],
            metrics: models.flatMap((m) => [
                ...(m.candidate === null ? [] : [{ key: `${m.name}.promotion_holdout_flag_rate`, value: m.candidate }]),
                ...(typeof m.champion === "number" ? [{ key: `${m.name}.champion_holdout_flag_rate`, value: m.champion }] : []),
            ]),
        });
    } else if (run === undefined) {
        log(
            `MLflow at ${mlflow.url} has no run for version ${opts.version} in experiment '${opts.experiment}'; the decision is only logged`,
        );
    }
    if (decision === "kept") return { version: opts.version, decision, previous, reasons, models };

    // Look every registered version up before changing anything, so a version unknown to MLflow changes nothing.
    const registered = new Map<string, string>();
    for (const m of candidate.manifest.models) {
        const mv = await findModelVersion(mlflow, m.name, opts.version);
        if (mv === undefined) {
            throw new Error(
                `MLflow at ${mlflow.url} has no registered version of ${m.name} for set ${opts.version}; run detector publish for it first`,
            );
        }
        registered.set(m.name, mv.version);
    }
    await writeServingCopy(store, candidate);
    log(
        `wrote the serving copy ${store.uri}/${SERVING}/ (${candidate.manifest.models.map((m) => m.file).join(", ")}, ${MODEL_FILES.manifest})`,
    );
    for (const [name, v] of registered) await mlflow.setAlias(name, CHAMPION_ALIAS, v);
    log(`MLflow alias '${CHAMPION_ALIAS}' -> ${[...registered].map(([n, v]) => `${n} v${v}`).join(", ")}`);
    if (opts.inferenceService !== undefined) {
        const server = await rollPredictor(opts.inferenceService, opts.version, opts.kube);
        log(
            `rolled InferenceService ${opts.inferenceService.namespace}/${opts.inferenceService.name} to ${opts.version} through ${server}`,
        );
    } else {
        log("no InferenceService configured (INFERENCE_SERVICE): the predictor loads the new copy at its next restart");
    }
    return { version: opts.version, decision, previous, reasons, models };
}

/** The serving copy's files, checked against its manifest. */
async function downloadServing(store: ModelStore, manifest: Manifest): Promise<LoadedSet> {
    const files = new Map<string, Buffer>();
    for (const m of manifest.models) {
        const data = await store.get(`${SERVING}/${m.file}`);
        if (data === undefined)
            throw new Error(`${store.description}: ${SERVING}/${m.file} is missing, though ${SERVING}/${MODEL_FILES.manifest} lists it`);
        files.set(m.file, data);
    }
    return { manifest, manifestText: "", files };
}

function rate(x: number): string {
    return `${(100 * x).toFixed(2)}%`;
}
