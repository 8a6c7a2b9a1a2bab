import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, LogController } from "fastify";
import { DEFAULT_DRIFT_WINDOW, DetectorMetrics, DriftWindow, ModelStatus } from "./metrics";
import { featureRows, scoreRows } from "./model";
import { buildInferResponse, buildModelMetadata, INFER_REQUEST_SCHEMA, InferRequestBody, OipRequestError, parseInferRequest } from "./oip";
import { NO_MODEL_YET } from "@aiops/contract";
import { describeFailures, isReady, LoadedModel, LoadFailure, loadModelRepository, ModelRepository } from "./registry";

export const SERVER_NAME = "aiops-detector";
/** 8 MiB: a week of 10-s points (60,480 x 2 numbers) fits; anything larger is refused with 413. */
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

    let repo: ModelRepository = { dir: opts.modelDir, models: new Map(), failures: [] };
    let served = new Map<string, ServedModel>();
    let failed = new Map<string, LoadFailure>();

    const statuses = (): ModelStatus[] => [
        ...[...served.values()].map((m) => ({
            name: m.name,
            ready: true,
            version: m.version,
            featureSet: m.model.featureSet,
            drift: m.drift,
        })),
        ...[...failed.values()].map((f) => ({ name: f.name, ready: false })),
    ];
    const metrics = new DetectorMetrics(statuses, { defaultMetrics: opts.defaultMetrics });
    const ready = () => isReady(repo);

    function reload(): void {
        const next = loadModelRepository(opts.modelDir, { nameOverride: opts.modelName });
        const nextServed = new Map<string, ServedModel>();
        for (const m of next.models.values()) {
            const previous = served.get(m.name);
            const drift = previous?.version === m.version ? previous.drift : new DriftWindow(m.model.drift, driftCapacity);
            nextServed.set(m.name, { ...m, drift });
            app.log.info({ model: m.name, version: m.version, file: m.file, featureSet: m.model.featureSet }, `model '${m.name}' loaded`);
        }
        for (const f of next.failures) {
            app.log.error({ model: f.name, file: f.file }, `model file failed to load: ${f.file}: ${f.error}`);
        }
        repo = next;
        served = nextServed;
        failed = new Map(next.failures.map((f) => [f.name, f]));
        if (next.noModelYet === true) app.log.warn({ modelDir: opts.modelDir }, noModelYetBody(opts.trainingHint).error);
        else if (!isReady(next)) app.log.warn({ modelDir: opts.modelDir }, `server is not ready: ${describeFailures(next)}`);
    }

    app.setErrorHandler((err: FastifyError, req, reply) => {
        if (err instanceof OipRequestError) return reply.code(err.status).send({ error: err.message });
        if (err.validation) return reply.code(400).send({ error: `invalid inference request: ${err.message}` });
        const status = err.statusCode ?? 500;
        if (status >= 500) {
            req.log.error({ err }, "request failed");
            return reply.code(500).send({ error: `internal error: ${err.message}` });
        }
        return reply.code(status).send({ error: clientErrorMessage(err, req, bodyLimit) });
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
            reply.code(503).send({ error: `model '${name}' failed to load from ${f.file}: ${f.error}` });
            return undefined;
        }
        if (repo.noModelYet === true) {
            reply.code(503).send(noModelYetBody(opts.trainingHint));
            return undefined;
        }
        const known = [...served.keys()];
        reply.code(404).send({
            error: `unknown model '${name}'; ${known.length > 0 ? `this server serves: ${known.join(", ")}` : "no model is loaded"}`,
        });
        return undefined;
    }

    app.get("/v2/health/live", async () => ({ live: true }));

    app.get("/v2/health/ready", async (_req, reply) => {
        // Ready on purpose (see isReady): the message says why no model is served.
        if (repo.noModelYet === true) return { ready: true, models: 0, message: noModelYetBody(opts.trainingHint).error };
        if (ready()) return { ready: true };
        return reply.code(503).send({ ready: false, error: describeFailures(repo) });
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
            const request = parseInferRequest(req.body as InferRequestBody);
            const started = performance.now();
            // Features once: the forest scores them and the drift window keeps them.
            const rows = featureRows(m.model, request.points);
            const scored = scoreRows(m.model, rows);
            m.drift.add(rows);
            let anomalies = 0;
            for (const label of scored.labels) if (label === -1) anomalies++;
            const n = rows.length;
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
