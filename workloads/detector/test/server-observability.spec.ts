/**
 * What the detector server tells operators, request by request: the level of each request's log line, the
 * metric series a request moves (and their model label), the versioned readiness route, and which server
 * paths never reach a client (redactPaths). Every figure is read after the request it follows, in the test
 * itself (per-test mutation coverage cannot credit work done in before hooks).
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { ScoringPool } from "../src/scoring";
import { buildServer, DetectorServer, redactPaths } from "../src/server";
import { cpuSeries, inferBody, removeDir, smallModel, tempDir, writeModel } from "./server-helpers";

interface Line {
    level: number;
    msg?: string;
    url?: string;
    statusCode?: number;
    ms?: number;
    reqId?: string;
}

async function serve(dir: string): Promise<{ server: DetectorServer; base: string; lines: Line[] }> {
    const lines: Line[] = [];
    const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
            for (const l of chunk.toString().split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l) as Line);
            done();
        },
    });
    const server = buildServer({ modelDir: dir, logger: { level: "debug", stream }, defaultMetrics: false });
    const base = await server.app.listen({ port: 0, host: "127.0.0.1" });
    return { server, base, lines };
}

/** The value of the one sample line `name{labels}`, or undefined. */
function sample(text: string, series: string): number | undefined {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("detector server: request log levels, metrics and readiness per request", () => {
    let dir: string;
    let run: Awaited<ReturnType<typeof serve>>;

    beforeEach(async () => {
        dir = tempDir();
        writeModel(dir, "cpu.json", smallModel("cpu"));
        writeModel(dir, "broken.json", "{not json");
    });
    afterEach(async () => {
        await run?.server.app.close();
        removeDir(dir);
    });

    /** The "request completed" line of the request to `url` made just now. */
    async function completed(url: string, init: RequestInit = {}): Promise<{ status: number; line: Line; body: string }> {
        const id = `req-${Math.random().toString(36).slice(2)}`;
        const res = await fetch(run.base + url, { ...init, headers: { ...(init.headers as Record<string, string>), "x-request-id": id } });
        const body = await res.text();
        for (let i = 0; i < 50 && !run.lines.some((l) => l.reqId === id && l.msg === "request completed"); i++) {
            await new Promise((r) => setTimeout(r, 5));
        }
        const line = run.lines.find((l) => l.reqId === id && l.msg === "request completed");
        expect(line, `a request log line for ${url}`).to.not.equal(undefined);
        return { status: res.status, line: line as Line, body };
    }

    it("logs probes, scrapes and readiness at debug, client errors and successes at info, 503 at warn, 500 at error", async () => {
        run = await serve(dir);
        const json = { "content-type": "application/json" };
        const cases: Array<[string, RequestInit, number, number]> = [
            ["/v2/health/live", {}, 200, 20],
            ["/v2/health/ready", {}, 503, 20], // not ready: broken.json failed; still a probe, still debug
            ["/metrics", {}, 200, 20],
            ["/v2/models/cpu/ready", {}, 200, 20],
            ["/v2/models/broken/ready", {}, 503, 20],
            ["/v2/models/cpu", {}, 200, 30],
            ["/v2/models/nope", {}, 404, 30],
            ["/v2/models/cpu/infer", { method: "POST", headers: json, body: JSON.stringify(inferBody(cpuSeries(20))) }, 200, 30],
            ["/v2/models/cpu/infer", { method: "POST", headers: json, body: "{" }, 400, 30],
            ["/v2/models/broken/infer", { method: "POST", headers: json, body: JSON.stringify(inferBody(cpuSeries(5))) }, 503, 40],
            ["/nowhere", {}, 404, 30],
        ];
        for (const [url, init, status, level] of cases) {
            const r = await completed(url, init);
            expect(r.status, `${url}: ${r.body}`).to.equal(status);
            expect(r.line.level, url).to.equal(level);
            expect(r.line).to.include({ url, statusCode: status });
            expect(r.line.ms).to.be.a("number").and.to.be.at.least(0);
        }
    });

    it("logs an unexpected failure at error with its stack, and answers 500 without server paths", async () => {
        run = await serve(dir);
        // Scoring that throws an error naming a server path (a bug, not a bad request).
        const failing = ScoringPool.prototype;
        const original = failing.score;
        failing.score = () => Promise.reject(new Error(`boom reading ${dir}/cpu.json`));
        try {
            const r = await completed("/v2/models/cpu/infer", {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(inferBody(cpuSeries(5))),
            });
            expect(r.status).to.equal(500);
            expect(JSON.parse(r.body)).to.deep.equal({ error: "internal error: boom reading cpu.json" });
            expect(r.line.level).to.equal(50);
            const failed = run.lines.find((l) => l.msg === "request failed") as
                (Line & { err?: { message: string; stack: string } }) | undefined;
            expect(failed?.level).to.equal(50);
            expect(failed?.err?.message).to.include("boom reading");
        } finally {
            failing.score = original;
        }
    });

    it("counts points, anomalies and inference time per model, and labels requests by model, '' or 'unknown'", async () => {
        run = await serve(dir);
        const json = { "content-type": "application/json" };
        const spike = cpuSeries(400).map((p, i) => (i >= 380 ? { ...p, value: p.value + 400 } : p));
        const flags = async (points: ReturnType<typeof cpuSeries>) => {
            const res = await fetch(`${run.base}/v2/models/cpu/infer`, {
                method: "POST",
                headers: json,
                body: JSON.stringify(inferBody(points)),
            });
            const out = (await res.json()) as { outputs: Array<{ name: string; data: number[] }> };
            return out.outputs.find((o) => o.name === "label")!.data.filter((l) => l === -1).length;
        };
        const flagged = (await flags(spike)) + (await flags(cpuSeries(3)));
        expect(flagged).to.be.greaterThan(0);
        await fetch(`${run.base}/v2/models/ghost`);
        await fetch(`${run.base}/v2/health/live`);
        const text = await fetch(`${run.base}/metrics`).then((r) => r.text());
        expect(sample(text, 'detector_points_scored_total{model="cpu"}')).to.equal(403);
        expect(sample(text, 'detector_anomalies_total{model="cpu"}')).to.equal(flagged);
        expect(sample(text, 'detector_inference_duration_seconds_count{model="cpu"}')).to.equal(2);
        const seconds = sample(text, 'detector_inference_duration_seconds_sum{model="cpu"}')!;
        expect(seconds).to.be.greaterThan(0).and.below(5);
        expect(sample(text, 'detector_http_requests_total{model="unknown",route="/v2/models/:name",status="404"}')).to.equal(1);
        expect(sample(text, 'detector_http_requests_total{model="",route="/v2/health/live",status="200"}')).to.equal(1);
        expect(sample(text, 'detector_http_request_duration_seconds_count{model="cpu",route="/v2/models/:name/infer"}')).to.equal(2);
        const latency = sample(text, 'detector_http_request_duration_seconds_sum{model="cpu",route="/v2/models/:name/infer"}')!;
        expect(latency).to.be.at.least(seconds).and.below(10);
        // A request that matched no route.
        await fetch(`${run.base}/nowhere`);
        const after = await fetch(`${run.base}/metrics`).then((r) => r.text());
        expect(sample(after, 'detector_http_requests_total{model="",route="unmatched",status="404"}')).to.equal(1);
        // A model that failed to load is labelled by its name (a file in the directory), not 'unknown'.
        await fetch(`${run.base}/v2/models/broken`);
        const later = await fetch(`${run.base}/metrics`).then((r) => r.text());
        expect(sample(later, 'detector_http_requests_total{model="broken",route="/v2/models/:name",status="503"}')).to.equal(1);
    });

    it("answers the versioned readiness route by name and version", async () => {
        run = await serve(dir);
        const meta = (await fetch(`${run.base}/v2/models/cpu`).then((r) => r.json())) as { versions: string[] };
        const v = meta.versions[0];
        const get = async (url: string) => {
            const res = await fetch(run.base + url);
            return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        };
        expect(await get(`/v2/models/cpu/versions/${v}/ready`)).to.deep.equal({ status: 200, json: { name: "cpu", ready: true } });
        expect(await get("/v2/models/cpu/ready")).to.deep.equal({ status: 200, json: { name: "cpu", ready: true } });
        const wrong = await get("/v2/models/cpu/versions/000/ready");
        expect(wrong.status).to.equal(404);
        expect(wrong.json.error).to.equal(`model 'cpu' has no version '000'; available versions: ${v}`);
        expect(await get("/v2/models/broken/ready")).to.deep.equal({ status: 503, json: { name: "broken", ready: false } });
        const unknown = await get("/v2/models/ghost/ready");
        expect(unknown.status).to.equal(404);
        expect(unknown.json.error).to.equal("unknown model 'ghost'; this server serves: cpu");
        expect(await get("/v2/health/live")).to.deep.equal({ status: 200, json: { live: true } });
    });
});

describe("detector server: what reloads log and what readiness says", () => {
    let dir: string;
    let run: Awaited<ReturnType<typeof serve>> | undefined;
    beforeEach(() => (dir = tempDir()));
    afterEach(async () => {
        await run?.server.app.close();
        run = undefined;
        removeDir(dir);
    });

    it("logs each model loaded with its version, file and feature set, and each failure with the server path", async () => {
        const model = smallModel("cpu");
        writeModel(dir, "cpu.json", model);
        writeModel(dir, "bad.json", "{oops");
        run = await serve(dir);
        const loaded = run.lines.find((l) => l.msg === "model 'cpu' loaded") as Record<string, unknown> | undefined;
        expect(loaded).to.include({ level: 30, model: "cpu", file: `${dir}/cpu.json`, featureSet: model.featureSet });
        expect(loaded?.version).to.match(/^[0-9a-f]{12}$/);
        const failed = run.lines.find((l) => l.msg?.startsWith("model file failed to load:")) as Record<string, unknown> | undefined;
        expect(failed).to.include({ level: 50, model: "bad", file: `${dir}/bad.json` });
        const notReady = run.lines.find((l) => l.msg?.startsWith("server is not ready:")) as Record<string, unknown> | undefined;
        expect(notReady).to.include({ level: 40, modelDir: dir });
        expect(notReady?.msg).to.include(`${dir}/bad.json: `);
        // The client's reason names the file, never the directory.
        const ready = (await fetch(`${run.base}/v2/health/ready`).then((r) => r.json())) as { ready: boolean; error: string };
        expect(ready.ready).to.equal(false);
        expect(ready.error).to.match(/^bad\.json: /);
        expect(ready.error).not.to.include(dir);
        const reloads = await fetch(`${run.base}/metrics`).then((r) => r.text());
        expect(sample(reloads, 'detector_model_reloads_total{result="failure"}')).to.equal(1);
        expect(sample(reloads, 'detector_model_reloads_total{result="success"}')).to.equal(undefined);
    });

    it("keeps the last good version on a bad reload, logging both versions' file, and reports success once fixed", async () => {
        writeModel(dir, "cpu.json", smallModel("cpu"));
        run = await serve(dir);
        expect(run.lines.some((l) => l.msg?.startsWith("server is not ready"))).to.equal(false);
        const { versions } = (await fetch(`${run.base}/v2/models/cpu`).then((r) => r.json())) as { versions: string[] };
        writeModel(dir, "cpu.json", "{truncated");
        run.server.reload();
        const kept = run.lines.find((l) => l.msg?.startsWith("model file failed to reload:")) as Record<string, unknown> | undefined;
        expect(kept).to.include({ level: 50, model: "cpu", file: `${dir}/cpu.json`, version: versions[0] });
        expect(kept?.msg).to.include(`still serving the last good version ${versions[0]}`);
        expect(run.server.ready()).to.equal(true);
        writeModel(dir, "cpu.json", smallModel("cpu", { seed: 2 }));
        run.server.reload();
        const text = await fetch(`${run.base}/metrics`).then((r) => r.text());
        expect(sample(text, 'detector_model_reloads_total{result="success"}')).to.equal(2);
        expect(sample(text, 'detector_model_reloads_total{result="failure"}')).to.equal(1);
        expect(sample(text, 'detector_model_reload_failed{model="cpu"}')).to.equal(0);
    });

    it("says 'no model is loaded' for an empty directory, in logs and to clients, and is not ready", async () => {
        run = await serve(dir);
        const warn = run.lines.find((l) => l.msg?.startsWith("server is not ready:"));
        expect(warn?.level).to.equal(40);
        expect(run.server.ready()).to.equal(false);
        const ready = await fetch(`${run.base}/v2/health/ready`);
        expect(ready.status).to.equal(503);
        const model = (await fetch(`${run.base}/v2/models/cpu`).then((r) => r.json())) as { error: string };
        expect(model.error).to.match(
            /^model 'cpu' is not available: no model is loaded \(the model directory holds no model file and no \.no-model-yet placeholder/,
        );
        expect(model.error).not.to.include(dir);
    });

    it("answers /v2 with the server's name and its package version", async () => {
        writeModel(dir, "cpu.json", smallModel("cpu"));
        run = await serve(dir);
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };
        expect(await fetch(`${run.base}/v2`).then((r) => r.json())).to.deep.equal({
            name: "aiops-detector",
            version: pkg.version,
            extensions: [],
        });
    });

    it("logs each scored request at debug with the model, the OIP id, the points and the anomalies", async () => {
        writeModel(dir, "cpu.json", smallModel("cpu"));
        run = await serve(dir);
        const res = await fetch(`${run.base}/v2/models/cpu/infer`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(inferBody(cpuSeries(12), { id: "oip-9" })),
        });
        const labels = ((await res.json()) as { outputs: Array<{ name: string; data: number[] }> }).outputs[1].data;
        const scored = run.lines.find((l) => l.msg === "scored") as Record<string, unknown> | undefined;
        expect(scored).to.include({
            level: 20,
            model: "cpu",
            oipId: "oip-9",
            points: 12,
            anomalies: labels.filter((l) => l === -1).length,
        });
    });
});

describe("detector server: redactPaths", () => {
    it("turns the model directory into words and any other absolute path into its last segment", () => {
        expect(redactPaths("cannot read /mnt/models/cpu.json: EACCES", "/mnt/models")).to.equal("cannot read cpu.json: EACCES");
        expect(redactPaths("cannot read /mnt/models/cpu.json", "/mnt/models/")).to.equal("cannot read cpu.json");
        expect(redactPaths("ENOENT: no such directory /mnt/models", "/mnt/models")).to.equal(
            "ENOENT: no such directory the model directory",
        );
        expect(redactPaths("at /usr/lib/node/fs.js and /etc/x/y.conf")).to.equal("at fs.js and y.conf");
        expect(redactPaths("see https://example.com/a/b and ./rel/path")).to.equal("see https://example.com/a/b and ./rel/path");
        expect(redactPaths("a ratio 3/4 stays", "")).to.equal("a ratio 3/4 stays");
        expect(redactPaths("/only", undefined)).to.equal("only");
    });
});
