/**
 * A real Prometheus on loopback over backfilled data: Debian's `prometheus` and `promtool`
 * (CI installs them with apt). Shared by the end-to-end tests and the benchmark.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../../detector/test/server-helpers";
import { DatasetSpec, writeOpenMetrics } from "./nodeData";

// A free loopback port: the detector's test helper serves both packages.
export { freePort };

const run = promisify(execFile);

export interface ToolCheck {
    readonly ok: boolean;
    readonly missing: string[];
}

/** Whether prometheus and promtool are on PATH. */
export async function checkPrometheusTools(): Promise<ToolCheck> {
    const missing: string[] = [];
    for (const tool of ["prometheus", "promtool"]) {
        try {
            await run(tool, ["--version"]);
        } catch {
            missing.push(tool);
        }
    }
    return { ok: missing.length === 0, missing };
}

/**
 * Skips the calling suite when the tools are missing on a laptop, but fails loudly in CI, where a skip
 * would hide that the end-to-end tests never ran.
 */
export async function requirePrometheusTools(ctx: Mocha.Context): Promise<void> {
    const check = await checkPrometheusTools();
    if (check.ok) return;
    const message = `${check.missing.join(" and ")} not found on PATH; install them (Debian/Ubuntu: apt-get install -y prometheus)`;
    if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
        throw new Error(`CI is set, so the Prometheus end-to-end tests must run: ${message}`);
    }
    console.warn(`    skipping Prometheus end-to-end tests: ${message}`);
    ctx.skip();
}

/** Writes the data set as OpenMetrics and turns it into TSDB blocks under `dir`/data. */
export async function backfill(spec: DatasetSpec, dir: string): Promise<{ dataDir: string; samples: number }> {
    mkdirSync(dir, { recursive: true });
    const input = join(dir, "backfill.om");
    const dataDir = join(dir, "data");
    const samples = writeOpenMetrics(spec, input);
    await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, dataDir], { maxBuffer: 16 * 1024 * 1024 });
    return { dataDir, samples };
}

export interface RunningPrometheus {
    readonly url: string;
    readonly process: ChildProcess;
    stop(): Promise<void>;
}

/**
 * Starts Prometheus on a loopback port over `dataDir` with an empty scrape config and waits for /-/ready.
 * Retention must be 100y: it counts back from the newest block, and the default 15 d would delete nothing
 * here but would as soon as old and new data share a DB (see shared/notes/workloads.md section 7).
 */
export async function startPrometheus(
    dataDir: string,
    dir: string,
    timeoutMs = 30_000,
    /** prometheus.yml text; default: no scrape jobs (backfilled data only). */
    config = "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
): Promise<RunningPrometheus> {
    const port = await freePort();
    const configFile = join(dir, "prometheus.yml");
    writeFileSync(configFile, config);
    const proc = spawn(
        "prometheus",
        [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${dataDir}`,
            "--storage.tsdb.retention.time=100y",
            `--web.listen-address=127.0.0.1:${port}`,
            "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    // If the caller dies without stop() (an uncaught error, process.exit), take Prometheus down with it.
    const killOnExit = (): void => {
        proc.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
    });
    const url = `http://127.0.0.1:${port}`;
    const stop = (): Promise<void> =>
        new Promise((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            proc.once("exit", () => resolve());
            proc.kill("SIGTERM");
        });

    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`prometheus exited with code ${proc.exitCode}: ${stderr}`);
        try {
            const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
            if (res.status === 200) return { url, process: proc, stop };
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`prometheus did not become ready within ${timeoutMs} ms: ${stderr}`);
}

/** Runs a range query directly (used to build training data with the tool's own PromQL). */
export async function queryRangeValues(
    url: string,
    query: string,
    start: number,
    end: number,
    step: number,
): Promise<{ timestamp: number; value: number }[]> {
    const params = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) });
    const res = await fetch(`${url}/api/v1/query_range?${params}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ values: Array<[number, string]> }> } };
    if (body.status !== "success") throw new Error(`query_range failed: ${body.error ?? res.status}`);
    if (body.data.result.length !== 1) throw new Error(`expected 1 series for ${query}, got ${body.data.result.length}`);
    return body.data.result[0].values.map(([t, v]) => ({ timestamp: t, value: Number(v) })).filter((p) => Number.isFinite(p.value));
}
