/**
 * The detector's JSON body parser. A body of arrays nested 10,000 deep once reached `Array.prototype.flat`
 * and overflowed the stack (500), and the first server's parser (fastify's secure-json-parse) refused any
 * body with a `__proto__` key. Here one linear scan bounds nesting depth and the number of arrays and
 * objects before JSON.parse runs; JSON.parse itself makes `__proto__` an own data property, which sets no
 * prototype, and the request code reads only named fields, so no key can pollute anything.
 */
import { MAX_POINTS_PER_REQUEST, OipRequestError } from "./oip";

/** Deepest nesting of arrays and objects accepted (an OIP request needs 4, plus nested tensor data). */
export const MAX_JSON_DEPTH = 32;
/** Most arrays and objects in one body: enough for one nested array per point of a maximum request. */
export const MAX_JSON_CONTAINERS = 2 * MAX_POINTS_PER_REQUEST + 1_000;

/** Throws OipRequestError (400) when `text` nests deeper than `maxDepth` or holds more than `maxContainers` arrays and objects. */
export function checkJsonStructure(text: string, maxDepth = MAX_JSON_DEPTH, maxContainers = MAX_JSON_CONTAINERS): void {
    // A regex finds the next bracket or quote natively, skipping runs of numbers far faster than a
    // charCodeAt loop (a maximum body is mostly digits); strings are skipped whole, honouring escapes.
    const token = /[[\]{}"]/g;
    const string = /"(?:[^"\\]|\\[\s\S])*"/y;
    let depth = 0;
    let containers = 0;
    for (let m = token.exec(text); m !== null; m = token.exec(text)) {
        const c = text.charCodeAt(m.index);
        if (c === 34 /* " */) {
            string.lastIndex = m.index;
            if (!string.test(text)) return; // unterminated string: JSON.parse reports it
            token.lastIndex = string.lastIndex;
        } else if (c === 91 /* [ */ || c === 123 /* { */) {
            if (++depth > maxDepth) {
                throw new OipRequestError(`request body nests arrays and objects more than ${maxDepth} levels deep; send flat data arrays`);
            }
            if (++containers > maxContainers) {
                throw new OipRequestError(`request body holds more than ${maxContainers} arrays and objects; send flat data arrays`);
            }
        } else {
            depth--;
        }
    }
}

/**
 * Bodies longer than this (about 8,000 points) are not parsed on the main thread: parsing, checking,
 * scoring and serialising a maximum request takes tens of milliseconds of main-thread time and garbage
 * otherwise, which delays health probes. The handler sends the text to the scoring worker instead.
 */
export const LARGE_BODY_CHARS = 256 * 1024;

/** A large body's text, passed unparsed to the infer handler (see LARGE_BODY_CHARS). */
export class DeferredBody {
    constructor(readonly text: string) {}
}

/** The server's body parser: small bodies parsed here, large ones passed on as text (see LARGE_BODY_CHARS). */
export function parseOrDefer(text: string): unknown {
    if (text.length > LARGE_BODY_CHARS) return new DeferredBody(text);
    return parseJsonBody(text);
}
/** Parses a JSON request body: 400 with a message that names the problem (never the body itself). */
export function parseJsonBody(text: string): unknown {
    if (text.trim() === "") throw new OipRequestError('request body is empty; send an inference request {"inputs": [...]}');
    checkJsonStructure(text);
    try {
        return JSON.parse(text) as unknown;
    } catch (err) {
        const detail = err instanceof SyntaxError ? positionOf(err.message) : "";
        const nonFinite = /\b(NaN|-?Infinity)\b/.test(text) ? "; JSON has no NaN or Infinity: send finite numbers" : "";
        throw new OipRequestError(`request body is not valid JSON${detail}${nonFinite}`);
    }
}

/** "at position N" from V8's SyntaxError, without the excerpt of the body it may quote. */
function positionOf(message: string): string {
    const m = /position (\d+)/.exec(message);
    return m === null ? "" : ` (at character ${m[1]})`;
}
