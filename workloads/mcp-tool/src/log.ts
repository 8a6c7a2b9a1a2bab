export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
    log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/** One JSON object per line on stdout, the shape log collectors parse without configuration. */
export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
    return {
        log(level, msg, fields) {
            write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
        },
    };
}

export const silentLogger: Logger = { log() {} };
