/**
 * End-to-end benchmark of the detector (npm run bench -w workloads/detector):
 *  1. fit time of the default model (default features, 100 trees) on a week of 10-s samples (60,480 points);
 *  2. in-process scoring time of a 360-point window (sklearn's predict on 360 rows x 100 trees: ~27 ms);
 *  3. the built server (node dist/cli.js serve) in a child process on 127.0.0.1, scoring a 360-point window
 *     over HTTP: p50/p95/p99 latency and requests/s over sequential requests after a warm-up, and the
 *     server's peak RSS (VmHWM from /proc/<pid>/status).
 * Targets: HTTP p99 < 10 ms, server peak RSS < 100 MiB. Figures are printed, never asserted.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { featureRows, scoreRows, trainModel } from "../src/model";
import type { Point } from "../src/series";
import { Random } from "../src/random";
import { freePort } from "../test/server-helpers";
import { DETECTOR_NODE_FLAGS, hardeningBench } from "./hardening";

const WEEK_POINTS = 7 * 24 * 360;
const WINDOW = 360;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const DEADLINE_MS = 120_000;
const CLI = resolve(__dirname, "../dist/cli.js");

/** Node-CPU-like 10-s series: daily and hourly waves, noise, and a few busy spikes. Seeded. */
function nodeCpu(n: number, start: number, seed: number): Point[] {
    const random = new Random(seed);
    const rand = () => random.next();
    const points: Point[] = new Array(n);
    for (let i = 0; i < n; i++) {
        const t = start + i * 10;
        const day = 15 * Math.sin((2 * Math.PI * (t % 86400)) / 86400);
        const hour = 3 * Math.sin((2 * Math.PI * (t % 3600)) / 3600);
        const spike = rand() < 0.001 ? 40 * rand() : 0;
        points[i] = { timestamp: t, value: Math.min(100, Math.max(0, 35 + day + hour + 4 * (rand() - 0.5) + spike)) };
    }
    return points;
}

function percentile(sorted: number[], q: number): number {
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
    return sorted[idx];
}

function procStatus(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
    try {
        const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) / 1024 : undefined;
    } catch {
        return undefined;
    }
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks at 100 Hz). */
function cpuSeconds(pid: number): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // After the command name: field 3 is state, so utime (14) and stime (15) are at 11 and 12.
        return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
        return undefined;
    }
}

function body(points: Point[]): string {
    return JSON.stringify({
        inputs: [
            { name: "timestamp", shape: [points.length], datatype: "FP64", data: points.map((p) => p.timestamp) },
            { name: "value", shape: [points.length], datatype: "FP64", data: points.map((p) => p.value) },
        ],
    });
}

async function main(): Promise<void> {
    const started = Date.now();
    const start = 1_700_000_000;
    const week = nodeCpu(WEEK_POINTS, start, 1);

    const fitStart = performance.now();
    const model = trainModel(week, { name: "node-cpu", featureSet: "default", trees: 100 });
    const fitMs = performance.now() - fitStart;
    const modelJson = JSON.stringify(model);

    // In-process scoring of one 360-point window (features + forest), median of 50 runs after 10 warm-ups.
    const probe = nodeCpu(WINDOW, start + WEEK_POINTS * 10, 2);
    const inproc: number[] = [];
    for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        scoreRows(model, featureRows(model, probe));
        if (i >= 10) inproc.push(performance.now() - t0);
    }
    inproc.sort((x, y) => x - y);

    const dir = mkdtempSync(join(tmpdir(), "detector-bench-"));
    let child: ChildProcess | undefined;
    try {
        writeFileSync(join(dir, "node-cpu.json"), modelJson);
        const port = await freePort();
        child = spawn(
            process.execPath,
            [...DETECTOR_NODE_FLAGS, CLI, "serve", "--model-dir", dir, "--port", String(port), "--host", "127.0.0.1"],
            {
                env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
                stdio: ["ignore", "pipe", "inherit"],
            },
        );
        // The server logs one JSON line per request with its own elapsed time ("ms"): collect the infer ones.
        const serverMs: number[] = [];
        let pending = "";
        child.stdout?.on("data", (chunk: Buffer) => {
            const lines = (pending + chunk.toString()).split("\n");
            pending = lines.pop() ?? "";
            for (const line of lines) {
                if (!line.includes('"/v2/models/node-cpu/infer"')) continue;
                const ms = (JSON.parse(line) as { ms?: number }).ms;
                if (typeof ms === "number") serverMs.push(ms);
            }
        });
        const pid = child.pid as number;
        const base = `http://127.0.0.1:${port}`;
        let ready = false;
        for (let i = 0; i < 150 && !ready; i++) {
            ready = await fetch(`${base}/v2/health/ready`).then(
                (r) => r.ok,
                () => false,
            );
            if (!ready) await new Promise((r) => setTimeout(r, 100));
        }
        if (!ready) throw new Error(`server at ${base} did not become ready`);
        const idleRss = procStatus(pid, "VmRSS");

        // Distinct sliding windows from a second week, pre-serialised so the client's JSON work is not timed.
        const stream = nodeCpu(WINDOW + WARMUP + REQUESTS, start + WEEK_POINTS * 10, 3);
        const bodies = Array.from({ length: WARMUP + REQUESTS }, (_, i) => body(stream.slice(i, i + WINDOW)));
        const url = `${base}/v2/models/node-cpu/infer`;
        const latencies: number[] = [];
        let flagged = 0;
        let cpuAtStart: number | undefined;
        let loopStart = performance.now();
        for (let i = 0; i < bodies.length; i++) {
            if (Date.now() - started > DEADLINE_MS) throw new Error(`benchmark exceeded ${DEADLINE_MS / 1000} s`);
            if (i === WARMUP) cpuAtStart = cpuSeconds(pid);
            const t0 = performance.now();
            if (i === WARMUP) loopStart = t0;
            const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[i] });
            const json = (await res.json()) as { outputs?: Array<{ name: string; data: number[] }>; error?: string };
            const t1 = performance.now();
            if (res.status !== 200) throw new Error(`infer answered ${res.status}: ${json.error}`);
            if (i >= WARMUP) {
                latencies.push(t1 - t0);
                flagged += json.outputs?.find((o) => o.name === "label")?.data.filter((l) => l === -1).length ?? 0;
            }
        }
        const measuredMs = performance.now() - loopStart;
        const cpuAtEnd = cpuSeconds(pid);
        const cpuPerRequest = cpuAtStart !== undefined && cpuAtEnd !== undefined ? ((cpuAtEnd - cpuAtStart) * 1000) / REQUESTS : undefined;
        const metrics = await (await fetch(`${base}/metrics`)).text();
        const peakRss = procStatus(pid, "VmHWM");
        const serverSide = /detector_inference_duration_seconds_sum\{model="node-cpu"\} ([0-9.e-]+)/.exec(metrics);
        const serverCount = /detector_inference_duration_seconds_count\{model="node-cpu"\} (\d+)/.exec(metrics);
        const psi = [...metrics.matchAll(/detector_feature_drift_psi\{model="node-cpu",feature="([^"]+)"\} ([0-9.e+-]+)/g)]
            .map((m) => `${m[1]}=${Number(m[2]).toFixed(3)}`)
            .join(" ");

        latencies.sort((x, y) => x - y);
        await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive
        const server = serverMs.slice(-REQUESTS).sort((x, y) => x - y);
        const p99 = percentile(latencies, 99);
        const fmt = (x: number) => x.toFixed(2);
        const lines = [
            `detector benchmark (node ${process.version}, ${process.arch})`,
            `fit: ${WEEK_POINTS} points (a week of 10-s samples), default features, 100 trees: ${fmt(fitMs)} ms; model file ${(modelJson.length / 1024).toFixed(0)} KiB`,
            `in-process score of ${WINDOW} points (features + 100 trees): median ${fmt(percentile(inproc, 50))} ms (sklearn predict reference: ~27 ms)`,
            `HTTP infer, ${WINDOW}-point window, ${REQUESTS} sequential requests after ${WARMUP} warm-up, 1 connection:`,
            `  p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(p99)} ms, max ${fmt(latencies[latencies.length - 1])} ms`,
            server.length === REQUESTS
                ? `  server-side (elapsed, from the request log): p50 ${fmt(percentile(server, 50))} ms, p95 ${fmt(percentile(server, 95))} ms, p99 ${fmt(percentile(server, 99))} ms`
                : `  server-side: only ${server.length} request log lines seen (LOG_LEVEL above info?)`,
            `  server CPU per request (user + system, contention-independent): ${cpuPerRequest?.toFixed(2) ?? "?"} ms`,
            `  ${(latencies.length / (measuredMs / 1000)).toFixed(0)} requests/s; server-side inference mean ${
                serverSide && serverCount ? fmt((Number(serverSide[1]) / Number(serverCount[1])) * 1000) : "?"
            } ms; ${flagged} points flagged`,
            `load average at the end: ${loadavg()
                .map((x) => x.toFixed(2))
                .join(" ")} on ${cpus().length} CPUs`,
            `server RSS: idle ${idleRss?.toFixed(1) ?? "?"} MiB, peak (VmHWM) ${peakRss?.toFixed(1) ?? "?"} MiB`,
            `drift PSI after the run: ${psi}`,
            `targets: HTTP p99 < 10 ms: ${p99 < 10 ? "met" : "MISSED"}; server peak RSS < 100 MiB: ${
                peakRss !== undefined && peakRss < 100 ? "met" : "MISSED"
            }`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
        await stopChild(child);
        child = undefined;
        process.stdout.write(`${(await hardeningBench(dir, start + WEEK_POINTS * 10)).join("\n")}\n`);
    } finally {
        if (child !== undefined && child.exitCode === null) {
            const exited = new Promise((r) => child?.once("close", r));
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
            if (child.exitCode === null) child.kill("SIGKILL");
        }
        rmSync(dir, { recursive: true, force: true });
    }
}

async function stopChild(c: ChildProcess): Promise<void> {
    if (c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("close", r));
    c.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null) c.kill("SIGKILL");
}

main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
});
