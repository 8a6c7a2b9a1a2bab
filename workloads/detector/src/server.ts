import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, LogController } from "fastify";
import { DEFAULT_DRIFT_WINDOW, DetectorMetrics, DriftWindow, ModelStatus } from "./metrics";
import { parseOrDefer, rawBodyText } from "./body";
import { buildInferResponse, buildModelMetadata, INFER_REQUEST_SCHEMA, InferRequestBody, OipRequestError, parseInferRequest } from "./oip";
import { LoadedModel, LoadFailure, loadModelRepository } from "./registry";
import { ScorerBusyError, ScoringPool } from "./scoring";
import { MODEL_FILES, NO_MODEL_YET } from "@aiops/contract";

export const SERVER_NAME = "aiops-detector";
/**
 * 8 MiB: a maximum request (MAX_POINTS_PER_REQUEST points, two numbers each) fits with room for long number
 * spellings; anything larger is refused with 413.
 */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
/**
 * 30 s to receive a whole request. fastify disables node's request timeout by default, so a client that
 * sends its headers and then trickles (or never sends) the body would hold a connection, and delay
 * shutdown, for ever. Node answers such a request with 408 and closes the connection.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ServerOptions {
    /** Directory with the model files (KServe mounts them at /mnt/models). */
    modelDir: string;
    /** Serve the only model under this name (KServe's InferenceService name). */
    modelName?: string;
    /** Feature rows kept per model for the drift gauge. Default DEFAULT_DRIFT_WINDOW. */
    driftWindow?: number;
    /** Largest accepted request body in bytes. Default DEFAULT_BODY_LIMIT. */
    bodyLimit?: number;
    /** Milliseconds to receive a whole request (headers and body) before answering 408. Default DEFAULT_REQUEST_TIMEOUT_MS. */
    requestTimeoutMs?: number;
    /** fastify/pino logger settings; false for none. Default: JSON lines at LOG_LEVEL (info). */
    logger?: FastifyServerOptions["logger"];
    /** Export node's default process metrics. Default true. */
    defaultMetrics?: boolean;
    /**
     * When the first training runs (env MODEL_TRAINING_HINT), appended to the "no model trained yet" answer
     * the server gives while its model directory holds only the trainer's placeholder. Default none.
     */
    trainingHint?: string;
}

/** The 503 body of every model route before the first training: the contract's words and the hint. */
export function noModelYetBody(hint: string | undefined): { error: string; hint?: string } {
    const h = hint?.trim();
    return h === undefined || h === "" ? { error: NO_MODEL_YET } : { error: `${NO_MODEL_YET}: ${h}`, hint: h };
}

/** A loaded model with its drift window. */
export interface ServedModel extends LoadedModel {
    drift: DriftWindow;
    /** Set when the last reload failed to load this model's file (the message); this version still serves. */
    reloadError?: string;
}

export interface DetectorServer {
    app: FastifyInstance;
    metrics: DetectorMetrics;
    /** Re-reads the model directory; drift windows survive for models whose file did not change. */
    reload(): void;
    ready(): boolean;
}

interface ModelParams {
    name: string;
    version?: string;
}

const VERSIONED = ["/v2/models/:name", "/v2/models/:name/versions/:version"];

/** Builds the OIP server (not listening yet). Never throws on bad model files: the server is just not ready. */
export function buildServer(opts: ServerOptions): DetectorServer {
    const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const driftCapacity = opts.driftWindow ?? DEFAULT_DRIFT_WINDOW;
    const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isInteger(requestTimeout) || requestTimeout < 1) {
        throw new Error(`requestTimeoutMs must be a positive integer of milliseconds; got ${requestTimeout}`);
    }
    const app = Fastify({
        logger: opts.logger ?? { level: process.env.LOG_LEVEL ?? "info" },
        bodyLimit,
        requestTimeout,
        // Node enforces the request timeout from a periodic sweep (every 30 s by default): sweep at least as
        // often as the timeout so a short one is honoured promptly. Node 20 skips the request deadline while
        // headersTimeout (default 60 s) exceeds it, so keep headersTimeout within requestTimeout.
        http: { connectionsCheckingInterval: Math.min(requestTimeout, 30_000), headersTimeout: Math.min(requestTimeout, 60_000) },
        // Honour a caller's request id (ingress, mesh) so one id follows the request through the logs.
        requestIdHeader: "x-request-id",
        genReqId: () => randomUUID(),
        // fastify's default ajv coerces types, which would turn null into 0 and "1.5" into 1.5.
        ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
        return503OnClosing: true,
        // One line per request from onResponse instead of fastify's two (incoming + completed).
        logController: new LogController({ disableRequestLogging: true }),
    });

    let served = new Map<string, ServedModel>();
    let failed = new Map<string, LoadFailure>();
    /** Why nothing serves when the directory itself failed (missing, unreadable, no model files). */
    let dirFailure: LoadFailure | undefined;
    /** Only the trainer's placeholder is in the directory: ready on purpose, every model answers "no model trained yet". */
    let noModelYet = false;
    const scorer = new ScoringPool();
    app.addHook("onClose", async () => scorer.close());

    const statuses = (): ModelStatus[] => [
        ...[...served.values()].map((m) => ({
            name: m.name,
            ready: true,
            version: m.version,
            featureSet: m.model.featureSet,
            drift: m.drift,
            reloadFailed: m.reloadError !== undefined,
        })),
        ...[...failed.values()].map((f) => ({ name: f.name, ready: false })),
    ];
    const metrics = new DetectorMetrics(statuses, { defaultMetrics: opts.defaultMetrics });
    /** Ready while at least one model serves and every file that failed has a last good version serving. */
    const ready = () => noModelYet || (served.size > 0 && failed.size === 0);

    /**
     * Re-reads the model directory. A file that fails to load where a good version of the same model was
     * serving keeps that version serving (a half-copied or corrupt file must not take a model down); the
     * failure is logged and shown by detector_model_reload_failed and detector_model_reloads_total. A
     * directory with no model files serves nothing: every model answers 503, "no model trained yet" (and
     * ready) when only the trainer's placeholder is there, else "no model is loaded" (emptied or missing
     * directory: not ready, a broken deployment).
     */
    function reload(): void {
        const next = loadModelRepository(opts.modelDir, { nameOverride: opts.modelName });
        const nextServed = new Map<string, ServedModel>();
        const nextFailed = new Map<string, LoadFailure>();
        for (const m of next.models.values()) {
            const previous = served.get(m.name);
            const drift = previous?.version === m.version ? previous.drift : new DriftWindow(m.model.drift, driftCapacity);
            nextServed.set(m.name, { ...m, drift });
            app.log.info({ model: m.name, version: m.version, file: m.file, featureSet: m.model.featureSet }, `model '${m.name}' loaded`);
        }
        const wholeDir = next.models.size === 0 && next.failures.length === 1 && next.failures[0].file === opts.modelDir;
        dirFailure = wholeDir ? next.failures[0] : undefined;
        for (const f of next.failures) {
            const previous = wholeDir ? undefined : [...served.values()].find((m) => m.name === f.name || m.file === f.file);
            if (previous !== undefined && !nextServed.has(previous.name)) {
                nextServed.set(previous.name, { ...previous, reloadError: f.error });
                app.log.error(
                    { model: previous.name, file: f.file, version: previous.version },
                    `model file failed to reload: ${f.file}: ${f.error}; still serving the last good version ${previous.version}`,
                );
                continue;
            }
            nextFailed.set(f.name, f);
            app.log.error({ model: f.name, file: f.file }, `model file failed to load: ${f.file}: ${f.error}`);
        }
        served = nextServed;
        failed = nextFailed;
        noModelYet = next.noModelYet === true;
        metrics.reloads.inc({ result: next.failures.length === 0 ? "success" : "failure" });
        if (noModelYet) app.log.warn({ modelDir: opts.modelDir }, noModelYetBody(opts.trainingHint).error);
        else if (!ready()) app.log.warn({ modelDir: opts.modelDir }, `server is not ready: ${notReadyReason(false)}`);
    }

    /** Why the server is not ready; `forClient` leaves out server filesystem paths. */
    function notReadyReason(forClient: boolean): string {
        if (dirFailure !== undefined) return forClient ? noModelMessage() : `${dirFailure.file}: ${dirFailure.error}`;
        if (failed.size === 0 && served.size === 0) return "no model is loaded";
        return [...failed.values()]
            .map((f) => (forClient ? `${basename(f.file)}: ${redactPaths(f.error, opts.modelDir)}` : `${f.file}: ${f.error}`))
            .join("; ");
    }

    /**
     * The 503 reason when the directory holds no model file and no placeholder (emptied, missing): a broken
     * deployment, not the "no model trained yet" state. It must not contain NO_MODEL_YET: the MCP tool reads
     * a 503 containing those words as "wait for the first training" (mcp-tool/src/history.ts).
     */
    function noModelMessage(): string {
        const why = dirFailure === undefined ? "" : `: ${redactPaths(dirFailure.error, opts.modelDir)}`;
        return `no model is loaded (the model directory holds no model file and no ${MODEL_FILES.placeholder} placeholder${why}); the server answers once a model file is in place and reloaded`;
    }

    app.setErrorHandler((err: FastifyError, req, reply) => {
        if (err instanceof OipRequestError) return reply.code(err.status).send({ error: err.message });
        if (err instanceof ScorerBusyError) return reply.code(503).header("retry-after", "1").send({ error: err.message });
        if (err.validation) return reply.code(400).send({ error: `invalid inference request: ${err.message}` });
        const status = err.statusCode ?? 500;
        if (status >= 500) {
            req.log.error({ err }, "request failed");
            return reply.code(500).send({ error: `internal error: ${redactPaths(err.message, opts.modelDir)}` });
        }
        return reply.code(status).send({ error: clientErrorMessage(err, req, bodyLimit) });
    });

    // JSON only: fastify also parses text/plain by default, which then failed the schema with a 400 where
    // the README promises 415. The parser bounds nesting and accepts a `__proto__` key (see body.ts).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
        try {
            done(null, parseOrDefer(body as string));
        } catch (err) {
            done(err as Error, undefined);
        }
    });

    app.setNotFoundHandler((req, reply) => {
        reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}; see GET /v2 and /v2/models/{name}` });
    });

    app.addHook("onResponse", async (req, reply) => {
        const route = req.routeOptions.url ?? "unmatched";
        const model = modelLabel(req);
        metrics.requests.inc({ model, route, status: String(reply.statusCode) });
        metrics.latency.observe({ model, route }, reply.elapsedTime / 1000);
        // Probes and scrapes arrive every few seconds (a not-ready 503 included, whose cause is logged at load):
        // keep them at debug. 503 is an expected state (model failed to load, shutting down), not a bug.
        const quiet = route === "/metrics" || route.startsWith("/v2/health/") || route.endsWith("/ready");
        const status = reply.statusCode;
        const fields = { method: req.method, url: req.url, statusCode: status, ms: Math.round(reply.elapsedTime * 100) / 100 };
        if (quiet) req.log.debug(fields, "request completed");
        else if (status >= 500 && status !== 503) req.log.error(fields, "request completed");
        else if (status === 503) req.log.warn(fields, "request completed");
        else req.log.info(fields, "request completed");
    });

    function modelLabel(req: FastifyRequest): string {
        const name = (req.params as Partial<ModelParams> | undefined)?.name;
        if (name === undefined) return "";
        // Only names from the model directory become label values, so clients cannot blow up cardinality.
        return served.has(name) || failed.has(name) ? name : "unknown";
    }

    /** The served model of the URL, or sends 404 (unknown name or version) / 503 (failed to load). */
    function resolve(req: FastifyRequest, reply: FastifyReply): ServedModel | undefined {
        const { name, version } = req.params as ModelParams;
        const m = served.get(name);
        if (m !== undefined) {
            if (version === undefined || version === m.version) return m;
            reply.code(404).send({ error: `model '${name}' has no version '${version}'; available versions: ${m.version}` });
            return undefined;
        }
        const f = failed.get(name);
        if (f !== undefined) {
            reply
                .code(503)
                .send({ error: `model '${name}' failed to load from ${basename(f.file)}: ${redactPaths(f.error, opts.modelDir)}` });
            return undefined;
        }
        if (noModelYet) {
            reply.code(503).send(noModelYetBody(opts.trainingHint));
            return undefined;
        }
        const known = [...served.keys()];
        // Nothing serves (emptied or missing directory, without the placeholder): the model may well exist
        // once the directory is fixed, so 503 (retry) rather than 404 (wrong name), and not ready.
        if (known.length === 0) {
            reply.code(503).send({ error: `model '${name}' is not available: ${noModelMessage()}` });
            return undefined;
        }
        reply.code(404).send({ error: `unknown model '${name}'; this server serves: ${known.join(", ")}` });
        return undefined;
    }

    app.get("/v2/health/live", async () => ({ live: true }));

    app.get("/v2/health/ready", async (_req, reply) => {
        // Ready on purpose (see isReady): the message says why no model is served.
        if (noModelYet) return { ready: true, models: 0, message: noModelYetBody(opts.trainingHint).error };
        if (ready()) return { ready: true };
        return reply.code(503).send({ ready: false, error: notReadyReason(true) });
    });

    const serverVersion = readPackageVersion();
    app.get("/v2", async () => ({ name: SERVER_NAME, version: serverVersion, extensions: [] as string[] }));

    for (const base of VERSIONED) {
        app.get(base, async (req, reply) => {
            const m = resolve(req, reply);
            return m === undefined ? reply : buildModelMetadata(m);
        });

        app.get(`${base}/ready`, async (req, reply) => {
            const { name, version } = req.params as ModelParams;
            const m = served.get(name);
            if (m !== undefined && (version === undefined || version === m.version)) return { name, ready: true };
            if (m === undefined && failed.has(name)) return reply.code(503).send({ name, ready: false });
            return resolve(req, reply) === undefined ? reply : { name, ready: true };
        });

        app.post(`${base}/infer`, { schema: { body: INFER_REQUEST_SCHEMA } }, async (req, reply) => {
            const m = resolve(req, reply);
            if (m === undefined) return reply;
            const raw = rawBodyText(req.body);
            if (raw !== undefined) {
                // A large body: parsed, checked, scored and serialised on the scoring worker (body.ts).
                const started = performance.now();
                const out = await scorer.scoreRaw(
                    `${m.name}@${m.version}`,
                    m.model,
                    { name: m.name, version: m.version },
                    raw,
                    String(req.id),
                );
                m.drift.addFlat(out.rows, out.nFeatures);
                metrics.inferenceSeconds.observe({ model: m.name }, (performance.now() - started) / 1000);
                metrics.points.inc({ model: m.name }, out.points);
                if (out.anomalies > 0) metrics.anomalies.inc({ model: m.name }, out.anomalies);
                req.log.debug({ model: m.name, oipId: out.oipId, points: out.points, anomalies: out.anomalies }, "scored");
                return reply.type("application/json; charset=utf-8").send(out.json);
            }
            const request = parseInferRequest(req.body as InferRequestBody);
            const started = performance.now();
            // Features once: the forest scores them and the drift window keeps them. Large requests go to
            // the scoring worker so health probes keep answering (scoring.ts).
            const scored = await scorer.score(`${m.name}@${m.version}`, m.model, request.timestamps, request.values);
            if (scored.rows instanceof Float64Array) m.drift.addFlat(scored.rows, scored.nFeatures);
            else m.drift.add(scored.rows);
            let anomalies = 0;
            for (let i = 0; i < scored.labels.length; i++) if (scored.labels[i] === -1) anomalies++;
            const n = scored.scores.length;
            metrics.inferenceSeconds.observe({ model: m.name }, (performance.now() - started) / 1000);
            metrics.points.inc({ model: m.name }, n);
            if (anomalies > 0) metrics.anomalies.inc({ model: m.name }, anomalies);
            req.log.debug({ model: m.name, oipId: request.id, points: n, anomalies }, "scored");
            return buildInferResponse(m, request.id ?? String(req.id), scored, request.outputs);
        });
    }

    app.get("/metrics", async (_req, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
    });

    reload();
    return { app, metrics, reload, ready };
}

/**
 * `message` without server filesystem paths: the model directory becomes "the model directory" and any
 * other absolute path its last segment (a client needs the file name, never the server's layout).
 */
export function redactPaths(message: string, modelDir?: string): string {
    let out = message;
    const dir = modelDir?.replace(/\/+$/, "");
    if (dir !== undefined && dir.length > 0) out = out.split(`${dir}/`).join("").split(dir).join("the model directory");
    return out.replace(/(?<![\w:./<])\/(?:[\w.@+~-]+\/)*([\w.@+~-]+)/g, "$1");
}

function clientErrorMessage(err: FastifyError, req: FastifyRequest, bodyLimit: number): string {
    switch (err.code) {
        case "FST_ERR_CTP_INVALID_JSON_BODY":
            return "request body is not valid JSON (JSON has no NaN or Infinity; send finite numbers)";
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
            return 'request body is empty; send an inference request {"inputs": [...]}';
        case "FST_ERR_CTP_BODY_TOO_LARGE":
            return `request body is larger than the ${bodyLimit}-byte limit; send fewer points per request`;
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
            return `unsupported Content-Type '${req.headers["content-type"] ?? ""}'; send application/json`;
        default:
            return err.message;
    }
}

/** package.json sits one level above both src/ (ts-node) and dist/ (built). */
function readPackageVersion(): string {
    try {
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version?: string };
        return pkg.version ?? "0.0.0";
    } catch {
        return "0.0.0";
    }
}
