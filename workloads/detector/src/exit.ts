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
