/**
 * Memory figures of the MCP tool under hostile load (issue 14), run by `npm run bench` after the latency
 * benchmark, on the compiled server with the Dockerfile's node flags:
 *  - peak RSS through a 100-call batch of six-hour query_prometheus_and_predict calls (refused whole: the batch
 *    limit) and through the same 100 calls as batches of the largest accepted size, two at once;
 *  - peak RSS through the largest Prometheus answer it accepts (just under the byte, series and point caps),
 *    eight calls at once, twice, from a fake Prometheus on loopback.
 * Target: under the heap limit, no crash. Figures are printed, not asserted.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { join } from "node:path";
import { MAX_BATCH_MESSAGES } from "../src/limits";
import { PROMETHEUS_MAX_RESPONSE_BYTES } from "../src/prometheus";
import { MCP_HEADERS, rawRequest } from "../test/support/http";

export function vm(pid: number, field: "VmHWM" | "VmRSS"): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
}

function call(id: number, name: string, args: Record<string, unknown>): Record<string, unknown> {
    return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

async function post(port: number, body: unknown): Promise<{ status: number; body: string }> {
    return rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: `localhost:${port}` }, JSON.stringify(body));
}

/** Batch figures on an already running server (the latency benchmark's child). */
export async function batchFigures(pid: number, port: number, instance: string): Promise<string[]> {
    const batch = (n: number) =>
        Array.from({ length: n }, (_, i) => call(i, "query_prometheus_and_predict", { instance_ip: instance, time_range_hours: 6 }));
    const refused = await post(port, batch(100));
    const before = vm(pid, "VmHWM");
    const statuses: string[] = [];
    // 100 calls in batches of the largest accepted size, two batches at a time.
    for (let left = 100 / MAX_BATCH_MESSAGES; left > 0; left -= 2) {
        const rs = await Promise.all(Array.from({ length: Math.min(2, left) }, () => post(port, batch(MAX_BATCH_MESSAGES))));
        for (const r of rs) statuses.push(r.status === 200 ? "200" : `${r.status} ${r.body.slice(0, 120)}`);
    }
    const ok = statuses.filter((x) => x === "200").length;
    const after = vm(pid, "VmHWM");
    return [
        `100-call batch (6 h query_prometheus_and_predict): HTTP ${refused.status} (batch limit ${MAX_BATCH_MESSAGES}); the same 100 calls as ${100 / MAX_BATCH_MESSAGES} batches of ${MAX_BATCH_MESSAGES}, two at once: ${ok} of ${statuses.length} HTTP 200${ok < statuses.length ? ` (others: ${statuses.filter((x) => x !== "200").join("; ")})` : ""}; peak RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB; alive: ${(await rawRequest(port, "GET", "/healthz")).status === 200}`,
    ];
}

/** The largest accepted Prometheus answer, on a separate server child pointed at a fake Prometheus. */
export async function largestAnswerFigures(nodeFlags: string[], imageEnv: Record<string, string>, detectorUrl: string): Promise<string[]> {
    const prom: Server = createServer((req, res) => {
        let text = "";
        req.on("data", (d: Buffer) => (text += d.toString()));
        req.on("end", () => {
            const p = new URLSearchParams(text);
            const start = Number(p.get("start"));
            const end = Number(p.get("end"));
            const step = Number(p.get("step"));
            const result = [];
            for (let s = 0; s < 23; s++) {
                const values: Array<[number, string]> = [];
                for (let t = start; t <= end; t += step) values.push([t, String(30 + 10 * Math.sin(t / 3600) + (t % 7) / 3)]);
                result.push({ metric: { instance: `10.0.0.${s + 1}:9100` }, values });
            }
            const out = JSON.stringify({ status: "success", data: { resultType: "matrix", result } });
            res.writeHead(200, { "content-type": "application/json" }).end(out);
        });
    });
    await new Promise<void>((r) => prom.listen(0, "127.0.0.1", r));
    const addr = prom.address();
    const promUrl = `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}/`;
    const child: ChildProcess = spawn(
        process.execPath,
        [
            ...nodeFlags,
            "-e",
            `const { createApp } = require("./dist/app"); const { parseConfig } = require("./dist/config");
const app = createApp(parseConfig(process.env), { now: () => ${Date.UTC(2026, 0, 15, 12)}, logger: { log() {} } });
app.listen().then((port) => process.stderr.write("LISTENING " + port + "\\n"));`,
        ],
        {
            cwd: join(__dirname, ".."),
            env: {
                ...imageEnv,
                PATH: process.env.PATH,
                PORT: "0",
                HOST: "127.0.0.1",
                PROMETHEUS_URL: promUrl,
                INFERENCE_SERVICE_URL: detectorUrl,
            },
            stdio: ["ignore", "ignore", "pipe"],
        },
    );
    try {
        const port = await new Promise<number>((resolve, reject) => {
            let err = "";
            child.stderr?.on("data", (d: Buffer) => {
                err += d.toString();
                const m = /LISTENING (\d+)/.exec(err);
                if (m) resolve(Number(m[1]));
            });
            child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${err}`)));
        });
        const pid = child.pid as number;
        const start = vm(pid, "VmRSS");
        const batch = Array.from({ length: 8 }, (_, i) => call(i, "predict_anomalies", { instance_ip: "10.0.0.1", hours: 6 }));
        for (let i = 0; i < 2; i++) await Promise.all([post(port, batch), post(port, batch)]);
        const hwm = vm(pid, "VmHWM");
        const alive = child.exitCode === null && (await rawRequest(port, "GET", "/healthz")).status === 200;
        return [
            `largest accepted Prometheus answer (23 series x 2,161 points, ~1.7 MB of the ${PROMETHEUS_MAX_RESPONSE_BYTES / 1048576} MiB cap), 8 calls at once x 2: RSS ${start.toFixed(1)} MiB at start, peak ${hwm.toFixed(1)} MiB; alive: ${alive}`,
        ];
    } finally {
        child.kill("SIGKILL");
        prom.closeAllConnections();
        prom.close();
    }
}
