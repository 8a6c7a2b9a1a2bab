/**
 * Hardening and speed figures (issues 14 and 15), run by `npm run bench` after the main benchmark:
 *  A. infer of a 360-point window over HTTP against a bare Node server that parses the same JSON and answers a
 *     same-shaped JSON response without a model, requests alternating between the two (one connection each),
 *     p50/p99 and their ratios (targets: p50 <= 2x, p99 <= 1.5x), and both peak RSS (target: detector within
 *     12 MiB of the bare server);
 *  B. on the same detector: /v2/health/live latency while a maximum-size request (MAX_POINTS_PER_REQUEST) is
 *     scored (target < 100 ms), and peak RSS with three maximum requests at once (target under the smallest
 *     container limit, 256 MiB).
 * Both servers run with the Dockerfile's node flags (DETECTOR_NODE_FLAGS). Figures are printed, not asserted.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request, Agent } from "node:http";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { MAX_POINTS_PER_REQUEST } from "../src/oip";
import { freePort } from "../test/server-helpers";
import { imageStart } from "../test/support/image";

/** The Dockerfile's node flags; BENCH_NODE_FLAGS overrides them to try others. */
export const DETECTOR_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? imageStart(resolve(__dirname, "../Dockerfile")).nodeFlags.join(" "))
    .split(" ")
    .filter((f) => f !== "");
const LEAN_LIMIT_MIB = 256;
const CLI = resolve(__dirname, "../dist/cli.js");

/** The bare server: parses the request JSON and answers score/label tensors of the same length, no model. */
const BARE = `
const http = require("node:http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { res.writeHead(400).end(); return; }
    const n = body.inputs[0].data.length;
    const scores = new Array(n), labels = new Array(n);
    for (let i = 0; i < n; i++) { scores[i] = -0.4123456789012345 - i * 1e-9; labels[i] = 1; }
    const out = JSON.stringify({ model_name: "node-cpu", model_version: "000000000000", id: body.id ?? "x", outputs: [
      { name: "score", shape: [n], datatype: "FP64", data: scores },
      { name: "label", shape: [n], datatype: "INT64", data: labels } ] });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(out) }).end(out);
  });
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("LISTENING\\n"));
`;

function vm(pid: number, field: "VmHWM" | "VmRSS"): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
}

function pct(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))];
}

async function waitFor(url: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
        const ok = await fetch(url).then(
            (r) => r.status < 500,
            () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${url} did not answer`);
}

/** POST over a keep-alive agent with node:http (lighter than fetch, so the client adds little noise). */
function post(agent: Agent, port: number, path: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolveP, reject) => {
        const req = request(
            {
                host: "127.0.0.1",
                port,
                path,
                method: "POST",
                agent,
                headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolveP({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

function inferBody(n: number, start: number, offset: number): string {
    const ts = new Array<number>(n);
    const vs = new Array<number>(n);
    for (let i = 0; i < n; i++) {
        const t = start + (offset + i) * 10;
        ts[i] = t;
        vs[i] = 35 + 15 * Math.sin((2 * Math.PI * (t % 86400)) / 86400) + ((((offset + i) * 7919) % 97) / 97 - 0.5) * 4;
    }
    return JSON.stringify({
        inputs: [
            { name: "timestamp", shape: [n], datatype: "FP64", data: ts },
            { name: "value", shape: [n], datatype: "FP64", data: vs },
        ],
    });
}

function stop(child: ChildProcess | undefined): Promise<void> {
    if (child === undefined || child.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => child.once("close", () => r()));
    child.kill("SIGTERM");
    return Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000))]).then(() => {
        if (child.exitCode === null) child.kill("SIGKILL");
    });
}

export async function hardeningBench(modelDir: string, start: number, requests = 300, warmup = 50): Promise<string[]> {
    const detPort = await freePort();
    const barePort = await freePort();
    const det = spawn(
        process.execPath,
        [...DETECTOR_NODE_FLAGS, CLI, "serve", "--model-dir", modelDir, "--port", String(detPort), "--host", "127.0.0.1"],
        {
            // The image's log level: one JSON line per request, as in production.
            env: { ...process.env, LOG_LEVEL: "info" },
            stdio: ["ignore", "ignore", "inherit"],
        },
    );
    const bare = spawn(process.execPath, [...DETECTOR_NODE_FLAGS, "-e", BARE], {
        env: { ...process.env, PORT: String(barePort) },
        stdio: ["ignore", "ignore", "inherit"],
    });
    const lines: string[] = [];
    const fmt = (x: number) => x.toFixed(2);
    try {
        await waitFor(`http://127.0.0.1:${detPort}/v2/health/ready`);
        await waitFor(`http://127.0.0.1:${barePort}/`).catch(() => undefined);
        const agentD = new Agent({ keepAlive: true, maxSockets: 1 });
        const agentB = new Agent({ keepAlive: true, maxSockets: 1 });
        const path = "/v2/models/node-cpu/infer";
        const bodies = Array.from({ length: warmup + requests }, (_, i) => inferBody(360, start, i));
        const tD: number[] = [];
        const tB: number[] = [];
        for (let i = 0; i < bodies.length; i++) {
            // Alternate which goes first, so neither always runs on a warmer CPU.
            const order = i % 2 === 0 ? (["d", "b"] as const) : (["b", "d"] as const);
            for (const which of order) {
                const t0 = performance.now();
                const r = which === "d" ? await post(agentD, detPort, path, bodies[i]) : await post(agentB, barePort, path, bodies[i]);
                const dt = performance.now() - t0;
                if (r.status !== 200)
                    throw new Error(`${which === "d" ? "detector" : "bare server"} answered ${r.status}: ${r.text.slice(0, 200)}`);
                if (i >= warmup) (which === "d" ? tD : tB).push(dt);
            }
        }
        tD.sort((a, b) => a - b);
        tB.sort((a, b) => a - b);
        const hwmD = vm(det.pid as number, "VmHWM");
        const hwmB = vm(bare.pid as number, "VmHWM");
        const r50 = pct(tD, 50) / pct(tB, 50);
        const r99 = pct(tD, 99) / pct(tB, 99);
        lines.push(
            `infer of 360 points vs a bare Node server (same JSON in and out, no model), ${requests} alternating pairs after ${warmup} warm-up, node flags '${DETECTOR_NODE_FLAGS.join(" ")}':`,
            `  detector p50 ${fmt(pct(tD, 50))} ms, p99 ${fmt(pct(tD, 99))} ms; bare p50 ${fmt(pct(tB, 50))} ms, p99 ${fmt(pct(tB, 99))} ms`,
            `  ratios: p50 ${fmt(r50)}x (target <= 2x: ${r50 <= 2 ? "met" : "MISSED"}), p99 ${fmt(r99)}x (target <= 1.5x: ${r99 <= 1.5 ? "met" : "MISSED"})`,
            `  peak RSS: detector ${fmt(hwmD)} MiB, bare ${fmt(hwmB)} MiB, difference ${fmt(hwmD - hwmB)} MiB (target <= 12 MiB: ${hwmD - hwmB <= 12 ? "met" : "MISSED"})`,
        );
        agentB.destroy();

        // B. liveness while one maximum request is scored, then three at once.
        const big = inferBody(MAX_POINTS_PER_REQUEST, start, 0);
        const probeWhile = async (work: Promise<unknown>): Promise<number[]> => {
            let done = false;
            void work.finally(() => (done = true));
            const agentL = new Agent({ keepAlive: true, maxSockets: 1 });
            const lat: number[] = [];
            while (!done) {
                const t0 = performance.now();
                await new Promise<void>((r, j) =>
                    request({ host: "127.0.0.1", port: detPort, path: "/v2/health/live", agent: agentL }, (res) =>
                        res.resume().on("end", () => r()),
                    )
                        .on("error", j)
                        .end(),
                );
                lat.push(performance.now() - t0);
                await new Promise((r) => setTimeout(r, 10));
            }
            await work;
            agentL.destroy();
            return lat.sort((a, b) => a - b);
        };
        const agents = [0, 1, 2].map(() => new Agent({ keepAlive: false }));
        const t1 = performance.now();
        const one = await probeWhile(post(agents[0], detPort, path, big));
        const oneMs = performance.now() - t1;
        const t3 = performance.now();
        const three = await probeWhile(Promise.all(agents.map((a) => post(a, detPort, path, big))));
        const threeMs = performance.now() - t3;
        const hwmBig = vm(det.pid as number, "VmHWM");
        lines.push(
            `maximum request (${MAX_POINTS_PER_REQUEST} points, ${(big.length / 1e6).toFixed(1)} MB): answered in ${fmt(oneMs)} ms; /v2/health/live meanwhile: ${one.length} probes, p50 ${fmt(pct(one, 50))} ms, max ${fmt(one[one.length - 1])} ms (target < 100 ms: ${one[one.length - 1] < 100 ? "met" : "MISSED"})`,
            `three maximum requests at once: answered in ${fmt(threeMs)} ms; live max ${fmt(three[three.length - 1])} ms; detector peak RSS ${fmt(hwmBig)} MiB (target < ${LEAN_LIMIT_MIB} MiB: ${hwmBig < LEAN_LIMIT_MIB ? "met" : "MISSED"})`,
        );
        agentD.destroy();
    } finally {
        await Promise.all([stop(det), stop(bare)]);
    }
    return lines;
}
