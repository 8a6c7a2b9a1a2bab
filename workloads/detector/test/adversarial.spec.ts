/**
 * Adversarial suite (issue 14): requests and model-directory faults an attacker or a broken rollout would
 * produce. Every case failed before the fix it guards (noted per test). Loopback only, bounded in count
 * and time: the largest bodies are a few MB and each test finishes in seconds.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NO_MODEL_YET } from "@aiops/contract";
import { LARGE_BODY_CHARS, MAX_JSON_DEPTH } from "../src/body";
import { scoreSeries } from "../src/model";
import { DROPPED_DEFAULT_METRICS } from "../src/metrics";
import { MAX_POINTS_PER_REQUEST } from "../src/oip";
import { INLINE_MAX_POINTS, MAX_QUEUED_LARGE_REQUESTS, ScoringPool } from "../src/scoring";
import {
    call,
    cpuSeries,
    freePort,
    inferBody,
    removeDir,
    smallModel,
    startServer as start,
    tempDir,
    writeModel,
    type Running,
} from "./server-helpers";

function post(base: string, path: string, body: unknown, contentType = "application/json") {
    return call(base, path, {
        method: "POST",
        headers: { "content-type": contentType },
        body: typeof body === "string" ? body : JSON.stringify(body),
    });
}

/** A body of `n` points as a string, built without materialising n objects. */
function bigBody(n: number, start = 1_700_000_000): string {
    const ts = new Array<string>(n);
    const vs = new Array<string>(n);
    for (let i = 0; i < n; i++) {
        ts[i] = String(start + i * 10);
        vs[i] = (30 + 5 * Math.sin(i / 500) + ((i * 7919) % 13) / 10).toFixed(2);
    }
    return `{"inputs":[{"name":"timestamp","shape":[${n}],"datatype":"FP64","data":[${ts.join(",")}]},{"name":"value","shape":[${n}],"datatype":"FP64","data":[${vs.join(",")}]}]}`;
}

describe("detector adversarial: requests", function () {
    this.timeout(60_000);
    const model = smallModel("cpu");
    let dir: string;
    let run: Running;

    before(async () => {
        dir = tempDir();
        writeModel(dir, "cpu.json", model);
        run = await start({ modelDir: dir });
    });
    after(async () => {
        await run.server.app.close();
        removeDir(dir);
    });

    it("refuses more points than the per-request cap with 413 naming the cap (was: 1e6 points accepted)", async () => {
        const res = await post(run.base, "/v2/models/cpu/infer", bigBody(MAX_POINTS_PER_REQUEST + 1));
        expect(res.status).to.equal(413);
        expect(res.json.error).to.include(`at most ${MAX_POINTS_PER_REQUEST}`).and.include("split the series");
        // A shape that lies about a short data array is refused the same way, before any work.
        const lying = await post(run.base, "/v2/models/cpu/infer", {
            inputs: [
                { name: "timestamp", shape: [1e9], datatype: "FP64", data: [1] },
                { name: "value", shape: [1e9], datatype: "FP64", data: [1] },
            ],
        });
        expect(lying.status).to.equal(413);
    });

    /**
     * Polls /v2/health/live every 10 ms while `work` runs; the latencies of the probes answered meanwhile, and
     * how long the work took (ms).
     */
    async function probeWhile<T>(work: Promise<T>): Promise<{ result: T; latencies: number[]; ms: number }> {
        let done = false;
        const started = performance.now();
        let ms = 0;
        const tracked = work.finally(() => {
            done = true;
            ms = performance.now() - started;
        });
        const latencies: number[] = [];
        while (!done) {
            const t0 = performance.now();
            const live = await call(run.base, "/v2/health/live");
            expect(live.status).to.equal(200);
            if (!done) latencies.push(performance.now() - t0);
            await new Promise((r) => setTimeout(r, 10));
        }
        return { result: await tracked, latencies, ms };
    }

    it("keeps /v2/health/live answering while a maximum request is scored (was: blocked for the whole scoring)", async () => {
        const body = bigBody(MAX_POINTS_PER_REQUEST);
        const { result, latencies, ms } = await probeWhile(post(run.base, "/v2/models/cpu/infer", body));
        expect(result.status, result.text.slice(0, 200)).to.equal(200);
        expect((result.json.outputs as Array<{ data: number[] }>)[0].data).to.have.length(MAX_POINTS_PER_REQUEST);
        // Probes kept being answered during the scoring, each quickly. The bench measures the 100 ms target
        // on a quiet machine; the bound here leaves room for a CI machine shared with other jobs, and is still
        // far below the whole-request stall of inline scoring. It grows with the request's own time (a quarter
        // of it) on a loaded machine, where everything slows: quiet, 28 ms probes in a 1.4 s request; under
        // CPU load 237 ms in 5.6 s and, at nice 19, 920 to 5,429 ms, which failed a fixed 300 ms. Inline
        // scoring still fails here: with the worker disabled only 2 probes (3 below) were answered meanwhile.
        expect(latencies.length).to.be.greaterThan(5);
        expect(Math.max(...latencies), `probes during a ${Math.round(ms)} ms request`).to.be.lessThan(Math.max(300, ms / 4));
    });

    it("scores three maximum requests at once, all answered, live answering throughout", async () => {
        const body = bigBody(MAX_POINTS_PER_REQUEST);
        const all = Promise.all([0, 1, 2].map(() => post(run.base, "/v2/models/cpu/infer", body)));
        const { result, latencies, ms } = await probeWhile(all);
        for (const r of result) expect(r.status, r.text.slice(0, 200)).to.equal(200);
        expect(latencies.length).to.be.greaterThan(5);
        // As above: a fixed bound, or a quarter of the requests' time on a loaded machine.
        expect(Math.max(...latencies), `probes during ${Math.round(ms)} ms of requests`).to.be.lessThan(Math.max(1000, ms / 4));
    });

    it("answers 503 with Retry-After when more large requests queue than the scorer takes", async () => {
        const body = bigBody(INLINE_MAX_POINTS + 1);
        const results = await Promise.all(
            Array.from({ length: MAX_QUEUED_LARGE_REQUESTS + 4 }, () => post(run.base, "/v2/models/cpu/infer", body)),
        );
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((s) => s === 200).length).to.be.at.least(MAX_QUEUED_LARGE_REQUESTS);
        const busy = results.filter((r) => r.status === 503);
        for (const r of busy) expect(r.json.error).to.include("retry shortly");
        expect(statuses.every((s) => s === 200 || s === 503)).to.equal(true);
    });

    for (const [path, n] of [
        ["parsed points", INLINE_MAX_POINTS + 1],
        ["raw body text", 20_000],
    ] as const) {
        it(`scores a large request on the worker (${path}) exactly as in-process scoring`, async () => {
            const body = bigBody(n);
            expect(body.length > LARGE_BODY_CHARS).to.equal(path === "raw body text");
            const big = await post(run.base, "/v2/models/cpu/infer", body);
            expect(big.status, big.text.slice(0, 200)).to.equal(200);
            expect(big.json.model_name).to.equal("cpu");
            expect(big.json.id).to.be.a("string").and.not.equal("");
            const parsed = JSON.parse(body) as { inputs: Array<{ data: number[] }> };
            const expected = scoreSeries(
                model,
                parsed.inputs[0].data.map((t, i) => ({ timestamp: t, value: parsed.inputs[1].data[i] })),
            );
            const outputs = big.json.outputs as Array<{ name: string; data: number[] }>;
            expect(outputs[0].data).to.deep.equal(expected.map((p) => p.score));
            expect(outputs[1].data).to.deep.equal(expected.map((p) => p.label));
        });
    }

    it("checks a large body on the worker with the same answers as a small one", async () => {
        const n = 20_000;
        expect(bigBody(n).length).to.be.greaterThan(LARGE_BODY_CHARS);
        const body = bigBody(n);
        const cases: Array<[string, string, number, RegExp]> = [
            ["missing value input", body.replace(/,\{"name":"value".*\]\}$/, "]}"), 400, /missing input 'value'/],
            ["a string in data", body.replace('"data":[1700000000,', '"data":["NaN",'), 400, /'timestamp' data\[0\] is the string "NaN"/],
            [
                "bad datatype",
                body.replace('"datatype":"FP64"', '"datatype":"FLOAT"'),
                400,
                /datatype must be equal to one of the allowed values/,
            ],
            ["no inputs", `{"id":"x","pad":"${"x".repeat(LARGE_BODY_CHARS)}"}`, 400, /must have required property 'inputs'/],
            ["not JSON", `${body.slice(0, -3)}`, 400, /not valid JSON/],
            [
                "deep nesting",
                `{"pad":"${"x".repeat(LARGE_BODY_CHARS)}","inputs":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
                400,
                /more than 32 levels deep/,
            ],
            ["a label-only output filter", body.replace(/\}$/, ',"outputs":[{"name":"label"}],"id":"mine"}'), 200, /^$/],
        ];
        for (const [what, text, status, error] of cases) {
            const res = await post(run.base, "/v2/models/cpu/infer", text);
            expect(res.status, `${what}: ${res.text.slice(0, 200)}`).to.equal(status);
            if (status !== 200) expect(res.json.error, what).to.match(error);
            else {
                expect(res.json.id).to.equal("mine");
                expect((res.json.outputs as Array<{ name: string }>).map((o) => o.name)).to.deep.equal(["label"]);
            }
        }
        expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
    });

    it("answers arrays nested 10,000 deep with 400, not a 500 stack overflow", async () => {
        const deep = `${"[".repeat(10_000)}1${"]".repeat(10_000)}`;
        for (const body of [
            `{"inputs":[{"name":"value","shape":[1],"datatype":"FP64","data":${deep}}]}`,
            `{"parameters":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)},"inputs":[]}`,
            deep,
        ]) {
            const res = await post(run.base, "/v2/models/cpu/infer", body);
            expect(res.status, res.text).to.equal(400);
            expect(res.json.error).to.include(`more than ${MAX_JSON_DEPTH} levels deep`);
        }
        // Nesting within the bound still works (OIP allows nested tensor data).
        const ok = await post(run.base, "/v2/models/cpu/infer", {
            inputs: [
                { name: "timestamp", shape: [3], datatype: "FP64", data: [[1_700_000_000], [[1_700_000_010]], [1_700_000_020]] },
                { name: "value", shape: [3], datatype: "FP64", data: [[[[30]]], [31], 32] },
            ],
        });
        expect(ok.status, ok.text).to.equal(200);
    });

    it("answers a body of a huge number of tiny arrays with 400 before building them", async () => {
        const n = 300_000;
        const body = `{"inputs":[{"name":"value","shape":[${n}],"datatype":"FP64","data":[${"[],".repeat(n - 1)}[]]}]}`;
        const res = await post(run.base, "/v2/models/cpu/infer", body);
        expect(res.status).to.equal(400);
        expect(res.json.error).to.match(/more than \d+ arrays and objects/);
    });

    it("answers text/plain, a form and a missing content type with 415 as the README says (was: 400)", async () => {
        const json = JSON.stringify(inferBody(cpuSeries(5)));
        for (const type of ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded"]) {
            const res = await post(run.base, "/v2/models/cpu/infer", json, type);
            expect(res.status, type).to.equal(415);
            expect(res.json.error).to.include("send application/json");
        }
        const none = await call(run.base, "/v2/models/cpu/infer", { method: "POST", body: new Blob([json]) });
        expect(none.status).to.equal(415);
    });

    it("parses a valid body with a __proto__ key without polluting anything (was: 'not valid JSON (NaN or Infinity)')", async () => {
        const body = JSON.stringify(inferBody(cpuSeries(5))).replace(
            /^\{/,
            '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
        );
        const res = await post(run.base, "/v2/models/cpu/infer", body);
        expect(res.status, res.text).to.equal(200);
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
        const nested = body.replace('"inputs":[{', '"inputs":[{"__proto__":{"datatype":"INT64"},');
        expect((await post(run.base, "/v2/models/cpu/infer", nested)).status).to.equal(200);
    });

    it("answers an empty body, truncated JSON and NaN with 400 naming the problem, never echoing the body", async () => {
        const cases: Array<[string, RegExp]> = [
            ["", /body is empty/],
            ["   ", /body is empty/],
            ['{"inputs": [{"name": "secret-token-123"', /not valid JSON/],
            ['{"inputs":[{"name":"value","shape":[1],"datatype":"FP64","data":[NaN]}]}', /no NaN or Infinity/],
        ];
        for (const [body, error] of cases) {
            const res = await post(run.base, "/v2/models/cpu/infer", body);
            expect(res.status, body).to.equal(400);
            expect(res.json.error).to.match(error);
            expect(res.text).not.to.include("secret-token-123");
        }
        expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
    });
});

describe("detector adversarial: model directory faults", function () {
    this.timeout(60_000);
    const good = smallModel("cpu");
    let dir: string;
    let run: Running | undefined;

    beforeEach(() => {
        dir = tempDir("detector-adv-");
    });
    afterEach(async () => {
        await run?.server.app.close();
        run = undefined;
        removeDir(dir);
    });

    it("keeps serving the last good model when a reload reads a bad file, reports it in logs and /metrics, stays ready", async () => {
        writeModel(dir, "cpu.json", good);
        run = await start({ modelDir: dir });
        const before = await call(run.base, "/v2/models/cpu");
        const version = (before.json.versions as string[])[0];
        for (const bad of ['{"format": "aiops-iforest", "trees": [', JSON.stringify({ ...good, offset: "x" }), ""]) {
            writeModel(dir, "cpu.json", bad);
            run.server.reload();
            const infer = await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(20)));
            expect(infer.status, bad.slice(0, 30)).to.equal(200);
            expect(infer.json.model_version).to.equal(version);
            expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
            expect((await call(run.base, "/v2/models/cpu/ready")).json).to.deep.equal({ name: "cpu", ready: true });
            const metrics = (await call(run.base, "/metrics")).text;
            expect(metrics).to.include('detector_model_reload_failed{model="cpu"} 1');
            expect(metrics).to.include('detector_model_ready{model="cpu"} 1');
        }
        expect((await call(run.base, "/metrics")).text).to.match(/detector_model_reloads_total\{result="failure"\} 3/);
        const logged = run.logs.filter((l) => l.level === 50 && String(l.msg).includes("still serving the last good version"));
        expect(logged).to.have.length(3);
        // A good file again: the new version serves and the failure clears.
        writeModel(dir, "cpu.json", smallModel("cpu", { seed: 3 }));
        run.server.reload();
        const after = await call(run.base, "/v2/models/cpu");
        expect((after.json.versions as string[])[0]).not.to.equal(version);
        expect((await call(run.base, "/metrics")).text).to.include('detector_model_reload_failed{model="cpu"} 0');
    });

    it("answers 503 (not 404 unknown model) for every model once the directory is emptied, without server paths", async () => {
        writeModel(dir, "cpu.json", good);
        run = await start({ modelDir: dir });
        rmSync(join(dir, "cpu.json"));
        // Hidden entries are no model (Kubernetes' ..data link); not the trainer's placeholder, which is
        // the "no model trained yet" state (no-model.spec.ts).
        writeFileSync(join(dir, ".gitkeep"), "");
        run.server.reload();
        for (const path of ["/v2/models/cpu/infer", "/v2/models/other/infer"]) {
            const res = await post(run.base, path, inferBody(cpuSeries(5)));
            expect(res.status, path).to.equal(503);
            expect(res.json.error).to.include("no model is loaded");
            // The MCP tool reads NO_MODEL_YET in a 503 as "wait for the first training" (mcp-tool/src/history.ts).
            expect(res.json.error).not.to.include(NO_MODEL_YET);
            expect(res.text).not.to.include(dir);
        }
        const ready = await call(run.base, "/v2/health/ready");
        expect(ready.status).to.equal(503);
        expect(ready.text).not.to.include(dir);
        expect((await call(run.base, "/v2/models/cpu/ready")).status).to.equal(503);
        expect((await call(run.base, "/v2/health/live")).status).to.equal(200);
        // A missing directory is the same for clients.
        removeDir(dir);
        run.server.reload();
        const missing = await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(5)));
        expect(missing.status).to.equal(503);
        expect(missing.text).not.to.include(dir);
    });

    it("never puts server filesystem paths in client errors for a model that failed to load", async () => {
        writeModel(dir, "cpu.json", JSON.stringify({ ...good, trees: "nope" }));
        mkdirSync(join(dir, "nested"));
        writeModel(join(dir, "nested"), "mem.json", '{"format":');
        run = await start({ modelDir: dir });
        const responses = [
            await call(run.base, "/v2/health/ready"),
            await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(5))),
            await post(run.base, "/v2/models/mem/infer", inferBody(cpuSeries(5))),
            await call(run.base, "/v2/models/cpu"),
        ];
        for (const res of responses) {
            expect(res.status).to.equal(503);
            expect(res.text).not.to.include(dir);
            expect(res.text).not.to.match(/\/tmp\//);
        }
        expect(responses[0].json.error)
            .to.match(/cpu\.json: .*trees/)
            .and.match(/mem\.json: not valid JSON/);
        // Operators still get the full path in the log.
        expect(run.logs.some((l) => String(l.msg).includes(join(dir, "cpu.json")))).to.equal(true);
    });

    it("keeps the last good model on a real SIGHUP to `detector serve` with a bad file", async () => {
        writeModel(dir, "cpu.json", good);
        const port = await freePort();
        const root = join(__dirname, "..", "..", "..");
        const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "..", "src", "cli.ts"), "serve"], {
            cwd: root,
            env: { ...process.env, MODEL_DIR: dir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info" },
        });
        let out = "";
        proc.stdout?.on("data", (c: Buffer) => (out += c.toString()));
        const exited = new Promise<number | null>((r) => proc.on("close", (code) => r(code)));
        try {
            const base = `http://127.0.0.1:${port}`;
            for (let i = 0; i < 300 && !out.includes("Server listening"); i++) await new Promise((r) => setTimeout(r, 100));
            writeModel(dir, "cpu.json", '{"format": "aiops-iforest"');
            proc.kill("SIGHUP");
            for (let i = 0; i < 100 && !out.includes("failed to reload"); i++) await new Promise((r) => setTimeout(r, 50));
            expect(out).to.include("still serving the last good version");
            expect((await post(base, "/v2/models/cpu/infer", inferBody(cpuSeries(20)))).status).to.equal(200);
            expect((await call(base, "/v2/health/ready")).status).to.equal(200);
        } finally {
            proc.kill("SIGTERM");
            await exited;
        }
    });
});

describe("detector adversarial: scoring worker faults", function () {
    this.timeout(60_000);

    it("fails only the requests on a worker that runs out of heap, then scores again on a fresh worker", async () => {
        const model = smallModel("cpu");
        const n = 50_000;
        const ts = () => Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 10);
        const vs = () => Float64Array.from({ length: n }, (_, i) => 30 + Math.sin(i / 100));
        // A heap far too small for 50,000 points: the worker dies with ERR_WORKER_OUT_OF_MEMORY, the process lives.
        const starved = new ScoringPool({ heapMb: 4 });
        try {
            let failure: Error | undefined;
            await starved.score("cpu@1", model, ts(), vs()).catch((e: Error) => (failure = e));
            expect(failure?.message).to.match(/scoring worker failed/);
            expect(starved.queued).to.equal(0);
            // Small requests never needed the worker.
            const small = await starved.score("cpu@1", model, ts().slice(0, 100), vs().slice(0, 100));
            expect(small.scores.length).to.equal(100);
        } finally {
            await starved.close();
        }
        const pool = new ScoringPool();
        try {
            const big = await pool.score("cpu@1", model, ts(), vs());
            expect(big.scores.length).to.equal(n);
        } finally {
            await pool.close();
        }
    });
});

describe("detector adversarial: /metrics format", function () {
    this.timeout(30_000);
    const promtool = spawnSync("promtool", ["--version"]).status === 0;

    it("passes `promtool check metrics` with the process metrics on (was: three nodejs_active_*_total gauges from prom-client)", async function () {
        // Debian's prometheus package (.ci/run installs it); in CI a missing promtool is a failure, not a skip.
        if (!promtool && process.env.CI !== undefined) throw new Error("promtool not found: apt-get install -y prometheus");
        if (!promtool) this.skip();
        const dir = tempDir();
        writeModel(dir, "cpu.json", smallModel("cpu"));
        const run = await start({ modelDir: dir, defaultMetrics: true });
        try {
            await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(200)));
            const text = (await call(run.base, "/metrics")).text;
            for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.to.include(`${name} `);
            expect(text).to.include("# TYPE nodejs_active_resources gauge");
            const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
            expect(check.status, `${check.stdout}${check.stderr}`).to.equal(0);
            expect(`${check.stdout}${check.stderr}`.trim()).to.equal("");
        } finally {
            await run.server.app.close();
            removeDir(dir);
        }
    });
});
