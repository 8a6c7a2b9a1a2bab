import { createServer, Server } from "node:http";
import { DetectorClient } from "../detector";
import { ModelInfoCache } from "../history";
import { Logger, jsonLogger } from "../log";
import { PrometheusClient } from "../prometheus";
import { ScorerConfig } from "./config";
import { Scorer, ScorerMetrics } from "./scorer";

export interface ScorerAppOptions {
    /** Milliseconds since the epoch; tests score backfilled data at a fixed time. Default Date.now. */
    readonly now?: () => number;
    readonly logger?: Logger;
    /** Node's process metrics on /metrics. Default true. */
    readonly defaultMetrics?: boolean;
}

export interface ScorerApp {
    readonly server: Server;
    readonly scorer: Scorer;
    readonly metrics: ScorerMetrics;
    /** Listens, then starts the rounds; resolves with the bound port. */
    start(): Promise<number>;
    /** Stops the rounds (waiting for the one in flight) and the HTTP server. */
    close(): Promise<void>;
}

/**
 * The scorer process: rounds every SCORE_INTERVAL_SECONDS and an HTTP server with /metrics, /healthz and
 * /readyz. Readiness does not depend on Prometheus or the detector: an outage must stay scrapeable (the
 * errors counter, aiops_scorer_dependency_up), which a not-ready pod behind its Service would not be.
 */
export function createScorerApp(config: ScorerConfig, opts: ScorerAppOptions = {}): ScorerApp {
    const logger = opts.logger ?? jsonLogger();
    const metrics = new ScorerMetrics(opts.defaultMetrics ?? true);
    const scorer = new Scorer({
        prometheus: new PrometheusClient(config.prometheusUrl, config.prometheusTimeoutMs),
        detector: new DetectorClient(config.inferenceServiceUrl, config.inferenceTimeoutMs),
        modelInfo: new ModelInfoCache(config.inferenceServiceUrl, config.inferenceTimeoutMs, config.trainingHint),
        models: config.models,
        metrics,
        logger,
        now: opts.now ?? Date.now,
        windowSeconds: config.windowSeconds,
        concurrency: config.concurrency,
        instanceTimeoutMs: config.instanceTimeoutMs,
        trainingHint: config.trainingHint,
    });
    const server = createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        const json = (status: number, body: unknown): void => {
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        };
        if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: `${req.method} is not allowed; use GET` });
        if (path === "/healthz") return json(200, { status: "ok" });
        if (path === "/readyz") {
            const last = scorer.last;
            return json(200, {
                ready: true,
                lastRound: last === undefined ? null : { at: last.at, ok: last.ok, scored: last.scored, errors: last.errors.length },
            });
        }
        if (path === "/metrics") {
            metrics.registry.metrics().then(
                (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
                (err: unknown) => json(500, { error: String(err) }),
            );
            return;
        }
        json(404, { error: `no route for ${path}; the scorer serves /metrics, /healthz and /readyz` });
    });
    return {
        server,
        scorer,
        metrics,
        start: () =>
            new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(config.port, config.host, () => {
                    server.off("error", reject);
                    const addr = server.address();
                    scorer.start(config.intervalSeconds * 1000);
                    resolve(typeof addr === "object" && addr !== null ? addr.port : config.port);
                });
            }),
        close: async () => {
            await scorer.stop();
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeIdleConnections();
            });
        },
    };
}
