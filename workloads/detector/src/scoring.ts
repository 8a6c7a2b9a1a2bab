/**
 * Where an infer request is scored: small ones inline on the main thread (a 360-point window takes well
 * under a millisecond), large ones on one worker thread, one at a time. A maximum-size request takes
 * hundreds of milliseconds of CPU; on the main thread it would stall /v2/health/live past the probe timeout.
 * One worker, serial: three maximum requests at once cost the memory of one, which keeps the server inside
 * the smallest container limit (see the README's limits table).
 */
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { computeSortedFeatureColumns } from "./features";
import { featureRows, scoreFlatRows, scoreRows, type ModelFile } from "./model";
import { HttpError } from "./http-error";
import { OipRequestError } from "./oip";
import type { Point } from "./series";

/** Requests with more points than this are scored on the worker thread. */
export const INLINE_MAX_POINTS = 5_000;
/** Large requests waiting for or on the worker; more get 503 with Retry-After (each holds its input). */
export const MAX_QUEUED_LARGE_REQUESTS = 8;
/** Heap of the worker: a maximum request needs well under this; a bug cannot take the server down with it. */
export const WORKER_HEAP_MB = 192;
/** The worker exits after this long without work, returning its memory. */
export const WORKER_IDLE_MS = 30_000;

interface WorkerRequestBase {
    id: number;
    /** name@version: the worker caches models by it. */
    key: string;
    /** Sent the first time the worker sees this key. */
    model?: ModelFile;
}

/** Score parsed points; the answer is scores, labels and feature rows. */
export interface PointsRequest extends WorkerRequestBase {
    kind: "points";
    timestamps: Float64Array;
    values: Float64Array;
}

/** Parse, check and score a body's text; the answer is the response's JSON text. */
export interface RawRequest extends WorkerRequestBase {
    kind: "raw";
    text: string;
    /** The response's id when the request has none (the HTTP request id). */
    fallbackId: string;
    meta: { name: string; version: string };
}

export type WorkerRequest = PointsRequest | RawRequest;

/** A large body scored on the worker: the response text and what the metrics and drift window need. */
export interface ScoredRaw {
    json: string;
    rows: Float64Array;
    nFeatures: number;
    points: number;
    anomalies: number;
    oipId?: string;
}

export type WorkerResponse =
    | { id: number; scores: Float64Array; labels: Int8Array; rows: Float64Array; nFeatures: number; error?: undefined; json?: undefined }
    | (ScoredRaw & { id: number; error?: undefined })
    | { id: number; error: string; status?: number };

/** Scores, labels and the feature rows (for the drift window), one per point in input order. */
export interface Scored {
    scores: ArrayLike<number>;
    labels: ArrayLike<number>;
    /** Feature rows, either as arrays or flat row-major with `nFeatures` columns. */
    rows: readonly (readonly number[])[] | Float64Array;
    nFeatures: number;
}

/** The scorer is busy with as many large requests as it queues: the client should retry. */
export class ScorerBusyError extends HttpError {
    constructor() {
        super(503, `the detector is scoring ${MAX_QUEUED_LARGE_REQUESTS} large requests already; retry shortly or send fewer points`, {
            "retry-after": "1",
        });
        this.name = "ScorerBusyError";
    }
}

export function scoreInline(model: ModelFile, timestamps: Float64Array, values: Float64Array): Scored {
    // The common case (time order): columns straight from the arrays, rows flat; no object or array per point,
    // which halves the garbage a request leaves (the server's GC time) and gives the same rows and scores.
    const columns = computeSortedFeatureColumns(timestamps, values, model.featureSet, model.featureParams);
    if (columns !== undefined && columns.length === model.features.length) {
        const d = columns.length;
        const n = timestamps.length;
        const flat = new Float64Array(n * d);
        for (let j = 0; j < d; j++) {
            const c = columns[j];
            for (let i = 0; i < n; i++) flat[i * d + j] = c[i];
        }
        const { scores, labels } = scoreFlatRows(model, flat);
        return { scores, labels, rows: flat, nFeatures: d };
    }
    const n = timestamps.length;
    const points: Point[] = new Array(n);
    for (let i = 0; i < n; i++) points[i] = { timestamp: timestamps[i], value: values[i] };
    const rows = featureRows(model, points);
    const { scores, labels } = scoreRows(model, rows);
    return { scores, labels, rows, nFeatures: model.features.length };
}

interface Pending {
    resolve(s: WorkerResponse): void;
    reject(e: Error): void;
}

/** One lazily started worker thread with a bounded queue. */
export class ScoringPool {
    private worker: Worker | undefined;
    private readonly known = new Set<string>();
    private readonly pending = new Map<number, Pending>();
    private nextId = 1;
    private idleTimer: NodeJS.Timeout | undefined;
    private closed = false;

    constructor(private readonly opts: { heapMb?: number; idleMs?: number; maxQueued?: number } = {}) {}

    /** Scores inline when small, on the worker otherwise. */
    async score(key: string, model: ModelFile, timestamps: Float64Array, values: Float64Array): Promise<Scored> {
        if (timestamps.length <= INLINE_MAX_POINTS) return scoreInline(model, timestamps, values);
        const res = await this.send({ kind: "points", id: 0, key, timestamps, values }, model, [
            timestamps.buffer as ArrayBuffer,
            values.buffer as ArrayBuffer,
        ]);
        if (res.error !== undefined || res.json !== undefined) throw new Error("scoring worker answered a points request with text");
        return { scores: res.scores, labels: res.labels, rows: res.rows, nFeatures: res.nFeatures };
    }

    /**
     * Parses, checks and scores a large body's text on the worker and returns the response's JSON text;
     * a request the client must fix rejects with OipRequestError (its status), as inline parsing would.
     */
    async scoreRaw(
        key: string,
        model: ModelFile,
        meta: { name: string; version: string },
        text: string,
        fallbackId: string,
    ): Promise<ScoredRaw> {
        const res = await this.send({ kind: "raw", id: 0, key, text, fallbackId, meta }, model, []);
        if (res.error !== undefined || res.json === undefined) throw new Error("scoring worker answered a raw request without text");
        return { json: res.json, rows: res.rows, nFeatures: res.nFeatures, points: res.points, anomalies: res.anomalies, oipId: res.oipId };
    }

    private async send(msg: WorkerRequest, model: ModelFile, transfer: ArrayBuffer[]): Promise<Exclude<WorkerResponse, { error: string }>> {
        if (this.pending.size >= (this.opts.maxQueued ?? MAX_QUEUED_LARGE_REQUESTS)) throw new ScorerBusyError();
        if (this.closed) throw new Error("the scorer is shut down");
        const worker = this.start();
        msg.id = this.nextId++;
        if (!this.known.has(msg.key)) {
            msg.model = model;
            this.known.add(msg.key);
        }
        if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        const res = await new Promise<WorkerResponse>((resolve, reject) => {
            this.pending.set(msg.id, { resolve, reject });
            worker.postMessage(msg, transfer);
        });
        if (res.error !== undefined) {
            if (res.status !== undefined) throw new OipRequestError(res.error, res.status);
            throw new Error(res.error);
        }
        return res;
    }

    /** Large requests queued or running. */
    get queued(): number {
        return this.pending.size;
    }

    async close(): Promise<void> {
        this.closed = true;
        if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
        const w = this.worker;
        this.worker = undefined;
        if (w !== undefined) await w.terminate();
    }

    private start(): Worker {
        if (this.worker !== undefined) return this.worker;
        // Under ts-node (tests, bench) the worker is a .ts file and needs the same loader.
        const ext = extname(__filename);
        const worker = new Worker(join(__dirname, `score-worker${ext}`), {
            execArgv: ext === ".ts" ? ["-r", "ts-node/register/transpile-only"] : [],
            resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb ?? WORKER_HEAP_MB },
        });
        worker.unref();
        worker.on("message", (res: WorkerResponse) => {
            const p = this.pending.get(res.id);
            if (p === undefined) return;
            this.pending.delete(res.id);
            p.resolve(res);
            if (this.pending.size === 0) this.armIdle();
        });
        const fail = (err: Error): void => {
            if (this.worker !== worker) return;
            this.worker = undefined;
            this.known.clear();
            for (const p of this.pending.values()) p.reject(new Error(`scoring worker failed: ${err.message}`));
            this.pending.clear();
        };
        worker.on("error", fail);
        worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
        this.worker = worker;
        return worker;
    }

    private armIdle(): void {
        if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(() => {
            this.idleTimer = undefined;
            if (this.pending.size > 0 || this.worker === undefined) return;
            const w = this.worker;
            this.worker = undefined;
            this.known.clear();
            void w.terminate();
        }, this.opts.idleMs ?? WORKER_IDLE_MS);
        this.idleTimer.unref();
    }
}
