import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { Config, hostnameOf, originOf } from "./config";
import { DetectorClient } from "./detector";
import { GlobalPointBudget, Limiter, MAX_BATCH_MESSAGES, PointBudget } from "./limits";
import { ModelInfoCache } from "./history";
import { TRAINING_HINT_ENV } from "@aiops/contract";
import { Logger, jsonLogger } from "./log";
import { PrometheusClient } from "./prometheus";
import { Telemetry } from "./telemetry";
import { registerTools, ToolContext } from "./tools";

export const SERVER_NAME = "anomaly-detection-mcp";
export const SERVER_VERSION = "0.1.0";
/** MCP requests are small JSON-RPC messages; refuse anything larger before parsing it. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** /readyz answers from dependency checks at most this old (ms); older ones are refreshed. */
export const READY_CACHE_MS = 5_000;
/** How long /readyz waits for a refresh before answering from the cached state (ms); kubelet's timeout is 3 s. */
export const READY_WAIT_MS = 800;
/** Timeout of each dependency check behind /readyz (ms), shorter than the tool calls' own. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

export interface AppOptions {
    /** Milliseconds since the epoch. Tests pass a fixed clock to analyse backfilled data; production uses Date.now. */
    readonly now?: () => number;
    readonly logger?: Logger;
    /** A fresh registry per app; set false to skip process metrics (tests creating many apps). */
    readonly defaultMetrics?: boolean;
    /** How old (ms) the dependency state behind /readyz may be before a probe refreshes it. Default READY_CACHE_MS. */
    readonly readyCacheMs?: number;
    /**
     * When the first training runs, appended to "no model trained yet" answers. Default: env
     * MODEL_TRAINING_HINT (set by the Pulumi component), else the hint the detector gives.
     */
    readonly trainingHint?: string;
}

export interface App {
    readonly server: Server;
    readonly telemetry: Telemetry;
    /** Starts listening; resolves with the bound port (useful with PORT=0). */
    listen(): Promise<number>;
    /** Stops accepting connections and waits for in-flight requests, closing idle keep-alive sockets. */
    close(): Promise<void>;
}

/**
 * The SDK's Server builds a new Ajv instance (with ajv-formats) in its constructor unless given a validator, and
 * this server builds one Server per request: that was ~95 KiB of garbage and ~1 ms per call (docs/mcp-tool-memory.md),
 * for a validator only elicitation uses, which these tools never do. One Ajv, built on first use, serves all.
 */
let sharedAjv: AjvJsonSchemaValidator | undefined;
export const sharedJsonSchemaValidator: jsonSchemaValidator = {
    getValidator: (schema) => (sharedAjv ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/** Whether a `Host` header names one of the allowed hosts (port ignored, as the SDK's middleware does). */
export function isAllowedHost(hostHeader: string | undefined, allowed: readonly string[]): boolean {
    if (hostHeader === undefined) return false;
    const name = hostnameOf(hostHeader);
    return name !== undefined && allowed.includes(name);
}

/** Builds the HTTP server: /mcp (stateless Streamable HTTP), /healthz, /readyz and /metrics. */
export function createApp(config: Config, opts: AppOptions = {}): App {
    const logger = opts.logger ?? jsonLogger();
    const telemetry = new Telemetry(opts.defaultMetrics ?? true);
    const ctx: ToolContext = {
        prometheus: new PrometheusClient(config.prometheusUrl, config.prometheusTimeoutMs),
        detector: new DetectorClient(config.inferenceServiceUrl, config.inferenceTimeoutMs),
        models: config.models,
        defaultInstance: config.defaultInstance,
        now: opts.now ?? Date.now,
        modelInfo: new ModelInfoCache(
            config.inferenceServiceUrl,
            config.inferenceTimeoutMs,
            opts.trainingHint ?? (process.env[TRAINING_HINT_ENV]?.trim() || undefined),
        ),
        telemetry,
        logger,
        limiter: new Limiter(),
    };
    const pointsInFlight = new GlobalPointBudget();

    const server = createServer((req, res) => {
        route(req, res).catch((err: unknown) => {
            logger.log("error", "request failed", { path: req.url, error: err instanceof Error ? err.message : String(err) });
            if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
            else res.end();
        });
    });

    async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/mcp") return handleMcp(req, res);
        if (req.method !== "GET" && req.method !== "HEAD")
            return sendJson(res, 405, { error: `${req.method} is not allowed on ${path}` }, { allow: "GET" });
        if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
        if (path === "/readyz") return readiness(res);
        if (path === "/metrics") {
            const body = await telemetry.registry.metrics();
            res.writeHead(200, { "content-type": telemetry.registry.contentType }).end(body);
            return;
        }
        sendJson(res, 404, { error: `no route for ${path}; the MCP endpoint is POST /mcp` });
    }

    async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
        // Only /mcp is Host-checked: kubelet probes and Prometheus scrapes address the pod IP, which no list can name.
        if (!isAllowedHost(req.headers.host, config.allowedHosts)) {
            logger.log("warn", "refused foreign Host", { host: req.headers.host });
            return sendJsonRpcError(res, 403, `Invalid Host header: ${req.headers.host ?? "(none)"}`);
        }
        // The Streamable HTTP transport spec: "Servers MUST validate the Origin header on all incoming
        // connections". Browsers send Origin; kagent and other non-browser clients do not.
        const origin = req.headers.origin;
        if (origin !== undefined && !config.allowedOrigins.includes(originOf(origin) ?? "")) {
            logger.log("warn", "refused foreign Origin", { origin });
            return sendJsonRpcError(
                res,
                403,
                `Invalid Origin header: ${origin.slice(0, 200)} (allowed origins are set by ALLOWED_ORIGINS)`,
            );
        }
        if (req.method !== "POST") {
            // Stateless server: no SSE stream to resume (GET) and no session to end (DELETE).
            return sendJsonRpcError(res, 405, "Method not allowed: this stateless server only accepts POST", { allow: "POST" });
        }
        let body: unknown;
        try {
            body = await readJson(req);
        } catch (err) {
            return sendJsonRpcError(
                res,
                err instanceof BodyTooLarge ? 413 : 400,
                err instanceof Error ? err.message : "bad request",
                {},
                -32700,
            );
        }
        if (Array.isArray(body) && body.length > MAX_BATCH_MESSAGES) {
            return sendJsonRpcError(
                res,
                400,
                `Invalid Request: a JSON-RPC batch may hold at most ${MAX_BATCH_MESSAGES} messages; got ${body.length}. Send the calls in several requests`,
                {},
                -32600,
            );
        }
        // Per-request server and transport: the SDK's stateless pattern, no state shared between calls but the
        // limiter; the point budget bounds what this one POST returns.
        const mcp = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { jsonSchemaValidator: sharedJsonSchemaValidator });
        const budget = new PointBudget(undefined, pointsInFlight);
        registerTools(mcp, { ...ctx, budget });
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on("close", () => {
            budget.release();
            void transport.close();
            void mcp.close();
        });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
    }

    interface Check {
        ok: boolean;
        error?: string;
    }
    interface ReadyState {
        at: number;
        prometheus: Check;
        detector: Check;
    }
    let readyState: ReadyState | undefined;
    let readyCheck: Promise<void> | undefined;

    /** Checks both dependencies once (at most one check in flight), each bounded by READY_CHECK_TIMEOUT_MS. */
    function refreshReadiness(): Promise<void> {
        readyCheck ??= (async () => {
            const check = async (probe: () => Promise<void>): Promise<Check> => {
                try {
                    await probe();
                    return { ok: true };
                } catch (err) {
                    return { ok: false, error: err instanceof Error ? err.message : String(err) };
                }
            };
            const timeout = Math.min(READY_CHECK_TIMEOUT_MS, config.prometheusTimeoutMs, config.inferenceTimeoutMs);
            const [prometheus, detector] = await Promise.all([
                check(() => ctx.prometheus.ready(timeout)),
                check(() => ctx.detector.ready(timeout)),
            ]);
            readyState = { at: Date.now(), prometheus, detector };
        })().finally(() => {
            readyCheck = undefined;
        });
        return readyCheck;
    }

    /**
     * Answers within READY_WAIT_MS whatever the dependencies do: a stale state starts a refresh, which is
     * awaited that long; a dependency that hangs leaves the cached state (or "not checked yet") in the answer.
     */
    async function readiness(res: ServerResponse): Promise<void> {
        if (readyState === undefined || Date.now() - readyState.at > (opts.readyCacheMs ?? READY_CACHE_MS)) {
            const refresh = refreshReadiness();
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([refresh, new Promise<void>((r) => (timer = setTimeout(r, READY_WAIT_MS)))]);
            clearTimeout(timer);
        }
        const state = readyState;
        if (state === undefined) {
            const pending = `no answer within ${READY_WAIT_MS} ms yet (check in progress)`;
            logger.log("warn", "not ready", { down: ["prometheus", "detector"], reason: pending });
            return sendJson(res, 503, {
                ready: false,
                down: ["prometheus", "detector"],
                prometheus: { ok: false, error: `Prometheus: ${pending}` },
                detector: { ok: false, error: `the detector: ${pending}` },
            });
        }
        const { prometheus, detector } = state;
        const ready = prometheus.ok && detector.ok;
        const down = [prometheus.ok ? undefined : "prometheus", detector.ok ? undefined : "detector"].filter((x) => x !== undefined);
        if (!ready) logger.log("warn", "not ready", { down, prometheus: prometheus.error, detector: detector.error });
        const checkedAt = new Date(state.at).toISOString();
        sendJson(res, ready ? 200 : 503, { ready, ...(ready ? {} : { down }), prometheus, detector, checkedAt });
    }

    return {
        server,
        telemetry,
        listen: () =>
            new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(config.port, config.host, () => {
                    server.off("error", reject);
                    const addr = server.address();
                    resolve(typeof addr === "object" && addr !== null ? addr.port : config.port);
                });
            }),
        close: () =>
            new Promise((resolve) => {
                server.close(() => resolve());
                server.closeIdleConnections();
            }),
    };
}

class BodyTooLarge extends Error {}

async function readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`);
        chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    try {
        return JSON.parse(text) as unknown;
    } catch {
        throw new Error("Parse error: the body must be a JSON-RPC message");
    }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function sendJsonRpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, code = -32000): void {
    sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null }, headers);
}
