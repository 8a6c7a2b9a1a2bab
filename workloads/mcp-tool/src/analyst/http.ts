// One bounded HTTP call for the analyst's dependencies, on node:http(s) so a custom CA (the in-cluster
// API server's) can be trusted without an extra dependency. Failures name the dependency and URL.
import * as http from "node:http";
import * as https from "node:https";

export class UpstreamError extends Error {
    constructor(
        readonly dependency: string,
        readonly kind: "unreachable" | "timeout" | "http" | "bad_response",
        message: string,
    ) {
        super(message);
        this.name = "UpstreamError";
    }
}

export interface CallOptions {
    readonly method?: "GET" | "POST";
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly timeoutMs: number;
    /** PEM CA to trust for https (the ServiceAccount's ca.crt). */
    readonly ca?: string;
    /** Largest body read; more is an error. Default 8 MiB. */
    readonly maxBytes?: number;
}

/** Calls `url`; resolves with status and body for any HTTP status, rejects with UpstreamError otherwise. */
export function call(dependency: string, url: string, opts: CallOptions): Promise<{ status: number; body: string }> {
    const u = new URL(url);
    const shown = `${dependency} at ${u.origin}${u.pathname}`;
    const maxBytes = opts.maxBytes ?? 8 * 2 ** 20;
    return new Promise((resolve, reject) => {
        const lib = u.protocol === "https:" ? https : http;
        const req = lib.request(u, { method: opts.method ?? "GET", headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (c: Buffer) => {
                size += c.length;
                if (size > maxBytes) {
                    req.destroy(new UpstreamError(dependency, "bad_response", `${shown} sent more than ${maxBytes} bytes`));
                    return;
                }
                chunks.push(c);
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", (e) =>
                reject(e instanceof UpstreamError ? e : new UpstreamError(dependency, "unreachable", `${shown}: ${e.message}`)),
            );
        });
        req.setTimeout(opts.timeoutMs, () =>
            req.destroy(new UpstreamError(dependency, "timeout", `${shown} did not answer within ${opts.timeoutMs} ms`)),
        );
        req.on("error", (e) =>
            reject(e instanceof UpstreamError ? e : new UpstreamError(dependency, "unreachable", `${shown} is unreachable (${e.message})`)),
        );
        if (opts.body !== undefined) req.write(opts.body);
        req.end();
    });
}

/** A JSON GET/POST that must answer 2xx with JSON. */
export async function callJson(dependency: string, url: string, opts: CallOptions): Promise<unknown> {
    const res = await call(dependency, url, {
        ...opts,
        headers: {
            accept: "application/json",
            ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
            ...opts.headers,
        },
    });
    if (res.status < 200 || res.status >= 300)
        throw new UpstreamError(
            dependency,
            "http",
            `${dependency} at ${new URL(url).origin} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`,
        );
    try {
        return JSON.parse(res.body);
    } catch {
        throw new UpstreamError(dependency, "bad_response", `${dependency} at ${new URL(url).origin} answered with invalid JSON`);
    }
}
