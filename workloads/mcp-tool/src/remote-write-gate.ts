/**
 * The remote-write gate (`node dist/remote-write-gate.js`): the only way into the central Prometheus' remote
 * write receiver from outside the cluster. The hybrid edge's Prometheus agent posts here over the tailnet with
 * HTTP basic auth (a generated password); the gate checks it in constant time and forwards the body untouched
 * to Prometheus' /api/v1/write. Prometheus' own web API has no per-path auth, hence this small gate.
 *
 * Env: PORT (default 9104), UPSTREAM_URL (e.g. http://kps-prometheus.monitoring.svc:9090/api/v1/write),
 * GATE_USERNAME, GATE_PASSWORD (from a Secret), UPSTREAM_TIMEOUT_MS (default 10000).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exitAfterStdout } from "./exit";
import { jsonLogger, Logger } from "./log";

/** Remote-write batches are snappy-compressed protobuf, normally well under 1 MiB; refuse runaway bodies. */
export const MAX_WRITE_BYTES = 32 * 2 ** 20;
/** Headers Prometheus' receiver reads (remote write 1.0/2.0 spec). */
const FORWARDED = ["content-type", "content-encoding", "x-prometheus-remote-write-version", "user-agent"];

export interface GateConfig {
    readonly port: number;
    readonly upstreamUrl: string;
    readonly username: string;
    readonly password: string;
    readonly timeoutMs: number;
}

export function parseGateConfig(env: NodeJS.ProcessEnv): GateConfig {
    const problems: string[] = [];
    const need = (k: string): string => {
        const v = env[k];
        if (!v) problems.push(`${k} is required`);
        return v ?? "";
    };
    const upstreamUrl = need("UPSTREAM_URL");
    if (upstreamUrl && !/^https?:\/\/[^\s/]+/.test(upstreamUrl)) problems.push(`UPSTREAM_URL must be an http(s) URL; got '${upstreamUrl}'`);
    const username = need("GATE_USERNAME");
    const password = need("GATE_PASSWORD");
    if (password && password.length < 16) problems.push("GATE_PASSWORD must be at least 16 characters (a generated secret)");
    const port = Number(env.PORT ?? 9104);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer 0-65535; got '${env.PORT}'`);
    const timeoutMs = Number(env.UPSTREAM_TIMEOUT_MS ?? 10_000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
        problems.push(`UPSTREAM_TIMEOUT_MS must be an integer >= 100; got '${env.UPSTREAM_TIMEOUT_MS}'`);
    if (problems.length) throw new Error(`invalid remote-write gate configuration: ${problems.join("; ")}`);
    return { port, upstreamUrl, username, password, timeoutMs };
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Whether an Authorization header carries exactly these basic credentials (constant time). */
export function basicAuthMatches(header: string | undefined, username: string, password: string): boolean {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "");
    const given = m ? Buffer.from(m[1], "base64").toString("utf8") : "";
    return timingSafeEqual(digest(given), digest(`${username}:${password}`)) && m !== null;
}

export function createGate(config: GateConfig, logger: Logger): { server: Server; listen(): Promise<number> } {
    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const path = new URL(req.url ?? "/", "http://gate").pathname;
        if (path === "/healthz") {
            res.writeHead(200).end("ok\n");
            return;
        }
        if (path !== "/api/v1/write") {
            res.writeHead(404).end("only POST /api/v1/write is served here\n");
            return;
        }
        if (req.method !== "POST") {
            res.writeHead(405, { allow: "POST" }).end("POST remote-write batches\n");
            return;
        }
        if (!basicAuthMatches(req.headers.authorization, config.username, config.password)) {
            req.resume();
            res.writeHead(401, { "www-authenticate": 'Basic realm="remote-write"' }).end(
                "remote write needs the edge's basic-auth credentials\n",
            );
            return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of req) {
            size += (c as Buffer).length;
            if (size > MAX_WRITE_BYTES) {
                res.writeHead(413).end(`a remote-write batch may be at most ${MAX_WRITE_BYTES} bytes\n`);
                return;
            }
            chunks.push(c as Buffer);
        }
        const headers: Record<string, string> = {};
        for (const h of FORWARDED) if (typeof req.headers[h] === "string") headers[h] = req.headers[h] as string;
        try {
            const up = await fetch(config.upstreamUrl, {
                method: "POST",
                headers,
                body: Buffer.concat(chunks),
                signal: AbortSignal.timeout(config.timeoutMs),
            });
            const text = await up.text();
            res.writeHead(up.status, { "content-type": "text/plain" }).end(text);
        } catch (err) {
            logger.log("warn", "upstream failed", { upstream: config.upstreamUrl, error: String(err) });
            // 503: Prometheus' remote-write client retries 5xx, so nothing is lost while the centre is away.
            res.writeHead(503).end(`Prometheus at ${config.upstreamUrl} is unreachable or timed out\n`);
        }
    };
    const server = createServer((req, res) => {
        handle(req, res).catch((err) => {
            logger.log("error", "request failed", { error: String(err) });
            if (!res.headersSent) res.writeHead(500).end("internal error\n");
        });
    });
    return {
        server,
        listen: () =>
            new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(config.port, "0.0.0.0", () => resolve((server.address() as AddressInfo).port));
            }),
    };
}

if (require.main === module) {
    const logger = jsonLogger();
    try {
        const config = parseGateConfig(process.env);
        const gate = createGate(config, logger);
        void gate.listen().then((port) => logger.log("info", "listening", { port, upstream: config.upstreamUrl }));
        process.on("SIGTERM", () => gate.server.close(() => exitAfterStdout(0)));
    } catch (err) {
        logger.log("error", String(err instanceof Error ? err.message : err));
        process.exitCode = 2;
    }
}
