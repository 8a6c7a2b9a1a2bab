/**
 * `detector publish`: uploads a train-all directory under `<store>/versions/<version>/` and records it in
 * MLflow: one run (params, metrics, the files as artifacts) and one registered-model version per model.
 * Idempotent: publishing the same version again finds the run and the model versions by their
 * `aiops.set_version` tag and re-uploads the same bytes, so a retried pipeline step creates nothing twice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_FILES, MODEL_STORE_LAYOUT } from "@aiops/contract";
import { filterString, MlflowClient, type KeyValue, type ModelVersion } from "./mlflow";
import { fileVersion, parseManifest, sha256Hex, type Manifest } from "./manifest";
import type { ModelStore } from "./store";

/** Tag keys on the MLflow run and the model versions. */
export const TAGS = {
    setVersion: "aiops.set_version",
    modelVersion: "aiops.model_version",
    storeUri: "aiops.store_uri",
    holdoutFlagRate: "aiops.holdout_flag_rate",
    promotion: "aiops.promotion",
    promotionReason: "aiops.promotion_reason",
} as const;

/** Artifact folder of the run that mirrors versions/<version>/. */
export const ARTIFACT_DIR = "model-set";

export interface LoadedSet {
    manifest: Manifest;
    manifestText: string;
    /** File name to bytes: every model file and the held-back window. */
    files: Map<string, Buffer>;
}

/** Reads a train-all directory and checks every file against the manifest's hashes. */
export function readSetDir(dir: string): LoadedSet {
    const manifestPath = join(dir, MODEL_FILES.manifest);
    let manifestText: string;
    try {
        manifestText = readFileSync(manifestPath, "utf8");
    } catch (err) {
        throw new Error(
            `cannot read ${manifestPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; run 'detector train-all --out-dir ${dir}' first`,
        );
    }
    const manifest = parseManifest(manifestText, manifestPath);
    const files = new Map<string, Buffer>();
    for (const [file, sha] of setFiles(manifest)) {
        const path = join(dir, file);
        let data: Buffer;
        try {
            data = readFileSync(path);
        } catch (err) {
            throw new Error(`cannot read ${path}, listed in ${manifestPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        if (sha256Hex(data) !== sha)
            throw new Error(`${path} does not match the SHA-256 in ${manifestPath}; the directory was changed after training`);
        files.set(file, data);
    }
    return { manifest, manifestText, files };
}

/** Every file of a set with its SHA-256, model files first. */
export function setFiles(m: Manifest): [string, string][] {
    return [...m.models.map((x): [string, string] => [x.file, x.sha256]), [m.holdout.file, m.holdout.sha256]];
}

export function versionDir(version: string): string {
    return `${MODEL_STORE_LAYOUT.versions}/${version}`;
}

/** Uploads the files, then the manifest (its presence marks the version complete). */
export async function uploadSet(store: ModelStore, set: LoadedSet): Promise<string> {
    const dir = versionDir(set.manifest.version);
    for (const [file, data] of set.files)
        await store.put(`${dir}/${file}`, data, file.endsWith(".json") ? "application/json" : "application/gzip");
    await store.put(`${dir}/${MODEL_FILES.manifest}`, set.manifestText, "application/json");
    return `${store.uri}/${dir}/`;
}

/** Downloads a published version from the store, checking every hash; undefined when it does not exist. */
export async function downloadSet(store: ModelStore, version: string): Promise<LoadedSet | undefined> {
    const dir = versionDir(version);
    const text = await store.get(`${dir}/${MODEL_FILES.manifest}`);
    if (text === undefined) return undefined;
    const manifestText = text.toString("utf8");
    const source = `${store.uri}/${dir}/${MODEL_FILES.manifest}`;
    const manifest = parseManifest(manifestText, source);
    if (manifest.version !== version) throw new Error(`${source} describes version ${manifest.version}, not ${version}`);
    const files = new Map<string, Buffer>();
    for (const [file, sha] of setFiles(manifest)) {
        const data = await store.get(`${dir}/${file}`);
        if (data === undefined) throw new Error(`${store.description}: ${dir}/${file} is missing, though ${source} lists it`);
        if (sha256Hex(data) !== sha) throw new Error(`${store.description}: ${dir}/${file} does not match the SHA-256 in ${source}`);
        files.set(file, data);
    }
    return { manifest, manifestText, files };
}

export interface PublishResult {
    version: string;
    storeUri: string;
    experimentId: string;
    runId: string;
    /** Registered model name to its MLflow version number. */
    modelVersions: Record<string, string>;
}

/** MLflow run params: the training window and options (values are strings, at most 6,000 characters). */
export function runParams(m: Manifest): KeyValue[] {
    const instances = new Set(m.models.flatMap((x) => x.instances.map((i) => i.instance)));
    const p: Record<string, string | number> = {
        set_version: m.version,
        window_hours: m.window.hours,
        window_start: new Date(m.window.start * 1000).toISOString(),
        window_end: new Date(m.window.end * 1000).toISOString(),
        data_start: new Date(m.window.dataStart * 1000).toISOString(),
        step_seconds: m.window.step,
        holdout_fraction: m.holdout.fraction,
        holdout_start: new Date(m.holdout.start * 1000).toISOString(),
        min_points: m.minPoints,
        lookback_points: m.lookbackPoints,
        features: m.training.featureSet,
        trees: m.training.trees,
        max_samples: m.training.maxSamples,
        contamination: m.training.contamination,
        seed: m.training.seed,
        instances: instances.size,
        instance_names: [...instances].sort().join(",").slice(0, 6000),
        models: m.models.map((x) => x.name).join(","),
        prometheus: m.prometheus,
    };
    return Object.entries(p).map(([key, value]) => ({ key, value: String(value) }));
}

/** MLflow run metrics, one group per model: `<model>.<metric>`. */
export function runMetrics(m: Manifest): { key: string; value: number }[] {
    return m.models.flatMap((x) => [
        { key: `${x.name}.points`, value: x.trainingPoints + x.holdoutPoints },
        { key: `${x.name}.training_points`, value: x.trainingPoints },
        { key: `${x.name}.holdout_points`, value: x.holdoutPoints },
        { key: `${x.name}.instances`, value: x.instances.length },
        { key: `${x.name}.skipped_instances`, value: x.skipped.length },
        { key: `${x.name}.training_flag_rate`, value: x.trainingFlagRate },
        { key: `${x.name}.holdout_flag_rate`, value: x.holdoutFlagRate },
        { key: `${x.name}.holdout_score_p01`, value: x.holdoutScoreQuantiles.p01 },
        { key: `${x.name}.holdout_score_p05`, value: x.holdoutScoreQuantiles.p05 },
        { key: `${x.name}.holdout_score_p50`, value: x.holdoutScoreQuantiles.p50 },
    ]);
}

/** The run of a set version, or undefined. */
export async function findRun(mlflow: MlflowClient, experimentId: string, version: string) {
    const runs = await mlflow.searchRuns(experimentId, `tags.\`${TAGS.setVersion}\` = ${filterString(version)}`);
    return runs.find((r) => r.info.status === "FINISHED") ?? runs[0];
}

/** The registered-model version of `name` that belongs to set `version`, or undefined. */
export async function findModelVersion(mlflow: MlflowClient, name: string, version: string): Promise<ModelVersion | undefined> {
    const found = await mlflow.searchModelVersions(
        `name = ${filterString(name)} AND tags.\`${TAGS.setVersion}\` = ${filterString(version)}`,
    );
    return found.sort((a, b) => Number(a.version) - Number(b.version))[0];
}

/** Uploads the set and records it in MLflow. */
export async function publish(
    set: LoadedSet,
    store: ModelStore,
    mlflow: MlflowClient,
    experiment: string,
    log: (line: string) => void = () => undefined,
): Promise<PublishResult> {
    const m = set.manifest;
    // Every model file must be what the detector will call it.
    for (const x of m.models) {
        const data = set.files.get(x.file);
        if (data === undefined || fileVersion(data) !== x.version) throw new Error(`${x.file} does not have version ${x.version}`);
    }
    const storeUri = await uploadSet(store, set);
    log(`uploaded version ${m.version} to ${storeUri}`);

    const experimentId = await mlflow.ensureExperiment(experiment);
    let run = await findRun(mlflow, experimentId, m.version);
    if (run?.info.status === "FINISHED") {
        log(`MLflow at ${mlflow.url} already has run ${run.info.run_id} for version ${m.version}; not logging it again`);
    } else {
        const info =
            run?.info ??
            (await mlflow.createRun(experimentId, `train-${m.version}`, [
                { key: TAGS.setVersion, value: m.version },
                { key: TAGS.storeUri, value: storeUri },
            ]));
        // Re-logging a param with the same value is allowed, so a run left unfinished by a crash is completed.
        await mlflow.logBatch(info.run_id, { params: runParams(m), metrics: runMetrics(m) });
        // Artifacts mirror versions/<version>/ (the held-back data stays in the store only: it is data, not model).
        for (const x of m.models)
            await mlflow.uploadArtifact(info.artifact_uri, `${ARTIFACT_DIR}/${x.file}`, set.files.get(x.file) as Buffer);
        await mlflow.uploadArtifact(info.artifact_uri, `${ARTIFACT_DIR}/${MODEL_FILES.manifest}`, set.manifestText);
        await mlflow.finishRun(info.run_id, "FINISHED");
        run = { info: { ...info, status: "FINISHED" }, data: {} };
        log(`recorded run ${info.run_id} in MLflow at ${mlflow.url} (experiment '${experiment}')`);
    }
    const runInfo = run.info;
    const modelVersions: Record<string, string> = {};
    for (const x of m.models) {
        await mlflow.ensureRegisteredModel(
            x.name,
            `Isolation Forest for ${x.metric} (detector model '${x.name}'), trained by detector train-all`,
        );
        let mv = await findModelVersion(mlflow, x.name, m.version);
        if (mv === undefined) {
            mv = await mlflow.createModelVersion(
                x.name,
                `${runInfo.artifact_uri}/${ARTIFACT_DIR}/${x.file}`,
                runInfo.run_id,
                [
                    { key: TAGS.setVersion, value: m.version },
                    { key: TAGS.modelVersion, value: x.version },
                    { key: TAGS.storeUri, value: `${storeUri}${x.file}` },
                    { key: TAGS.holdoutFlagRate, value: String(x.holdoutFlagRate) },
                ],
                `set ${m.version}, file version ${x.version}`,
            );
        }
        modelVersions[x.name] = mv.version;
    }
    log(
        `registered ${Object.entries(modelVersions)
            .map(([n, v]) => `${n} v${v}`)
            .join(", ")}`,
    );
    return { version: m.version, storeUri, experimentId, runId: runInfo.run_id, modelVersions };
}
