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
 * Runs a fetch with a deadline and turns network failures into DependencyErrors.
 * The deadline covers the body too: `AbortSignal.timeout` aborts the stream while it is read.
 */
export async function fetchWithin(
  dependency: Dependency,
  url: URL,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const shown = `${url.origin}${url.pathname}`;
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new DependencyError(dependency, "timeout", shown, `did not answer within ${timeoutMs} ms`);
    }
    throw new DependencyError(dependency, "unreachable", shown, `is unreachable (${networkCause(err)})`);
  }
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
