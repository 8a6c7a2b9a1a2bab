/**
 * The detector's HTTP layer on node:http: a route table of GET and POST patterns with `:param` segments,
 * JSON bodies within a byte limit, request ids, one hook per answered request, and a graceful close.
 *
 * Why not fastify (which this replaced): issue 15 holds the detector within 12 MiB of RSS and 2x the p50 of a
 * bare node:http server. Loading fastify alone added 12-15 MiB (ajv, fast-json-stringify, pino, find-my-way,
 * avvio, semver), and its request pipeline about 0.2 ms per small request, for features the detector does not
 * use: its routes are fixed, its one body is checked by hand (oip.ts) and its answers are plain JSON.
 * Everything it did use is here, with the same status codes and answers (README's error table).
 */
import { randomUUID } from "node:crypto";
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { HttpError } from "./http-error";
import { JsonLogger } from "./log";

export interface HttpRequest {
    readonly method: string;
    /** The request target as sent, query included. */
    readonly url: string;
    /** The matched route pattern ("/v2/models/:name/infer"), or undefined when none matched. */
    readonly route: string | undefined;
    /** The pattern's `:param` segments, URL-decoded. */
    readonly params: Readonly<Record<string, string>>;
    readonly headers: IncomingHttpHeaders;
    /** The caller's x-request-id, or a fresh UUID. */
    readonly id: string;
    /** The app's logger with this request's `reqId` bound. */
    readonly log: JsonLogger;
    /** The parsed body of a POST (the app's parseJson), undefined when none was sent. */
    readonly body: unknown;
}

/** What a handler answers: an object or array is sent as JSON, a string as text/plain unless `type` says otherwise. */
export interface HttpReply {
    status?: number;
    body: unknown;
    type?: string;
    headers?: Record<string, string>;
}

export type Handler = (req: HttpRequest) => HttpReply | Promise<HttpReply>;

export interface HttpAppOptions {
    logger: JsonLogger;
    /** Largest accepted body in bytes; more is answered 413 without reading it all. */
    bodyLimit: number;
    /** Milliseconds to receive a whole request before node answers 408 and closes the connection. */
    requestTimeoutMs: number;
    /** Parses a JSON body's text; throw an HttpError (400) for a bad one. */
    parseJson(text: string): unknown;
    /** Turns an error a handler threw into the answer. */
    onError(err: unknown, req: HttpRequest): HttpReply;
    /** The answer to a path (or method) no route serves. */
    notFound(req: HttpRequest): HttpReply;
    /** Called once per answered request, after the last byte was handed to the socket. */
    onResponse?(req: HttpRequest, status: number, elapsedMs: number): void;
    /** Runs after the server stopped and the last in-flight request was answered. */
    onClose?(): Promise<void> | void;
}

interface Route {
    readonly pattern: string;
    readonly segments: readonly string[];
    readonly handler: Handler;
}

/** The Content-Type of every JSON answer. */
export const JSON_TYPE = "application/json; charset=utf-8";
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export class HttpApp {
    readonly server: Server;
    readonly log: JsonLogger;
    private readonly routes: Record<"GET" | "POST", Route[]> = { GET: [], POST: [] };
    private closing: Promise<void> | undefined;

    constructor(private readonly opts: HttpAppOptions) {
        this.log = opts.logger;
        const timeout = opts.requestTimeoutMs;
        this.server = createServer(
            {
                requestTimeout: timeout,
                // Node enforces the request timeout from a periodic sweep (every 30 s by default): sweep at least
                // as often as the timeout so a short one is honoured promptly. Node 20 skips the request deadline
                // while headersTimeout (default 60 s) exceeds it, so keep headersTimeout within requestTimeout.
                connectionsCheckingInterval: Math.min(timeout, 30_000),
                headersTimeout: Math.min(timeout, 60_000),
                // Longer than the 60 s idle timeout of common load balancers, so they close idle connections
                // first and never send a request on a connection the server is closing (fastify's default too).
                keepAliveTimeout: 72_000,
            },
            (req, res) => this.handle(req, res),
        );
    }

    get(pattern: string, handler: Handler): void {
        this.routes.GET.push({ pattern, segments: pattern.split("/"), handler });
    }

    post(pattern: string, handler: Handler): void {
        this.routes.POST.push({ pattern, segments: pattern.split("/"), handler });
    }

    /** Starts listening; resolves to the base URL (`http://host:port`) and logs it as fastify did. */
    listen(opts: { port: number; host: string }): Promise<string> {
        return new Promise((resolve, reject) => {
            const onError = (err: Error) => reject(err);
            this.server.once("error", onError);
            this.server.listen(opts.port, opts.host, () => {
                this.server.removeListener("error", onError);
                const { address, port, family } = this.server.address() as AddressInfo;
                const url = `http://${family === "IPv6" ? `[${address}]` : address}:${port}`;
                this.log.info(`Server listening at ${url}`);
                resolve(url);
            });
        });
    }

    /**
     * Stops accepting connections, answers 503 to requests that still arrive on open connections, waits for
     * the requests in flight, then runs onClose. Idempotent.
     */
    close(): Promise<void> {
        this.closing ??= new Promise<void>((resolve) => {
            if (!this.server.listening) return resolve();
            this.server.close(() => resolve());
            this.server.closeIdleConnections();
        }).then(() => this.opts.onClose?.());
        return this.closing;
    }

    private handle(req: IncomingMessage, res: ServerResponse): void {
        const started = performance.now();
        const header = req.headers["x-request-id"];
        // Honour a caller's request id (ingress, mesh) so one id follows the request through the logs.
        const id = typeof header === "string" && header !== "" ? header : randomUUID();
        const url = req.url ?? "/";
        const method = req.method ?? "GET";
        const match = this.match(method, url);
        const base = { method, url, headers: req.headers, id, log: this.log.child({ reqId: id }) };
        let request: HttpRequest = { ...base, route: match?.route.pattern, params: match?.params ?? NO_PARAMS, body: undefined };
        res.once("finish", () => this.opts.onResponse?.(request, res.statusCode, performance.now() - started));
        if (this.closing !== undefined) {
            this.send(res, method, { status: 503, body: { error: "the detector is shutting down; retry on another replica" } }, true);
            return;
        }
        if (match === undefined) {
            this.send(res, method, this.opts.notFound(request));
            return;
        }
        const body = method === "POST" ? this.readBody(req) : Promise.resolve(undefined);
        body.then((parsed) => {
            request = { ...request, body: parsed };
            return match.route.handler(request);
        })
            .catch((err: unknown) => this.opts.onError(err, request))
            .then((reply) => this.send(res, method, reply, this.closing !== undefined))
            .catch((err: unknown) => {
                request.log.error({ err }, "could not send the answer");
                res.destroy();
            });
    }

    private match(method: string, url: string): { route: Route; params: Record<string, string> } | undefined {
        const routes = method === "POST" ? this.routes.POST : method === "GET" || method === "HEAD" ? this.routes.GET : [];
        const q = url.indexOf("?");
        const parts = (q < 0 ? url : url.slice(0, q)).split("/");
        for (const route of routes) {
            if (route.segments.length !== parts.length) continue;
            let params: Record<string, string> | undefined;
            let ok = true;
            for (let i = 0; i < parts.length && ok; i++) {
                const s = route.segments[i];
                if (s.startsWith(":")) {
                    const value = decodeSegment(parts[i]);
                    if (value === undefined || value === "") ok = false;
                    else (params ??= {})[s.slice(1)] = value;
                } else ok = s === parts[i];
            }
            if (ok) return { route, params: params ?? NO_PARAMS };
        }
        return undefined;
    }

    /**
     * The body's JSON; undefined for a request with neither a body nor a Content-Type. A body that is not
     * application/json is 415 without reading it (an empty one too, when a type is named); one over the
     * limit is 413 as soon as its length (declared or received) says so, and node discards the rest.
     */
    private readBody(req: IncomingMessage): Promise<unknown> {
        const declared = req.headers["content-length"];
        const type = req.headers["content-type"];
        const empty = req.headers["transfer-encoding"] === undefined && (declared === undefined || declared === "0");
        if (type === undefined && empty) return Promise.resolve(undefined);
        const media = (type ?? "").split(";")[0].trim().toLowerCase();
        if (media !== "application/json") {
            return Promise.reject(new HttpError(415, `unsupported Content-Type '${type ?? ""}'; send application/json`));
        }
        const limit = this.opts.bodyLimit;
        const tooLarge = () => new HttpError(413, `request body is larger than the ${limit}-byte limit; send fewer points per request`);
        if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge());
        return new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const onData = (chunk: Buffer) => {
                size += chunk.length;
                if (size > limit) {
                    req.removeListener("data", onData);
                    req.removeListener("end", onEnd);
                    chunks.length = 0;
                    reject(tooLarge());
                } else chunks.push(chunk);
            };
            const onEnd = () => {
                try {
                    resolve(this.opts.parseJson(Buffer.concat(chunks, size).toString("utf8")));
                } catch (err) {
                    reject(err);
                }
            };
            req.on("data", onData);
            req.on("end", onEnd);
            // The client closed the connection mid-body (or node's request timeout did): no one reads the answer.
            req.on("error", () => reject(new HttpError(400, "the request body was cut off: the connection closed before it ended")));
        });
    }

    private send(res: ServerResponse, method: string, reply: HttpReply, close = false): void {
        const { body } = reply;
        const text = typeof body === "string" ? body : JSON.stringify(body);
        const headers: Record<string, string | number> = {
            ...reply.headers,
            "content-type": reply.type ?? (typeof body === "string" ? "text/plain; charset=utf-8" : JSON_TYPE),
            "content-length": Buffer.byteLength(text),
        };
        if (close) headers.connection = "close";
        res.writeHead(reply.status ?? 200, headers);
        res.end(method === "HEAD" ? undefined : text);
    }
}

/** A path segment URL-decoded, or undefined when it is not valid percent-encoding. */
function decodeSegment(segment: string): string | undefined {
    if (!segment.includes("%")) return segment;
    try {
        return decodeURIComponent(segment);
    } catch {
        return undefined;
    }
}
