/** Shared by the server, adversarial, CLI, registry and metrics specs: deterministic data and a small trained model. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { Writable } from "node:stream";
import { join } from "node:path";
import { ModelFile, trainModel } from "../src/model";
import { Random } from "../src/random";
import { buildServer, DetectorServer, ServerOptions } from "../src/server";
import type { Point } from "../src/series";

/** A seeded uniform [0, 1) source (the forest's own PRNG), so every run sees the same series. */
export function prng(seed: number): () => number {
    const random = new Random(seed);
    return () => random.next();
}

/** Node-CPU-like series: 10-s samples around `level` % with a daily wave and noise. */
export function cpuSeries(n: number, opts: { seed?: number; start?: number; level?: number; noise?: number } = {}): Point[] {
    const rand = prng(opts.seed ?? 1);
    const start = opts.start ?? 1_700_000_000;
    const level = opts.level ?? 30;
    const noise = opts.noise ?? 2;
    return Array.from({ length: n }, (_, i) => {
        const t = start + i * 10;
        const wave = 5 * Math.sin((2 * Math.PI * (t % 86400)) / 86400);
        return { timestamp: t, value: level + wave + noise * (rand() + rand() + rand() - 1.5) };
    });
}

/** A small, fast model (20 trees) trained on cpuSeries(1500). */
export function smallModel(name = "cpu", opts: { seed?: number } = {}): ModelFile {
    return trainModel(cpuSeries(1500, { seed: opts.seed ?? 1 }), { name, trees: 20, seed: 7 });
}

export function tempDir(prefix = "detector-test-"): string {
    return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
}

export function writeModel(dir: string, file: string, model: ModelFile | string): string {
    const path = join(dir, file);
    writeFileSync(path, typeof model === "string" ? model : JSON.stringify(model));
    return path;
}

/** OIP infer request body for a series. */
export function inferBody(points: readonly Point[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        ...extra,
        inputs: [
            { name: "timestamp", shape: [points.length], datatype: "FP64", data: points.map((p) => p.timestamp) },
            { name: "value", shape: [points.length], datatype: "FP64", data: points.map((p) => p.value) },
        ],
    };
}

/** A free loopback port (bound and released; the tiny race is acceptable for tests and the bench). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            const port = typeof addr === "object" && addr !== null ? addr.port : 0;
            srv.close(() => resolve(port));
        });
    });
}

/** A listening server on 127.0.0.1 with a random port, and the JSON log lines it wrote. */
export interface Running {
    server: DetectorServer;
    base: string;
    logs: Array<Record<string, unknown>>;
}

export async function startServer(opts: Omit<ServerOptions, "logger">): Promise<Running> {
    const logs: Array<Record<string, unknown>> = [];
    const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString().split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
            done();
        },
    });
    // Node's default metrics off unless a test asks for them.
    const server = buildServer({ defaultMetrics: false, ...opts, logger: { level: "info", stream } });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    const address = server.app.server.address();
    if (address === null || typeof address === "string") throw new Error("server has no TCP address");
    return { server, base: `http://127.0.0.1:${address.port}`, logs };
}

export async function call(
    base: string,
    path: string,
    init: RequestInit = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
    const res = await fetch(base + path, init);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
        json = JSON.parse(text) as Record<string, unknown>;
    } catch {
        // /metrics is text; callers use `text`.
    }
    return { status: res.status, json, text };
}
