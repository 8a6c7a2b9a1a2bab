// The alert analyst's HTTP server: POST /alerts (Alertmanager webhook v4) answers 202 at once and puts each
// new firing alert on a bounded queue; workers gather context, ask the agent over A2A and post a report.
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { Logger } from "../log";
import { PayloadError, WebhookAlert, parseWebhookMessage } from "./alertmanager";
import { AgentClient, a2aClient } from "./a2a";
import type { AnalystConfig } from "./config";
import { ContextSources, gatherContext, liveSources } from "./context";
import { call } from "./http";
import { AgentOutcome, prompt, reportMarkdown } from "./report";

/** Largest webhook body accepted: Alertmanager sends every alert of a group (max_alerts: 0). */
export const MAX_BODY_BYTES = 4 * 2 ** 20;
/** Fingerprints remembered as analysed-and-still-firing; the oldest are forgotten beyond this. */
export const MAX_REMEMBERED = 10_000;

export interface ReportSink {
    post(markdown: string, alert: WebhookAlert): Promise<void>;
}

/** Slack-compatible incoming webhook, or the log when none is configured. */
export function reportSink(config: AnalystConfig, logger: Logger): ReportSink {
    const url = config.reportWebhookUrl;
    if (url === undefined)
        return {
            async post(markdown, alert) {
                logger.log("info", "report", { alertname: alert.labels.alertname, fingerprint: alert.fingerprint, report: markdown });
            },
        };
    return {
        async post(markdown) {
            const res = await call("report webhook", url, {
                method: "POST",
                body: JSON.stringify({ text: markdown }),
                headers: { "content-type": "application/json" },
                timeoutMs: config.dependencyTimeoutMs,
            });
            if (res.status < 200 || res.status >= 300)
                throw new Error(`report webhook answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
        },
    };
}

export interface AnalystDeps {
    readonly logger: Logger;
    readonly sources?: ContextSources;
    readonly agent?: AgentClient;
    readonly sink?: ReportSink;
    /** Unix seconds; tests pin it. */
    readonly now?: () => number;
    readonly defaultMetrics?: boolean;
}

export interface AnalystApp {
    readonly server: Server;
    readonly registry: Registry;
    listen(): Promise<number>;
    /** Resolves when the queue is empty and no analysis runs (tests). */
    idle(): Promise<void>;
    close(): Promise<void>;
}

export function createAnalyst(config: AnalystConfig, deps: AnalystDeps): AnalystApp {
    const { logger } = deps;
    const sources = deps.sources ?? liveSources(config);
    const agent = deps.agent ?? a2aClient(config.a2aUrl, config.agentTimeoutMs);
    const sink = deps.sink ?? reportSink(config, logger);
    const now = deps.now ?? (() => Date.now() / 1000);

    const registry = new Registry();
    if (deps.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
    const registers = [registry];
    const received = new Counter({
        name: "analyst_alerts_received_total",
        help: "Alerts received from Alertmanager, by status (firing, resolved).",
        labelNames: ["status"],
        registers,
    });
    const duplicates = new Counter({
        name: "analyst_alerts_deduplicated_total",
        help: "Firing alerts not analysed again: their fingerprint was already analysed or queued and has not resolved.",
        registers,
    });
    const dropped = new Counter({
        name: "analyst_alerts_dropped_total",
        help: "Firing alerts dropped unanalysed because the queue was full.",
        registers,
    });
    const reportsSent = new Counter({
        name: "analyst_reports_sent_total",
        help: "Reports delivered to the webhook (or the log).",
        registers,
    });
    const reportFailures = new Counter({
        name: "analyst_report_failures_total",
        help: "Reports the webhook refused or did not take.",
        registers,
    });
    const agentFailures = new Counter({
        name: "analyst_agent_failures_total",
        help: "Analyses where the agent failed (timeout, unreachable, http, bad_response); the report went out without AI analysis.",
        labelNames: ["kind"],
        registers,
    });
    const queue: WebhookAlert[] = [];
    let running = 0;
    new Gauge({
        name: "analyst_queue_depth",
        help: "Alerts waiting for analysis.",
        registers,
        collect() {
            this.set(queue.length);
        },
    });
    new Gauge({ name: "analyst_queue_capacity", help: "QUEUE_SIZE: alerts that may wait at most.", registers }).set(config.queueSize);

    // Fingerprints queued or analysed and not yet resolved (insertion-ordered: the oldest is evicted first).
    const active = new Set<string>();
    let idleWaiters: Array<() => void> = [];
    const checkIdle = (): void => {
        if (queue.length === 0 && running === 0) {
            const w = idleWaiters;
            idleWaiters = [];
            w.forEach((f) => f());
        }
    };

    const accept = (alerts: readonly WebhookAlert[]): { queued: number; duplicates: number; dropped: number; resolved: number } => {
        const r = { queued: 0, duplicates: 0, dropped: 0, resolved: 0 };
        for (const a of alerts) {
            received.inc({ status: a.status });
            if (a.status === "resolved") {
                active.delete(a.fingerprint);
                r.resolved++;
                continue;
            }
            if (active.has(a.fingerprint)) {
                duplicates.inc();
                r.duplicates++;
                continue;
            }
            if (queue.length >= config.queueSize) {
                // Not remembered: Alertmanager re-sends it (repeat_interval) and it gets another chance.
                dropped.inc();
                r.dropped++;
                continue;
            }
            active.add(a.fingerprint);
            if (active.size > MAX_REMEMBERED) active.delete(active.values().next().value as string);
            queue.push(a);
            r.queued++;
            // Hand it to an idle worker at once, so the queue holds only alerts that really wait.
            pump();
        }
        return r;
    };

    const analyse = async (alert: WebhookAlert): Promise<void> => {
        const context = await gatherContext(alert, sources, config.windowMinutes, now());
        let outcome: AgentOutcome;
        try {
            outcome = { ok: true, text: await agent.ask(prompt(context)) };
        } catch (err) {
            const kind = (err as { kind?: string }).kind ?? "internal";
            agentFailures.inc({ kind });
            outcome = { ok: false, reason: `the agent at ${config.a2aUrl} failed (${err instanceof Error ? err.message : String(err)})` };
            logger.log("warn", "agent failed", {
                alertname: alert.labels.alertname,
                fingerprint: alert.fingerprint,
                kind,
                error: String(err),
            });
        }
        try {
            await sink.post(reportMarkdown(context, outcome), alert);
            reportsSent.inc();
        } catch (err) {
            reportFailures.inc();
            logger.log("error", "report not delivered", {
                alertname: alert.labels.alertname,
                fingerprint: alert.fingerprint,
                error: String(err),
            });
        }
    };

    function pump(): void {
        while (running < config.workers && queue.length > 0) {
            const alert = queue.shift()!;
            running++;
            void analyse(alert)
                .catch((err) => logger.log("error", "analysis crashed", { fingerprint: alert.fingerprint, error: String(err) }))
                .finally(() => {
                    running--;
                    pump();
                    checkIdle();
                });
        }
    }

    const send = (res: ServerResponse, status: number, body: unknown): void => {
        const text = typeof body === "string" ? body : JSON.stringify(body);
        res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json" });
        res.end(text);
    };

    const readBody = (req: IncomingMessage): Promise<string | undefined> =>
        new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let size = 0;
            req.on("data", (c: Buffer) => {
                size += c.length;
                if (size > MAX_BODY_BYTES) {
                    resolve(undefined);
                    req.resume();
                    return;
                }
                chunks.push(c);
            });
            req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
            req.on("error", reject);
        });

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const path = new URL(req.url ?? "/", "http://analyst").pathname;
        if (path === "/healthz" || path === "/readyz") return send(res, 200, "ok\n");
        if (path === "/metrics" && req.method === "GET") {
            res.writeHead(200, { "content-type": registry.contentType });
            res.end(await registry.metrics());
            return;
        }
        if (path !== "/alerts") return send(res, 404, { error: "not found: POST Alertmanager webhooks to /alerts" });
        if (req.method !== "POST") {
            res.setHeader("allow", "POST");
            return send(res, 405, { error: "POST the Alertmanager webhook payload to /alerts" });
        }
        const body = await readBody(req);
        if (body === undefined) return send(res, 413, { error: `the payload exceeds ${MAX_BODY_BYTES} bytes` });
        let json: unknown;
        try {
            json = JSON.parse(body);
        } catch {
            return send(res, 400, { error: "the body is not JSON (expected the Alertmanager webhook payload, version 4)" });
        }
        let message;
        try {
            message = parseWebhookMessage(json);
        } catch (err) {
            if (err instanceof PayloadError) return send(res, 400, { error: err.message });
            throw err;
        }
        const r = accept(message.alerts);
        if (r.dropped > 0) logger.log("warn", "queue full: alerts dropped", { dropped: r.dropped, queueSize: config.queueSize });
        send(res, 202, r);
    };

    const server = createServer((req, res) => {
        handle(req, res).catch((err) => {
            logger.log("error", "request failed", { error: String(err) });
            if (!res.headersSent) send(res, 500, { error: "internal error" });
            else res.end();
        });
    });

    return {
        server,
        registry,
        listen: () =>
            new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
            }),
        idle: () =>
            new Promise((resolve) => {
                idleWaiters.push(resolve);
                checkIdle();
            }),
        close: async () => {
            await new Promise<void>((resolve) => server.close(() => resolve()));
            await new Promise<void>((resolve) => {
                idleWaiters.push(resolve);
                checkIdle();
            });
        },
    };
}
