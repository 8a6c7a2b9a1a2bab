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

/**
 * Runs a fetch with a deadline and turns network failures into DependencyErrors.
 * The deadline covers the body too: `AbortSignal.timeout` aborts the stream while it is read.
 * A body over `maxBytes` is abandoned with a `bad_response` DependencyError.
 */
export async function fetchWithin(
    dependency: Dependency,
    url: URL,
    init: RequestInit,
    timeoutMs: number,
    maxBytes: number = MAX_RESPONSE_BYTES,
): Promise<{ status: number; body: string }> {
    const shown = `${url.origin}${url.pathname}`;
    let result: { status: number; body: string | undefined };
    try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        result = { status: res.status, body: await readCapped(res, maxBytes) };
    } catch (err) {
        if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
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

/** The body as text, or undefined (and the stream cancelled) once it passes `maxBytes`. */
async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > maxBytes) {
        await res.body?.cancel();
        return undefined;
    }
    if (res.body === null) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
            await reader.cancel();
            return undefined;
        }
        chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
}

function networkCause(err: unknown): string {
    // undici reports "fetch failed" with the socket error (ECONNREFUSED, ENOTFOUND, ...) as its cause.
    const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
    if (cause instanceof Error) {
        const code = (cause as Error & { code?: string }).code;
        return code ?? cause.message;
    }
    return err instanceof Error ? err.message : String(err);
}

/** Shortens a response body for an error message. */
export function excerpt(text: string, max = 300): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
