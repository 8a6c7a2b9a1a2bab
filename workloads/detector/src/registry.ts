import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { MODEL_FILES } from "@aiops/contract";
import { ModelFile, parseModelFile } from "./model";

/** A model file that loaded: served at /v2/models/{name}[/versions/{version}]. */
export interface LoadedModel {
    name: string;
    /** First 12 hex digits of the file's SHA-256: changes whenever the model is retrained. */
    version: string;
    file: string;
    model: ModelFile;
}

/** A model file (or directory) that did not load; `name` is the file's stem so clients can ask about it. */
export interface LoadFailure {
    name: string;
    file: string;
    error: string;
}

export interface ModelRepository {
    dir: string;
    models: Map<string, LoadedModel>;
    failures: LoadFailure[];
    /**
     * No model file, but the trainer's placeholder (MODEL_FILES.placeholder): the first training has not run
     * yet. A state, not a failure: the server is ready and answers every model with "no model trained yet".
     */
    noModelYet?: boolean;
}

export interface LoadOptions {
    /**
     * Serve the only model under this name instead of the one in the file (KServe passes the
     * InferenceService name). With several model files it is a load failure.
     */
    nameOverride?: string;
}

/**
 * The server is ready when at least one model loaded and nothing failed, or when the directory holds only
 * the trainer's placeholder: then it must be reachable (KServe routes only to ready pods) to tell clients
 * "no model trained yet" instead of leaving them with a refused connection.
 */
export function isReady(repo: ModelRepository): boolean {
    return (repo.models.size > 0 && repo.failures.length === 0) || repo.noModelYet === true;
}

/** One line per problem, for logs and the ready endpoint. */
export function describeFailures(repo: ModelRepository): string {
    if (repo.failures.length === 0 && repo.models.size === 0) return `no model files in ${repo.dir}`;
    return repo.failures.map((f) => `${f.file}: ${f.error}`).join("; ");
}

/**
 * Model files under `dir`: every *.json directly in it, and in its subdirectories one level down
 * (KServe's storage initializer copies a single file or a whole folder into /mnt/models).
 * Hidden entries (dot files, such as Kubernetes' ..data links and the .no-model-yet placeholder) and a model
 * set's manifest.json are skipped. Sorted for stable order.
 */
export function findModelFiles(dir: string): string[] {
    const files: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        // The serving copy holds the set's manifest.json next to the models (detector train-all): not a model.
        if (entry.name.startsWith(".") || entry.name === MODEL_FILES.manifest) continue;
        const path = join(dir, entry.name);
        if (isJsonFile(path)) files.push(path);
        else if (isDirectory(path)) {
            for (const inner of readdirSync(path).sort()) {
                if (!inner.startsWith(".") && inner !== MODEL_FILES.manifest && isJsonFile(join(path, inner)))
                    files.push(join(path, inner));
            }
        }
    }
    return files.sort();
}

/** Loads every model file under `dir`; never throws, problems are returned as failures. */
export function loadModelRepository(dir: string, opts: LoadOptions = {}): ModelRepository {
    const repo: ModelRepository = { dir, models: new Map(), failures: [] };
    let files: string[];
    try {
        files = findModelFiles(dir);
    } catch (err) {
        repo.failures.push({ name: basename(dir), file: dir, error: `cannot read model directory: ${errorMessage(err)}` });
        return repo;
    }
    if (files.length === 0 && existsSync(join(dir, MODEL_FILES.placeholder))) {
        repo.noModelYet = true;
        return repo;
    }
    if (files.length === 0) {
        repo.failures.push({ name: basename(dir), file: dir, error: "no *.json model files found (looked one level deep)" });
        return repo;
    }
    if (opts.nameOverride !== undefined && files.length > 1) {
        repo.failures.push({
            name: opts.nameOverride,
            file: dir,
            error: `model name override '${opts.nameOverride}' needs exactly one model file; found ${files.length}: ${files.map((f) => basename(f)).join(", ")}`,
        });
        return repo;
    }
    for (const file of files) {
        const stem = basename(file, extname(file));
        try {
            const loaded = loadModel(file, opts.nameOverride);
            const clash = repo.models.get(loaded.name);
            if (clash !== undefined) {
                repo.failures.push({
                    name: loaded.name,
                    file,
                    error: `model name '${loaded.name}' is also used by ${clash.file}; rename one of them`,
                });
                continue;
            }
            repo.models.set(loaded.name, loaded);
        } catch (err) {
            repo.failures.push({ name: opts.nameOverride ?? stem, file, error: errorMessage(err) });
        }
    }
    return repo;
}

/** Reads, parses and validates one model file; throws with a message naming the problem. */
export function loadModel(file: string, nameOverride?: string): LoadedModel {
    const text = readFileSync(file, "utf8");
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new Error(`not valid JSON (${errorMessage(err)}); retrain it with 'detector train'`);
    }
    const model = parseModelFile(json, file);
    const version = createHash("sha256").update(text).digest("hex").slice(0, 12);
    return { name: nameOverride ?? model.name, version, file, model };
}

function isJsonFile(path: string): boolean {
    return extname(path).toLowerCase() === ".json" && statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function isDirectory(path: string): boolean {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

function errorMessage(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
