// A small client for the Kubeflow Pipelines v2beta1 REST API (KFP 2.17.0,
// backend/api/v2beta1/swagger/kfp_api_single_file.swagger.json): JSON in snake_case, errors as
// googleRpcStatus {code, message}, the multipart upload endpoints' errors as {error_message, error_details}
// (backend/src/apiserver/server/pipeline_upload_server.go) or plain text.
//
// Retries: the registration Job starts together with the platform, so KFP may not answer yet. A request
// that cannot have reached KFP (connection refused, DNS not resolvable yet, 503) is retried for every
// method; one that may have been processed (timeout, reset, other 5xx) only for GET, since repeating a
// POST could create twice. Everything stops at one overall deadline, and the error names KFP and the URL.

import { STATUS_CODES } from "node:http";

export interface KfpClientOptions {
    /** Base URL of KFP's API server, e.g. http://ml-pipeline.kubeflow.svc.cluster.local:8888. */
    readonly baseUrl: string;
    /** Give up retrying this long after the client's first request. Default 300 s. */
    readonly waitMs?: number;
    /** Per-request timeout. Default 30 s. */
    readonly requestTimeoutMs?: number;
    /** First retry delay, doubled up to maxBackoffMs. Default 1 s. */
    readonly initialBackoffMs?: number;
    /** Default 15 s. */
    readonly maxBackoffMs?: number;
    /** Progress lines (retries). Default none. */
    readonly log?: (line: string) => void;
    /** Injected for tests. Default global fetch / setTimeout / Date.now. */
    readonly fetch?: typeof fetch;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly now?: () => number;
}

/** An answer from KFP that is not a success, or KFP not answering in time. */
export class KfpError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "KfpError";
    }
}

export interface RequestOptions {
    readonly query?: Readonly<Record<string, string | number | undefined>>;
    readonly json?: unknown;
    /** Multipart form upload: one file field. */
    readonly file?: { readonly field: string; readonly filename: string; readonly content: string; readonly type: string };
}

/** Network error codes that prove the request never reached the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function errorCode(err: unknown): string | undefined {
    const e = err as { code?: string; cause?: { code?: string; errors?: { code?: string }[] } };
    return e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.code;
}

function describe(err: unknown): string {
    const code = errorCode(err);
    const e = err as { message?: string; cause?: { message?: string } };
    const text = e.cause?.message ?? e.message ?? String(err);
    return code !== undefined && !text.includes(code) ? `${code}: ${text}` : text;
}

/** The human message in a KFP error body, whichever of its error shapes it uses. */
export function kfpErrorMessage(body: string): string {
    try {
        const parsed = JSON.parse(body) as { message?: unknown; error_message?: unknown; error?: unknown };
        for (const m of [parsed.message, parsed.error_message, parsed.error]) if (typeof m === "string" && m !== "") return m;
    } catch {
        // plain text (http.Error in the upload server)
    }
    const text = body.trim();
    return text === "" ? "(empty body)" : text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

export class KfpClient {
    readonly baseUrl: string;
    /** Every POST/PATCH/DELETE sent and answered with success, as "METHOD path", in order. */
    readonly mutations: string[] = [];
    private readonly opts: Required<Omit<KfpClientOptions, "baseUrl">>;
    private deadline: number | undefined;

    constructor(options: KfpClientOptions) {
        let url: URL;
        try {
            url = new URL(options.baseUrl);
        } catch {
            throw new Error(
                `KFP API URL '${options.baseUrl}' is not a URL; expected e.g. http://ml-pipeline.kubeflow.svc.cluster.local:8888`,
            );
        }
        if (url.protocol !== "http:" && url.protocol !== "https:")
            throw new Error(`KFP API URL '${options.baseUrl}' must be http:// or https://`);
        this.baseUrl = options.baseUrl.replace(/\/+$/, "");
        this.opts = {
            waitMs: options.waitMs ?? 300_000,
            requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
            initialBackoffMs: options.initialBackoffMs ?? 1_000,
            maxBackoffMs: options.maxBackoffMs ?? 15_000,
            log: options.log ?? (() => {}),
            fetch: options.fetch ?? fetch,
            sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
            now: options.now ?? Date.now,
        };
    }

    async get<T>(path: string, query?: RequestOptions["query"]): Promise<T> {
        return this.request<T>("GET", path, { query });
    }

    /** Sends one request, retrying as described at the top of this file; resolves to the parsed JSON body. */
    async request<T>(method: "GET" | "POST" | "DELETE" | "PATCH", path: string, options: RequestOptions = {}): Promise<T> {
        const url = new URL(this.baseUrl + path);
        for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
        const what = `${method} ${url.pathname}`;
        this.deadline ??= this.opts.now() + this.opts.waitMs;
        let backoff = this.opts.initialBackoffMs;
        for (let attempt = 1; ; attempt++) {
            let retryable: boolean;
            let problem: string;
            try {
                const response = await this.opts.fetch(url, {
                    method,
                    headers: { accept: "application/json", ...(options.json !== undefined ? { "content-type": "application/json" } : {}) },
                    body: this.body(options),
                    signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
                });
                const text = await response.text();
                if (response.ok) {
                    if (method !== "GET") this.mutations.push(`${method} ${url.pathname}`);
                    if (text.trim() === "") return {} as T;
                    try {
                        return JSON.parse(text) as T;
                    } catch {
                        throw new KfpError(
                            `KFP API at ${this.baseUrl} answered ${what} with a body that is not JSON: ${kfpErrorMessage(text)}`,
                            response.status,
                        );
                    }
                }
                // HTTP/2 and some proxies send no reason phrase; name the status anyway.
                const reason = response.statusText || STATUS_CODES[response.status] || "";
                const message = `${response.status} ${reason}: ${kfpErrorMessage(text)}`;
                retryable = response.status === 503 || (method === "GET" && response.status >= 500);
                if (!retryable) throw new KfpError(`KFP API at ${this.baseUrl} rejected ${what} (${message})`, response.status);
                problem = message;
            } catch (err) {
                if (err instanceof KfpError) throw err;
                const code = errorCode(err);
                const timedOut = (err as { name?: string }).name === "TimeoutError";
                retryable = (code !== undefined && NOT_SENT.has(code)) || (method === "GET" && !(err instanceof SyntaxError));
                problem = timedOut ? `no answer within ${this.opts.requestTimeoutMs / 1000} s` : describe(err);
                if (!retryable)
                    throw new KfpError(
                        `KFP API at ${this.baseUrl}: ${what} failed (${problem}); not retried because KFP may have processed it, run the registration again`,
                    );
            }
            const remaining = this.deadline - this.opts.now();
            if (remaining <= 0)
                throw new KfpError(
                    `KFP API at ${this.baseUrl} is not available: ${what} failed ${attempt} time(s) over ${Math.round(this.opts.waitMs / 1000)} s (last: ${problem}); check that KFP's API server (Service ml-pipeline, port 8888) is running and reachable`,
                );
            const delay = Math.min(backoff, remaining);
            this.opts.log(`KFP API at ${this.baseUrl} not ready (${what}: ${problem}); retrying in ${Math.round(delay / 100) / 10} s`);
            await this.opts.sleep(delay);
            backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
        }
    }

    private body(options: RequestOptions): string | FormData | undefined {
        if (options.file !== undefined) {
            const form = new FormData();
            form.append(options.file.field, new Blob([options.file.content], { type: options.file.type }), options.file.filename);
            return form;
        }
        return options.json === undefined ? undefined : JSON.stringify(options.json);
    }
}
