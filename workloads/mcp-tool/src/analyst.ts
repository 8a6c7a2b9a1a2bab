/**
 * Entry point of the alert analyst (`node dist/analyst.js`): Alertmanager -> analyst -> agent over A2A -> report.
 * Advisory only: it reads Prometheus and Kubernetes events and changes nothing.
 */
import { createAnalyst } from "./analyst/app";
import { AnalystConfigError, parseAnalystConfig } from "./analyst/config";
import { exitOnSignals } from "./exit";
import { jsonLogger } from "./log";

const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
    const logger = jsonLogger();
    let config;
    try {
        config = parseAnalystConfig(process.env);
    } catch (err) {
        if (err instanceof AnalystConfigError) {
            logger.log("error", err.message, { problems: err.problems });
            process.exitCode = 2;
            return;
        }
        throw err;
    }
    const app = createAnalyst(config, { logger });
    const port = await app.listen();
    exitOnSignals(logger, () => app.close(), { graceMs: SHUTDOWN_GRACE_MS, lateMessage: "analyses did not finish in time; exiting" });
    // Only now say "listening": a SIGTERM sent on that line (a test, an impatient supervisor) before the handlers
    // existed met the default disposition and killed the process without its clean shutdown.
    logger.log("info", "listening", {
        address: `${config.host}:${port}`,
        a2a: config.a2aUrl,
        prometheus: config.prometheusUrl,
        reports: config.reportWebhookUrl === undefined ? "log" : "webhook",
        kubernetes: config.kubernetesApiUrl ?? "none",
        queueSize: config.queueSize,
    });
}

main().catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: String(err) })}\n`);
    process.exitCode = 1;
});
