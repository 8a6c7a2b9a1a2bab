/**
 * Benchmark: predict_anomalies latency through an MCP client, and the MCP server's peak RSS.
 *
 * Runs the compiled server (dist/, built by `npm run bench`) as a child process against the same backfilled
 * Prometheus and real detector as the end-to-end tests, calls the tool repeatedly and prints the figures.
 * Targets: p50 under 100 ms for a 1-hour window at 10 s, peak RSS (VmHWM) under 100 MiB.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { checkPrometheusTools } from "../test/support/prometheus";
import { imageStart } from "../test/support/image";
import { startStack, Stack } from "../test/support/stack";
import { batchFigures, largestAnswerFigures } from "./hardening";

const CALLS = Number(process.env.BENCH_CALLS ?? 100);
const WARMUP = 10;
const TARGET_P50_MS = 100;
const TARGET_RSS_MIB = 100;
const TARGET_RSS_500_MIB = 80;
// The Dockerfile's node flags and ENV (read from it), so the benchmark measures what the container runs;
// BENCH_NODE_FLAGS overrides the flags.
const IMAGE = imageStart();
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(" ").filter((f) => f !== "") ?? IMAGE.nodeFlags;
/** The image's ENV but PORT (the bench listens on an ephemeral one). */
export const IMAGE_ENV: Record<string, string> = Object.fromEntries(Object.entries(IMAGE.env).filter(([k]) => k !== "PORT"));

// The child runs the real compiled app; only the clock is fixed (to the end of the backfilled data), as in the tests.
const CHILD = `
const { createApp } = require("./dist/app");
const { parseConfig } = require("./dist/config");
const app = createApp(parseConfig(process.env), { now: () => Number(process.env.BENCH_NOW_MS) });
app.listen().then((port) => process.stderr.write("LISTENING " + port + "\\n"));
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
`;

function startServer(stack: Stack): Promise<{ child: ChildProcess; port: number }> {
    const child = spawn(process.execPath, [...NODE_FLAGS, "-e", CHILD], {
        cwd: join(__dirname, ".."),
        env: {
            ...IMAGE_ENV,
            PATH: process.env.PATH,
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: stack.prometheus.url,
            INFERENCE_SERVICE_URL: stack.detectorUrl,
            BENCH_NOW_MS: String(stack.nowMs),
        },
        stdio: ["ignore", "ignore", "pipe"], // stdout carries one JSON log line per call; not needed here
    });
    return new Promise((resolve, reject) => {
        let err = "";
        child.stderr?.on("data", (d: Buffer) => {
            err += d.toString();
            const m = /LISTENING (\d+)/.exec(err);
            if (m) resolve({ child, port: Number(m[1]) });
        });
        child.once("exit", (code) => reject(new Error(`MCP server exited with ${code}: ${err}`)));
    });
}

function status(pid: number, field: string): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
}

function quantile(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function measure(
    client: Client,
    args: Record<string, unknown>,
    calls: number,
    tool = "predict_anomalies",
): Promise<{ p50: number; p99: number; mean: number; max: number }> {
    for (let i = 0; i < WARMUP; i++) await client.callTool({ name: tool, arguments: args });
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        const r = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
        times.push(performance.now() - t0);
        if (r.isError === true) throw new Error(`tool error: ${JSON.stringify(r.content)}`);
    }
    times.sort((a, b) => a - b);
    return {
        p50: quantile(times, 0.5),
        p99: quantile(times, 0.99),
        mean: times.reduce((a, b) => a + b, 0) / times.length,
        max: times[times.length - 1],
    };
}

async function main(): Promise<void> {
    const tools = await checkPrometheusTools();
    if (!tools.ok) throw new Error(`${tools.missing.join(" and ")} not found: install Debian's prometheus package to run the benchmark`);
    const stack = await startStack({ contamination: 0.01 });
    let server: { child: ChildProcess; port: number } | undefined;
    const client = new Client({ name: "bench", version: "0" });
    try {
        server = await startServer(stack);
        const pid = server.child.pid!;
        await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`)));
        const rssAtStart = status(pid, "VmRSS");

        const oneHour = await measure(client, { instance_ip: "10.0.0.11", hours: 1, metric: "cpu" }, CALLS);
        const hwmOneHour = status(pid, "VmHWM");
        const day = await measure(client, { instance_ip: "10.0.0.11", hours: 24, metric: "network" }, Math.max(10, CALLS / 5));
        const daySeries = await measure(
            client,
            { instance_ip: "10.0.0.11", time_range_hours: 24, metric: "network" },
            Math.max(10, CALLS / 5),
            "query_prometheus_and_predict",
        );
        const hwm = status(pid, "VmHWM");
        const rss = status(pid, "VmRSS");

        const ms = (x: number) => `${x.toFixed(1)} ms`;
        const line = (name: string, r: { p50: number; p99: number; mean: number; max: number }, n: number) =>
            `${name.padEnd(52)} n=${String(n).padStart(3)}  p50 ${ms(r.p50).padStart(9)}  p99 ${ms(r.p99).padStart(9)}  mean ${ms(r.mean).padStart(9)}  max ${ms(r.max).padStart(9)}`;
        console.log(
            `mcp-tool benchmark (Node ${process.version}, server flags '${NODE_FLAGS.join(" ")}', image env ${JSON.stringify(IMAGE_ENV)}, ${WARMUP} warm-up calls each; ` +
                `stack setup ${JSON.stringify(stack.timings)} ms)`,
        );
        console.log(line("predict_anomalies 1 h @10 s (361 points), cpu", oneHour, CALLS));
        console.log(line("predict_anomalies 24 h @10 s (8,641 points), network", day, Math.max(10, CALLS / 5)));
        console.log(line("query_prometheus_and_predict 24 h @10 s, network", daySeries, Math.max(10, CALLS / 5)));
        console.log(
            `MCP server RSS: ${rssAtStart.toFixed(1)} MiB after start; peak (VmHWM) ${hwmOneHour.toFixed(1)} MiB after the 1 h calls, ` +
                `${hwm.toFixed(1)} MiB after the 24 h calls; ${rss.toFixed(1)} MiB at the end`,
        );
        // Up to 500 tool calls in all (issue 15: RSS after 500 calls <= 80 MiB), then the hostile-load figures.
        const made = 3 * WARMUP + CALLS + 2 * Math.max(10, CALLS / 5);
        for (let i = made; i < 500; i++)
            await client.callTool({ name: "predict_anomalies", arguments: { instance_ip: "10.0.0.11", hours: 1 } });
        const hwm500 = status(pid, "VmHWM");
        const rss500 = status(pid, "VmRSS");
        console.log(
            `after 500 tool calls: RSS ${rss500.toFixed(1)} MiB, peak (VmHWM) ${hwm500.toFixed(1)} MiB (target <= ${TARGET_RSS_500_MIB} MiB: ${hwm500 <= TARGET_RSS_500_MIB ? "met" : "MISSED"})`,
        );
        for (const l of await batchFigures(pid, server.port, "10.0.0.11")) console.log(l);
        for (const l of await largestAnswerFigures(NODE_FLAGS, IMAGE_ENV, stack.detectorUrl)) console.log(l);
        console.log(
            `targets: p50 (1 h) < ${TARGET_P50_MS} ms: ${oneHour.p50 < TARGET_P50_MS ? "met" : "MISSED"}; ` +
                `peak RSS (1 h calls) < ${TARGET_RSS_MIB} MiB: ${hwmOneHour < TARGET_RSS_MIB ? "met" : "MISSED"}; ` +
                `peak RSS (all calls) < ${TARGET_RSS_MIB} MiB: ${hwm < TARGET_RSS_MIB ? "met" : "MISSED"}`,
        );
    } finally {
        await client.close().catch(() => undefined);
        if (server !== undefined && server.child.exitCode === null) {
            const exited = new Promise((r) => server!.child.once("exit", r));
            server.child.kill("SIGTERM");
            await exited;
        }
        await stack.close();
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
