import { request as httpRequest } from "node:http";

/** A problem the caller can fix (bad argument, unknown instance); shown to the agent as is. */
export class ToolError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ToolError";
    }
}

export type Dependency = "prometheus" | "detector";
export type DependencyErrorKind = "unreachable" | "timeout" | "http" | "bad_response";

const DISPLAY: Record<Dependency, string> = { prometheus: "Prometheus", detector: "the detector" };

/** Prometheus or the detector failed; the message names which one and its URL. */
export class DependencyError extends Error {
    constructor(
        readonly dependency: Dependency,
        readonly kind: DependencyErrorKind,
        readonly url: string,
        detail: string,
    ) {
        super(`${DISPLAY[dependency]} at ${url} ${detail}`);
        this.name = "DependencyError";
    }
}

/**
 * Largest response body read from Prometheus or the detector. A week at 60 s is about 0.3 MB of JSON
 * per series and a detector answer for 11,000 points about 0.5 MB; the cap stops a runaway query (a
 * matcher that hits thousands of series) from buffering without bound and exhausting the 96 MiB heap.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The part of a fetch RequestInit the clients use. */
export interface HttpInit {
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
}

/**
 * Sends one HTTP request with a deadline and turns network failures into DependencyErrors.
 * The deadline covers the body too. A body over `maxBytes` is abandoned with a `bad_response` DependencyError.
 *
 * node:http rather than fetch: fetch's client side (undici's connection pool, its WebAssembly HTTP parser and a
 * web stream per body) cost the MCP tool about 6 MiB of peak RSS and per-call garbage (docs/mcp-tool-memory.md);
 * the node:http client uses the C parser already loaded for the server. The global agent keeps connections
 * alive as undici did. Unlike fetch it neither follows redirects nor asks for compressed bodies: Prometheus and
 * the detector answer their API paths directly, in-cluster.
 */
export async function fetchWithin(
    dependency: Dependency,
    url: URL,
    init: HttpInit,
    timeoutMs: number,
    maxBytes: number = MAX_RESPONSE_BYTES,
): Promise<{ status: number; body: string }> {
    const shown = `${url.origin}${url.pathname}`;
    let result: { status: number; body: string | undefined };
    try {
        // node:https (about 1 MiB of RSS) is loaded only for an https URL; the cluster's services are plain http.
        const request = url.protocol === "https:" ? (await import("node:https")).request : httpRequest;
        result = await send(request, url, init, timeoutMs, maxBytes);
    } catch (err) {
        if (err instanceof Deadline) {
            throw new DependencyError(dependency, "timeout", shown, `did not answer within ${timeoutMs} ms`);
        }
        throw new DependencyError(dependency, "unreachable", shown, `is unreachable (${networkCause(err)})`);
    }
    if (result.body === undefined) {
        throw new DependencyError(
            dependency,
            "bad_response",
            shown,
            `answered HTTP ${result.status} with a body over ${maxBytes} bytes, the most this tool reads from it; narrow the query`,
        );
    }
    return { status: result.status, body: result.body };
}

class Deadline extends Error {}

/** The status and body as text, or body undefined (and the connection dropped) once it passes `maxBytes`. */
function send(
    request: typeof httpRequest,
    url: URL,
    init: HttpInit,
    timeoutMs: number,
    maxBytes: number,
): Promise<{ status: number; body: string | undefined }> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { ...init.headers };
        if (init.body !== undefined) headers["content-length"] = Buffer.byteLength(init.body);
        let settled = false;
        const settle = (fn: () => void): void => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            fn();
        };
        const req = request(url, { method: init.method ?? "GET", headers });
        const timer = setTimeout(() => {
            settle(() => reject(new Deadline()));
            req.destroy();
        }, timeoutMs);
        req.on("error", (err) => settle(() => reject(err)));
        req.on("response", (res) => {
            const status = res.statusCode ?? 0;
            const tooLarge = (): void => {
                settle(() => resolve({ status, body: undefined }));
                res.destroy();
            };
            if (Number(res.headers["content-length"] ?? "0") > maxBytes) return tooLarge();
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (chunk: Buffer) => {
                size += chunk.length;
                if (size > maxBytes) return tooLarge();
                chunks.push(chunk);
            });
            res.on("end", () => settle(() => resolve({ status, body: Buffer.concat(chunks).toString("utf8") })));
            // A connection dropped mid-body: "aborted" (ECONNRESET) on the response, or at least "close" before "end".
            res.on("error", (err) => settle(() => reject(err)));
            res.on("close", () => settle(() => reject(Object.assign(new Error("aborted"), { code: "ECONNRESET" }))));
        });
        req.end(init.body);
    });
}

function networkCause(err: unknown): string {
    const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
    if (typeof code === "string") return code;
    return err instanceof Error ? err.message : String(err);
}

/** Shortens a response body for an error message. */
export function excerpt(text: string, max = 300): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
