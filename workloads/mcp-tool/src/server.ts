/**
 * Container entry point: validates the environment, serves MCP on /mcp and stops cleanly on SIGTERM.
 */
import { createApp } from "./app";
import { ConfigError, parseConfig } from "./config";
import { exitAfterStdout, exitOnSignals } from "./exit";
import { jsonLogger } from "./log";

// Kubernetes waits terminationGracePeriodSeconds (30 s by default) after SIGTERM; finish well before.
const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
    const logger = jsonLogger();
    let config;
    try {
        config = parseConfig(process.env);
    } catch (err) {
        if (err instanceof ConfigError) {
            logger.log("error", err.message, { problems: err.problems });
            exitAfterStdout(2);
            return;
        }
        throw err;
    }

    const app = createApp(config, { logger });
    const port = await app.listen();

    exitOnSignals(logger, () => app.close(), {
        graceMs: SHUTDOWN_GRACE_MS,
        lateMessage: "in-flight requests did not finish in time; exiting",
    });
    // Only now say "listening": a SIGTERM sent on that line (a test, an impatient supervisor) before the handlers
    // existed met the default disposition and killed the process without its clean shutdown.
    logger.log("info", "listening", {
        address: `${config.host}:${port}`,
        prometheus: config.prometheusUrl,
        detector: config.inferenceServiceUrl,
        models: config.models,
        allowedHosts: config.allowedHosts,
    });
}

main().catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: String(err) })}\n`);
    exitAfterStdout(1);
});
