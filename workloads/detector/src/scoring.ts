/**
 * Where an infer request is scored: small ones inline on the main thread (a 360-point window takes well
 * under a millisecond), large ones on one worker thread, one at a time. A maximum-size request takes
 * hundreds of milliseconds of CPU; on the main thread it would stall /v2/health/live past the probe timeout.
 * One worker, serial: three maximum requests at once cost the memory of one, which keeps the server inside
 * the smallest container limit (see the README's limits table).
 */
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { featureRows, scoreRows, type ModelFile } from "./model";
import type { Point } from "./series";

/** Requests with more points than this are scored on the worker thread. */
export const INLINE_MAX_POINTS = 5_000;
/** Large requests waiting for or on the worker; more get 503 with Retry-After (each holds its input). */
export const MAX_QUEUED_LARGE_REQUESTS = 8;
/** Heap of the worker: a maximum request needs well under this; a bug cannot take the server down with it. */
export const WORKER_HEAP_MB = 192;
/** The worker exits after this long without work, returning its memory. */
export const WORKER_IDLE_MS = 30_000;

export interface WorkerRequest {
    id: number;
    /** name@version: the worker caches models by it. */
    key: string;
    /** Sent the first time the worker sees this key. */
    model?: ModelFile;
    timestamps: Float64Array;
    values: Float64Array;
}

export type WorkerResponse =
    | { id: number; scores: Float64Array; labels: Int8Array; rows: Float64Array; nFeatures: number; error?: undefined }
    | { id: number; error: string };

/** Scores, labels and the feature rows (for the drift window), one per point in input order. */
export interface Scored {
    scores: ArrayLike<number>;
    labels: ArrayLike<number>;
    /** Feature rows, either as arrays or flat row-major with `nFeatures` columns. */
    rows: readonly (readonly number[])[] | Float64Array;
    nFeatures: number;
}

/** The scorer is busy with as many large requests as it queues: the client should retry. */
export class ScorerBusyError extends Error {
    constructor() {
        super(`the detector is scoring ${MAX_QUEUED_LARGE_REQUESTS} large requests already; retry shortly or send fewer points`);
        this.name = "ScorerBusyError";
    }
}

export function scoreInline(model: ModelFile, timestamps: Float64Array, values: Float64Array): Scored {
    const n = timestamps.length;
    const points: Point[] = new Array(n);
    for (let i = 0; i < n; i++) points[i] = { timestamp: timestamps[i], value: values[i] };
    const rows = featureRows(model, points);
    const { scores, labels } = scoreRows(model, rows);
    return { scores, labels, rows, nFeatures: model.features.length };
}

interface Pending {
    resolve(s: Scored): void;
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
        if (this.pending.size >= (this.opts.maxQueued ?? MAX_QUEUED_LARGE_REQUESTS)) throw new ScorerBusyError();
        if (this.closed) throw new Error("the scorer is shut down");
        const worker = this.start();
        const id = this.nextId++;
        const msg: WorkerRequest = { id, key, timestamps, values };
        if (!this.known.has(key)) {
            msg.model = model;
            this.known.add(key);
        }
        if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        return new Promise<Scored>((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            worker.postMessage(msg, [timestamps.buffer as ArrayBuffer, values.buffer as ArrayBuffer]);
        });
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
            if (res.error !== undefined) p.reject(new Error(res.error));
            else p.resolve({ scores: res.scores, labels: res.labels, rows: res.rows, nFeatures: res.nFeatures });
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
