/**
 * Worker thread that scores large infer requests (see scoring.ts), so the main thread keeps answering
 * health probes and small requests while a maximum-size request is scored. A large body arrives as text and
 * leaves as the response's JSON text: parsing, checks, features, forest and serialisation all happen here.
 */
import { parentPort } from "node:worker_threads";
import { parseJsonBody } from "./body";
import { featureRows, scoreRows, type ModelFile } from "./model";
import { inferResponseJson, OipRequestError, parseInferRequest, validateInferRequestBody } from "./oip";
import type { Point } from "./series";
import type { WorkerRequest, WorkerResponse } from "./scoring";

/** Models by key (name@version); a handful at most, so the worker never holds a stale set for long. */
const models = new Map<string, ModelFile>();
const MAX_CACHED_MODELS = 8;

function score(model: ModelFile, timestamps: Float64Array, values: Float64Array) {
    const n = timestamps.length;
    const points: Point[] = new Array(n);
    for (let i = 0; i < n; i++) points[i] = { timestamp: timestamps[i], value: values[i] };
    const rows = featureRows(model, points);
    const scored = scoreRows(model, rows);
    const nf = model.features.length;
    // Flat typed arrays travel to the main thread without a copy (transferred).
    const flat = new Float64Array(rows.length * nf);
    for (let r = 0; r < rows.length; r++) for (let f = 0; f < nf; f++) flat[r * nf + f] = rows[r][f];
    return { scores: scored.scores, labels: Int8Array.from(scored.labels), rows: flat, nFeatures: nf };
}

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
        if (msg.kind === "raw") {
            const body = parseJsonBody(msg.text);
            validateInferRequestBody(body);
            const request = parseInferRequest(body);
            const s = score(model, request.timestamps, request.values);
            let anomalies = 0;
            for (let i = 0; i < s.labels.length; i++) if (s.labels[i] === -1) anomalies++;
            const json = inferResponseJson(msg.meta, request.id ?? msg.fallbackId, s, request.outputs);
            reply = { id: msg.id, json, rows: s.rows, nFeatures: s.nFeatures, points: s.scores.length, anomalies, oipId: request.id };
            transfer.push(s.rows.buffer as ArrayBuffer);
        } else {
            const s = score(model, msg.timestamps, msg.values);
            reply = { id: msg.id, ...s };
            transfer.push(s.scores.buffer as ArrayBuffer, s.labels.buffer as ArrayBuffer, s.rows.buffer as ArrayBuffer);
        }
    } catch (err) {
        const status = err instanceof OipRequestError ? err.status : undefined;
        reply = { id: msg.id, error: err instanceof Error ? err.message : String(err), status };
    }
    parentPort?.postMessage(reply, transfer);
});
