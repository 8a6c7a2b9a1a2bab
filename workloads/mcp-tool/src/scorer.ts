/**
 * Scorer entry point (`node dist/scorer.js`): validates the environment, scores every
 * SCORE_INTERVAL_SECONDS, serves /metrics on PORT (9102) and stops cleanly on SIGTERM.
 */
import { ConfigError } from "./config";
import { exitOnSignals } from "./exit";
import { jsonLogger } from "./log";
import { createScorerApp } from "./scoring/app";
import { parseScorerConfig } from "./scoring/config";

/** A round is bounded by its timeouts; never wait longer than Kubernetes' grace period. */
const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
    const logger = jsonLogger();
    let config;
    try {
        config = parseScorerConfig(process.env);
    } catch (err) {
        if (err instanceof ConfigError) {
            logger.log("error", err.message, { problems: err.problems });
            process.exitCode = 2;
            return;
        }
        throw err;
    }
    const app = createScorerApp(config, { logger });
    const port = await app.start();
    exitOnSignals(logger, () => app.close(), {
        graceMs: SHUTDOWN_GRACE_MS,
        lateMessage: "the scoring round did not finish in time; exiting",
    });
    // Only now say "listening": a SIGTERM sent on that line (a test, an impatient supervisor) before the handlers
    // existed met the default disposition and killed the process without its clean shutdown.
    logger.log("info", "scorer listening", {
        address: `${config.host}:${port}`,
        prometheus: config.prometheusUrl,
        detector: config.inferenceServiceUrl,
        intervalSeconds: config.intervalSeconds,
        windowSeconds: config.windowSeconds,
        concurrency: config.concurrency,
        models: config.models,
    });
}

main().catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: String(err) })}\n`);
    process.exitCode = 1;
});
