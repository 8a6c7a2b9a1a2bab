import type { Logger } from "./log";

/**
 * Ends the process once everything already written to stdout has left it. `process.exit()` right after
 * a write drops what Node still queues when stdout is a pipe (the kernel takes 64 KiB at a time), so a
 * log line or a document piped to another program can be cut. The empty write's callback runs after
 * every earlier write has been handed to the OS, because writes complete in order.
 */
export function exitAfterStdout(code: number): void {
    process.exitCode = code;
    process.stdout.write("", () => process.exit(code));
}

/**
 * Graceful stop on SIGTERM and SIGINT, shared by the MCP tool, the scorer and the analyst: log, close (finish
 * in-flight work), then exit 0 after stdout drains; exit 1 if closing takes longer than `graceMs` (keep it
 * under Kubernetes' termination grace period). Install it before logging "listening": a signal that arrives
 * before the handlers exist meets the default disposition and kills the process without its clean shutdown.
 */
export function exitOnSignals(logger: Logger, close: () => Promise<unknown>, opts: { graceMs: number; lateMessage: string }): void {
    let stopping = false;
    const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.log("info", "shutting down", { signal });
        setTimeout(() => {
            logger.log("warn", opts.lateMessage);
            exitAfterStdout(1);
        }, opts.graceMs).unref();
        void close().then(() => {
            logger.log("info", "stopped");
            exitAfterStdout(0);
        });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
}
