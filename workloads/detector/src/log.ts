/**
 * The detector's JSON-lines logger, in pino's line format (numeric `level`, `time` in ms, `pid`, `hostname`,
 * bound fields such as `reqId`, then the call's fields and `msg`), so log pipelines and queries written for
 * the fastify/pino server it replaced keep working. pino itself adds about 9 MiB of RSS to the process for
 * features the detector does not use (transports, redaction, worker threads).
 */
import { hostname } from "node:os";

/** pino's numeric levels. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

/** Where lines go: anything with a `write(line)` (process.stdout, a test's Writable). */
export interface LogStream {
    write(line: string): unknown;
}

export interface LoggerOptions {
    /** Lowest level written (env LOG_LEVEL). Default info. */
    level?: string;
    /** Default process.stdout. */
    stream?: LogStream;
}

type Fields = Record<string, unknown>;

/** A logger; `child` binds fields (the request id) to every line it writes. */
export class JsonLogger {
    private constructor(
        private readonly min: number,
        private readonly stream: LogStream,
        /** The bound fields, serialised once: `,"reqId":"..."` (empty for none). */
        private readonly bound: string,
        private readonly prefix: string,
    ) {}

    /** A logger at `opts.level`; `false` writes nothing. Throws on an unknown level, naming LOG_LEVEL and the choices. */
    static create(opts: LoggerOptions | false): JsonLogger {
        const stream = opts === false ? { write: () => undefined } : (opts.stream ?? process.stdout);
        const level = opts === false ? "silent" : (opts.level ?? "info");
        if (!Object.prototype.hasOwnProperty.call(LOG_LEVELS, level)) {
            throw new Error(`LOG_LEVEL must be one of ${Object.keys(LOG_LEVELS).join(", ")}; got '${level}'`);
        }
        return new JsonLogger(
            LOG_LEVELS[level as LogLevelName],
            stream,
            "",
            `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`,
        );
    }

    /** A logger that adds `fields` to every line. */
    child(fields: Fields): JsonLogger {
        return new JsonLogger(this.min, this.stream, this.bound + serialise(fields), this.prefix);
    }

    /** Whether a line at `level` would be written (skip building costly fields otherwise). */
    enabled(level: Exclude<LogLevelName, "silent">): boolean {
        return LOG_LEVELS[level] >= this.min;
    }

    debug(fields: Fields | string, msg?: string): void {
        this.write(LOG_LEVELS.debug, fields, msg);
    }

    info(fields: Fields | string, msg?: string): void {
        this.write(LOG_LEVELS.info, fields, msg);
    }

    warn(fields: Fields | string, msg?: string): void {
        this.write(LOG_LEVELS.warn, fields, msg);
    }

    error(fields: Fields | string, msg?: string): void {
        this.write(LOG_LEVELS.error, fields, msg);
    }

    private write(level: number, fields: Fields | string, msg: string | undefined): void {
        if (level < this.min) return;
        const own = typeof fields === "string" ? "" : serialise(fields);
        const text = typeof fields === "string" ? fields : msg;
        const tail = text === undefined ? "" : `,"msg":${JSON.stringify(text)}`;
        this.stream.write(`{"level":${level},"time":${Date.now()}${this.prefix}${this.bound}${own}${tail}}\n`);
    }
}

/** `,"k":v` for each field; an Error becomes pino's `{type, message, stack}` (JSON.stringify drops an Error's own fields). */
function serialise(fields: Fields): string {
    let out = "";
    for (const key of Object.keys(fields)) {
        const value = fields[key];
        if (value === undefined) continue;
        const json = value instanceof Error ? errorJson(value) : JSON.stringify(value);
        if (json !== undefined) out += `,${JSON.stringify(key)}:${json}`;
    }
    return out;
}

function errorJson(err: Error): string {
    return JSON.stringify({ type: err.name, message: err.message, stack: err.stack });
}
