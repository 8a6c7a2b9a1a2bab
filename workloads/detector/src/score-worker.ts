/**
 * Worker thread that scores large infer requests (see scoring.ts), so the main thread keeps answering
 * health probes and small requests while a maximum-size request is scored.
 */
import { parentPort } from "node:worker_threads";
import { featureRows, scoreRows, type ModelFile } from "./model";
import type { Point } from "./series";
import type { WorkerRequest, WorkerResponse } from "./scoring";

/** Models by key (name@version); a handful at most, so the worker never holds a stale set for long. */
const models = new Map<string, ModelFile>();
const MAX_CACHED_MODELS = 8;

parentPort?.on("message", (msg: WorkerRequest) => {
    let reply: WorkerResponse;
    const transfer: ArrayBuffer[] = [];
    try {
        if (msg.model !== undefined) {
            models.delete(msg.key);
            models.set(msg.key, msg.model);
            while (models.size > MAX_CACHED_MODELS) models.delete(models.keys().next().value as string);
        }
        const model = models.get(msg.key);
        if (model === undefined) throw new Error(`scoring worker has no model '${msg.key}'`);
        const n = msg.timestamps.length;
        const points: Point[] = new Array(n);
        for (let i = 0; i < n; i++) points[i] = { timestamp: msg.timestamps[i], value: msg.values[i] };
        const rows = featureRows(model, points);
        const scored = scoreRows(model, rows);
        const nf = model.features.length;
        // Flat typed arrays travel to the main thread without a copy (transferred).
        const flat = new Float64Array(rows.length * nf);
        for (let r = 0; r < rows.length; r++) for (let f = 0; f < nf; f++) flat[r * nf + f] = rows[r][f];
        const labels = Int8Array.from(scored.labels);
        reply = { id: msg.id, scores: scored.scores, labels, rows: flat, nFeatures: nf };
        transfer.push(scored.scores.buffer as ArrayBuffer, labels.buffer as ArrayBuffer, flat.buffer as ArrayBuffer);
    } catch (err) {
        reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(reply, transfer);
});
