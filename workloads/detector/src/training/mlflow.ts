/**
 * The few MLflow REST calls the trainer makes (MLflow 3.15.1, the version the platform's chart ships):
 * tracking (`/api/2.0/mlflow/...`: mlflow/protos/service.proto), the model registry
 * (`model_registry.proto`) and the artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/<path>`, served by
 * `mlflow server --serve-artifacts`, so the trainer needs no credentials for MLflow's bucket).
 */
import { causeText } from "../prometheus";

export class MlflowError extends Error {
    constructor(
        message: string,
        /** MLflow's error_code (RESOURCE_DOES_NOT_EXIST, ...) or undefined for transport errors. */
        readonly code?: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "MlflowError";
    }
}

export interface MlflowOptions {
    /** Tracking server base URL, e.g. http://mlflow.mlflow.svc.cluster.local (a path prefix is kept). */
    url: string;
    /** MLFLOW_TRACKING_TOKEN: sent as a bearer token. */
    token?: string;
    /** MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: basic auth (the chart's auth.enabled). */
    username?: string;
    password?: string;
    /** Per-request timeout. Default 30 s. */
    timeoutMs?: number;
    /** Attempts for connection errors and 502/503/504. Default 3. */
    attempts?: number;
}

export interface KeyValue {
    key: string;
    value: string;
}

export interface RunInfo {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status?: string;
    artifact_uri: string;
}

export interface Run {
    info: RunInfo;
    data: { metrics?: { key: string; value: number }[]; params?: KeyValue[]; tags?: KeyValue[] };
}

export interface ModelVersion {
    name: string;
    version: string;
    source?: string;
    run_id?: string;
    status?: string;
    tags?: KeyValue[];
    aliases?: string[];
}

export class MlflowClient {
    readonly url: string;
    private readonly headers: Record<string, string>;
    private readonly timeoutMs: number;
    private readonly attempts: number;

    constructor(opts: MlflowOptions) {
        this.url = opts.url.replace(/\/+$/, "");
        this.headers = {};
        if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
        else if (opts.username !== undefined && opts.password !== undefined)
            this.headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString("base64")}`;
        this.timeoutMs = opts.timeoutMs ?? 30000;
        this.attempts = opts.attempts ?? 3;
    }

    /** One REST call; JSON in and out. Errors name MLflow, its URL and the endpoint. */
    async call<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
        const qs = query ? `?${new URLSearchParams(query).toString()}` : "";
        const init: RequestInit = { method, headers: { ...this.headers } };
        if (body !== undefined) {
            init.body = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
            (init.headers as Record<string, string>)["content-type"] = Buffer.isBuffer(body)
                ? "application/octet-stream"
                : typeof body === "string"
                  ? "text/plain"
                  : "application/json";
        }
        const text = await this.send(`${this.url}${path}${qs}`, init, `${method} ${path}`);
        if (text === "") return {} as T;
        try {
            return JSON.parse(text) as T;
        } catch {
            throw new MlflowError(
                `MLflow at ${this.url}: ${method} ${path} answered with a non-JSON body; is ${this.url} the MLflow tracking URI?`,
            );
        }
    }

    private async send(url: string, init: RequestInit, what: string): Promise<string> {
        for (let attempt = 1; ; attempt++) {
            let res: Response;
            try {
                res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
            } catch (err) {
                if (attempt < this.attempts) {
                    await sleep(500 * 2 ** attempt);
                    continue;
                }
                throw new MlflowError(
                    `cannot reach MLflow at ${this.url} (${what}): ${causeText(err)}; check MLFLOW_TRACKING_URI and that MLflow is running`,
                );
            }
            const text = await res.text();
            if (res.ok) return text;
            if ([502, 503, 504].includes(res.status) && attempt < this.attempts) {
                await sleep(500 * 2 ** attempt);
                continue;
            }
            let code: string | undefined;
            let message = text.slice(0, 300);
            try {
                const j = JSON.parse(text) as { error_code?: string; message?: string };
                code = j.error_code;
                message = j.message ?? message;
            } catch {
                // not JSON: keep the text
            }
            throw new MlflowError(
                `MLflow at ${this.url}: ${what} failed (HTTP ${res.status}${code ? ` ${code}` : ""}): ${message}`,
                code,
                res.status,
            );
        }
    }

    // ---- tracking

    /** The experiment's id, created when missing. */
    async ensureExperiment(name: string): Promise<string> {
        try {
            const r = await this.call<{ experiment: { experiment_id: string } }>(
                "GET",
                "/api/2.0/mlflow/experiments/get-by-name",
                undefined,
                {
                    experiment_name: name,
                },
            );
            return r.experiment.experiment_id;
        } catch (err) {
            if (!(err instanceof MlflowError) || err.code !== "RESOURCE_DOES_NOT_EXIST") throw err;
        }
        try {
            return (await this.call<{ experiment_id: string }>("POST", "/api/2.0/mlflow/experiments/create", { name })).experiment_id;
        } catch (err) {
            // Another run created it in between.
            if (err instanceof MlflowError && err.code === "RESOURCE_ALREADY_EXISTS") return this.ensureExperiment(name);
            throw err;
        }
    }

    async createRun(experimentId: string, runName: string, tags: KeyValue[]): Promise<RunInfo> {
        const r = await this.call<{ run: Run }>("POST", "/api/2.0/mlflow/runs/create", {
            experiment_id: experimentId,
            run_name: runName,
            start_time: Date.now(),
            tags,
        });
        return r.run.info;
    }

    async getRun(runId: string): Promise<Run> {
        return (await this.call<{ run: Run }>("GET", "/api/2.0/mlflow/runs/get", undefined, { run_id: runId })).run;
    }

    /** Runs of the experiment matching a filter (e.g. `tags.\`aiops.set_version\` = 'abc'`), newest first. */
    async searchRuns(experimentId: string, filter: string): Promise<Run[]> {
        const r = await this.call<{ runs?: Run[] }>("POST", "/api/2.0/mlflow/runs/search", {
            experiment_ids: [experimentId],
            filter,
            max_results: 50,
            order_by: ["attributes.start_time DESC"],
        });
        return r.runs ?? [];
    }

    /** Params, metrics and tags in batches under MLflow's limits (100 params, 1000 metrics, 100 tags). */
    async logBatch(
        runId: string,
        batch: { params?: KeyValue[]; metrics?: { key: string; value: number }[]; tags?: KeyValue[] },
    ): Promise<void> {
        const now = Date.now();
        const params = batch.params ?? [];
        const metrics = (batch.metrics ?? []).map((m) => ({ ...m, timestamp: now, step: 0 }));
        const tags = batch.tags ?? [];
        const batches = Math.max(Math.ceil(params.length / 100), Math.ceil(tags.length / 100), Math.ceil(metrics.length / 1000), 1);
        for (let b = 0; b < batches; b++) {
            await this.call("POST", "/api/2.0/mlflow/runs/log-batch", {
                run_id: runId,
                params: params.slice(b * 100, (b + 1) * 100),
                tags: tags.slice(b * 100, (b + 1) * 100),
                metrics: metrics.slice(b * 1000, (b + 1) * 1000),
            });
        }
    }

    async setTag(runId: string, key: string, value: string): Promise<void> {
        await this.call("POST", "/api/2.0/mlflow/runs/set-tag", { run_id: runId, key, value });
    }

    async finishRun(runId: string, status: "FINISHED" | "FAILED"): Promise<void> {
        await this.call("POST", "/api/2.0/mlflow/runs/update", { run_id: runId, status, end_time: Date.now() });
    }

    // ---- artifacts, through the server's proxy

    /** `mlflow-artifacts:/<path>` (or `mlflow-artifacts://host/<path>`) to the proxy URL the server answers on. */
    artifactUrl(artifactUri: string, path: string): string {
        const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
        if (!m) {
            throw new MlflowError(
                `MLflow at ${this.url} gave the run the artifact location '${artifactUri}', which the trainer cannot write: it uploads ` +
                    "through MLflow's artifact proxy, so run the server with --serve-artifacts (chart: artifactRoot.proxiedArtifactStorage: true)",
            );
        }
        const rel = [m[1], path]
            .filter((p) => p !== "")
            .join("/")
            .replace(/\/+/g, "/");
        return `${this.url}/api/2.0/mlflow-artifacts/artifacts/${rel.split("/").map(encodeURIComponent).join("/")}`;
    }

    async uploadArtifact(artifactUri: string, path: string, body: string | Buffer, contentType = "application/json"): Promise<void> {
        const url = this.artifactUrl(artifactUri, path);
        await this.send(url, { method: "PUT", body, headers: { ...this.headers, "content-type": contentType } }, `PUT artifact ${path}`);
    }

    async downloadArtifact(artifactUri: string, path: string): Promise<string> {
        return this.send(this.artifactUrl(artifactUri, path), { method: "GET", headers: { ...this.headers } }, `GET artifact ${path}`);
    }

    // ---- registry

    async ensureRegisteredModel(name: string, description: string): Promise<void> {
        try {
            await this.call("POST", "/api/2.0/mlflow/registered-models/create", { name, description });
        } catch (err) {
            if (!(err instanceof MlflowError) || err.code !== "RESOURCE_ALREADY_EXISTS") throw err;
        }
    }

    async createModelVersion(name: string, source: string, runId: string, tags: KeyValue[], description: string): Promise<ModelVersion> {
        const r = await this.call<{ model_version: ModelVersion }>("POST", "/api/2.0/mlflow/model-versions/create", {
            name,
            source,
            run_id: runId,
            tags,
            description,
        });
        return r.model_version;
    }

    async searchModelVersions(filter: string): Promise<ModelVersion[]> {
        const r = await this.call<{ model_versions?: ModelVersion[] }>("GET", "/api/2.0/mlflow/model-versions/search", undefined, {
            filter,
            max_results: "200",
        });
        return r.model_versions ?? [];
    }

    async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
        await this.call("POST", "/api/2.0/mlflow/model-versions/set-tag", { name, version, key, value });
    }

    async setAlias(name: string, alias: string, version: string): Promise<void> {
        await this.call("POST", "/api/2.0/mlflow/registered-models/alias", { name, alias, version });
    }

    /** The version an alias points at, or undefined when the model or the alias does not exist. */
    async getAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
        try {
            return (
                await this.call<{ model_version: ModelVersion }>("GET", "/api/2.0/mlflow/registered-models/alias", undefined, {
                    name,
                    alias,
                })
            ).model_version;
        } catch (err) {
            if (err instanceof MlflowError && (err.code === "RESOURCE_DOES_NOT_EXIST" || err.code === "INVALID_PARAMETER_VALUE"))
                return undefined;
            throw err;
        }
    }
}

/** A string literal for MLflow's filter syntax. */
export function filterString(value: string): string {
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
