import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEFAULT_DRIFT_WINDOW, DetectorMetrics, DriftWindow, ModelStatus } from "./metrics";
import { DeferredBody, parseOrDefer } from "./body";
import { HttpApp, HttpReply, HttpRequest, JSON_TYPE } from "./http";
import { HttpError } from "./http-error";
import { JsonLogger, LoggerOptions } from "./log";
import { buildModelMetadata, inferResponseJson, parseInferRequest, validateInferRequestBody } from "./oip";
import { LoadedModel, LoadFailure, loadModelRepository } from "./registry";
import { ScoringPool } from "./scoring";
import { MODEL_FILES, NO_MODEL_YET } from "@aiops/contract";

export const SERVER_NAME = "aiops-detector";
/**
 * 8 MiB: a maximum request (MAX_POINTS_PER_REQUEST points, two numbers each) fits with room for long number
 * spellings; anything larger is refused with 413.
 */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
/**
 * 30 s to receive a whole request. Without it a client that sends its headers and then trickles (or never
 * sends) the body would hold a connection, and delay shutdown, for ever (the first server, on fastify, had
 * node's request timeout off). Node answers such a request with 408 and closes the connection.
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
    /** Log settings (level, stream); false for none. Default: JSON lines on stdout at LOG_LEVEL (info). */
    logger?: LoggerOptions | false;
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
    app: HttpApp;
    metrics: DetectorMetrics;
    /** Re-reads the model directory; drift windows survive for models whose file did not change. */
    reload(): void;
    ready(): boolean;
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
    const log = JsonLogger.create(opts.logger ?? { level: process.env.LOG_LEVEL ?? "info" });

    let served = new Map<string, ServedModel>();
    let failed = new Map<string, LoadFailure>();
    /** Why nothing serves when the directory itself failed (missing, unreadable, no model files). */
    let dirFailure: LoadFailure | undefined;
    /** Only the trainer's placeholder is in the directory: ready on purpose, every model answers "no model trained yet". */
    let noModelYet = false;
    const scorer = new ScoringPool();

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
            log.info({ model: m.name, version: m.version, file: m.file, featureSet: m.model.featureSet }, `model '${m.name}' loaded`);
        }
        const wholeDir = next.models.size === 0 && next.failures.length === 1 && next.failures[0].file === opts.modelDir;
        dirFailure = wholeDir ? next.failures[0] : undefined;
        for (const f of next.failures) {
            const previous = wholeDir ? undefined : [...served.values()].find((m) => m.name === f.name || m.file === f.file);
            if (previous !== undefined && !nextServed.has(previous.name)) {
                nextServed.set(previous.name, { ...previous, reloadError: f.error });
                log.error(
                    { model: previous.name, file: f.file, version: previous.version },
                    `model file failed to reload: ${f.file}: ${f.error}; still serving the last good version ${previous.version}`,
                );
                continue;
            }
            nextFailed.set(f.name, f);
            log.error({ model: f.name, file: f.file }, `model file failed to load: ${f.file}: ${f.error}`);
        }
        served = nextServed;
        failed = nextFailed;
        noModelYet = next.noModelYet === true;
        metrics.reloads.inc({ result: next.failures.length === 0 ? "success" : "failure" });
        if (noModelYet) log.warn({ modelDir: opts.modelDir }, noModelYetBody(opts.trainingHint).error);
        else if (!ready()) log.warn({ modelDir: opts.modelDir }, `server is not ready: ${notReadyReason(false)}`);
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

    function onError(err: unknown, req: HttpRequest): HttpReply {
        if (err instanceof HttpError) return { status: err.status, headers: err.headers, body: err.body };
        req.log.error({ err }, "request failed");
        const message = err instanceof Error ? err.message : String(err);
        return { status: 500, body: { error: `internal error: ${redactPaths(message, opts.modelDir)}` } };
    }

    function onResponse(req: HttpRequest, status: number, ms: number): void {
        const route = req.route ?? "unmatched";
        const model = modelLabel(req);
        metrics.requests.inc({ model, route, status: String(status) });
        metrics.latency.observe({ model, route }, ms / 1000);
        // Probes and scrapes arrive every few seconds (a not-ready 503 included, whose cause is logged at load):
        // keep them at debug. 503 is an expected state (model failed to load, shutting down), not a bug.
        const quiet = route === "/metrics" || route.startsWith("/v2/health/") || route.endsWith("/ready");
        const level = quiet ? "debug" : status >= 500 && status !== 503 ? "error" : status === 503 ? "warn" : "info";
        if (!req.log.enabled(level)) return;
        req.log[level]({ method: req.method, url: req.url, statusCode: status, ms: Math.round(ms * 100) / 100 }, "request completed");
    }

    function modelLabel(req: HttpRequest): string {
        const name = req.params.name;
        if (name === undefined) return "";
        // Only names from the model directory become label values, so clients cannot blow up cardinality.
        return served.has(name) || failed.has(name) ? name : "unknown";
    }

    /** The served model of the URL; throws 404 (unknown name or version) or 503 (failed to load, none loaded). */
    function resolve(req: HttpRequest): ServedModel {
        const { name, version } = req.params;
        const m = served.get(name);
        if (m !== undefined) {
            if (version === undefined || version === m.version) return m;
            throw new HttpError(404, `model '${name}' has no version '${version}'; available versions: ${m.version}`);
        }
        const f = failed.get(name);
        if (f !== undefined) {
            throw new HttpError(503, `model '${name}' failed to load from ${basename(f.file)}: ${redactPaths(f.error, opts.modelDir)}`);
        }
        if (noModelYet) {
            const body = noModelYetBody(opts.trainingHint);
            throw new HttpError(503, body.error, {}, body);
        }
        const known = [...served.keys()];
        // Nothing serves (emptied or missing directory, without the placeholder): the model may well exist
        // once the directory is fixed, so 503 (retry) rather than 404 (wrong name), and not ready.
        if (known.length === 0) throw new HttpError(503, `model '${name}' is not available: ${noModelMessage()}`);
        throw new HttpError(404, `unknown model '${name}'; this server serves: ${known.join(", ")}`);
    }

    async function infer(m: ServedModel, req: HttpRequest): Promise<HttpReply> {
        if (req.body instanceof DeferredBody) {
            // A large body: parsed, checked, scored and serialised on the scoring worker (body.ts).
            const started = performance.now();
            const out = await scorer.scoreRaw(
                `${m.name}@${m.version}`,
                m.model,
                { name: m.name, version: m.version },
                req.body.text,
                req.id,
            );
            m.drift.addFlat(out.rows, out.nFeatures);
            scoredOne(m, req, started, out.points, out.anomalies, out.oipId);
            return { body: out.json, type: JSON_TYPE };
        }
        validateInferRequestBody(req.body);
        const request = parseInferRequest(req.body);
        const started = performance.now();
        // Features once: the forest scores them and the drift window keeps them. Large requests go to
        // the scoring worker so health probes keep answering (scoring.ts).
        const scored = await scorer.score(`${m.name}@${m.version}`, m.model, request.timestamps, request.values);
        if (scored.rows instanceof Float64Array) m.drift.addFlat(scored.rows, scored.nFeatures);
        else m.drift.add(scored.rows);
        let anomalies = 0;
        for (let i = 0; i < scored.labels.length; i++) if (scored.labels[i] === -1) anomalies++;
        scoredOne(m, req, started, scored.scores.length, anomalies, request.id);
        return { body: inferResponseJson(m, request.id ?? req.id, scored, request.outputs), type: JSON_TYPE };
    }

    /** The metrics and the debug line of one scored request, whichever thread scored it. */
    function scoredOne(
        m: ServedModel,
        req: HttpRequest,
        started: number,
        points: number,
        anomalies: number,
        oipId: string | undefined,
    ): void {
        metrics.inferenceSeconds.observe({ model: m.name }, (performance.now() - started) / 1000);
        metrics.points.inc({ model: m.name }, points);
        if (anomalies > 0) metrics.anomalies.inc({ model: m.name }, anomalies);
        req.log.debug({ model: m.name, oipId, points, anomalies }, "scored");
    }

    const app = new HttpApp({
        logger: log,
        bodyLimit,
        requestTimeoutMs: requestTimeout,
        // JSON only (anything else is 415, as the README says). The parser bounds nesting and accepts a
        // `__proto__` key (see body.ts).
        parseJson: parseOrDefer,
        onError,
        notFound: (req) => ({
            status: 404,
            body: { error: `no route ${req.method} ${req.url.split("?")[0]}; see GET /v2 and /v2/models/{name}` },
        }),
        onResponse,
        onClose: () => scorer.close(),
    });

    app.get("/v2/health/live", () => ({ body: { live: true } }));

    app.get("/v2/health/ready", () => {
        // Ready on purpose (see isReady): the message says why no model is served.
        if (noModelYet) return { body: { ready: true, models: 0, message: noModelYetBody(opts.trainingHint).error } };
        if (ready()) return { body: { ready: true } };
        return { status: 503, body: { ready: false, error: notReadyReason(true) } };
    });

    const serverVersion = readPackageVersion();
    app.get("/v2", () => ({ body: { name: SERVER_NAME, version: serverVersion, extensions: [] as string[] } }));

    for (const base of VERSIONED) {
        app.get(base, (req) => ({ body: buildModelMetadata(resolve(req)) }));

        app.get(`${base}/ready`, (req) => {
            const { name, version } = req.params;
            const m = served.get(name);
            if (m !== undefined && (version === undefined || version === m.version)) return { body: { name, ready: true } };
            if (m === undefined && failed.has(name)) return { status: 503, body: { name, ready: false } };
            resolve(req);
            return { body: { name, ready: true } };
        });

        app.post(`${base}/infer`, (req) => infer(resolve(req), req));
    }

    app.get("/metrics", async () => ({ body: await metrics.registry.metrics(), type: metrics.registry.contentType }));

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

/** package.json sits one level above both src/ (ts-node) and dist/ (built). */
function readPackageVersion(): string {
    try {
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version?: string };
        return pkg.version ?? "0.0.0";
    } catch {
        return "0.0.0";
    }
}
