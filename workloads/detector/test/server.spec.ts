import { expect } from "chai";
import { connect } from "node:net";
import { join } from "node:path";
import { scoreSeries } from "../src/model";
import { buildServer } from "../src/server";
import {
    call,
    cpuSeries,
    inferBody,
    removeDir,
    smallModel,
    startServer as start,
    tempDir,
    writeModel,
    type Running,
} from "./server-helpers";

function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    return call(base, path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
    });
}

type Tensor = { name: string; shape: number[]; datatype: string; data: unknown[] };

describe("detector OIP server over HTTP", function () {
    const model = smallModel("cpu");
    const window = cpuSeries(360, { seed: 5 });
    let dir: string;
    let run: Running;

    before(async () => {
        dir = tempDir();
        writeModel(dir, "cpu.json", model);
        run = await start({ modelDir: dir, bodyLimit: 64 * 1024 });
    });
    after(async () => {
        await run.server.app.close();
        removeDir(dir);
    });

    it("answers health, server metadata and model metadata", async () => {
        expect(await call(run.base, "/v2/health/live")).to.include({ status: 200 });
        const ready = await call(run.base, "/v2/health/ready");
        expect(ready.status).to.equal(200);
        expect(ready.json).to.deep.equal({ ready: true });
        const server = await call(run.base, "/v2");
        expect(server.json).to.deep.equal({ name: "aiops-detector", version: "0.1.0", extensions: [] });
        const meta = await call(run.base, "/v2/models/cpu");
        expect(meta.status).to.equal(200);
        expect(meta.json.name).to.equal("cpu");
        expect(meta.json.platform).to.equal("aiops_iforest");
        expect(meta.json.inputs).to.deep.equal([
            { name: "timestamp", datatype: "FP64", shape: [-1] },
            { name: "value", datatype: "FP64", shape: [-1] },
        ]);
        const version = (meta.json.versions as string[])[0];
        expect((await call(run.base, `/v2/models/cpu/versions/${version}`)).json.name).to.equal("cpu");
        expect((await call(run.base, "/v2/models/cpu/ready")).json).to.deep.equal({ name: "cpu", ready: true });
        expect((await call(run.base, `/v2/models/cpu/versions/${version}/ready`)).status).to.equal(200);
    });

    it("scores a 360-point window exactly as the library does and echoes the request id", async () => {
        const res = await post(run.base, "/v2/models/cpu/infer", inferBody(window, { id: "req-42" }));
        expect(res.status).to.equal(200);
        const expected = scoreSeries(model, window);
        expect(res.json.model_name).to.equal("cpu");
        expect(res.json.id).to.equal("req-42");
        const [score, label] = res.json.outputs as Tensor[];
        expect(score).to.deep.include({ name: "score", datatype: "FP64", shape: [360] });
        expect(label).to.deep.include({ name: "label", datatype: "INT64", shape: [360] });
        expect(score.data).to.deep.equal(expected.map((p) => p.score));
        expect(label.data).to.deep.equal(expected.map((p) => p.label));
    });

    it("serves the versioned infer path, honours the outputs filter and uses x-request-id when the body has no id", async () => {
        const version = ((await call(run.base, "/v2/models/cpu")).json.versions as string[])[0];
        const res = await post(
            run.base,
            `/v2/models/cpu/versions/${version}/infer`,
            { ...inferBody(window.slice(0, 10)), outputs: [{ name: "label" }] },
            { "x-request-id": "trace-7" },
        );
        expect(res.status).to.equal(200);
        expect(res.json.id).to.equal("trace-7");
        expect(res.json.model_version).to.equal(version);
        expect((res.json.outputs as Tensor[]).map((o) => o.name)).to.deep.equal(["label"]);
    });

    const valid = inferBody(window.slice(0, 3));
    const badRequests: Array<{ what: string; path?: string; body: unknown; contentType?: string; status: number; error: RegExp }> = [
        { what: "invalid JSON", body: '{"inputs": [', status: 400, error: /not valid JSON/ },
        {
            what: "a bare NaN literal",
            body: '{"inputs":[{"name":"value","shape":[1],"datatype":"FP64","data":[NaN]}]}',
            status: 400,
            error: /not valid JSON.*no NaN/,
        },
        { what: "an empty body", body: "", status: 400, error: /body is empty/ },
        { what: "missing inputs", body: { id: "x" }, status: 400, error: /must have required property 'inputs'/ },
        { what: "empty inputs", body: { inputs: [] }, status: 400, error: /inputs must NOT have fewer than 1 items/ },
        {
            what: "a non-integer shape",
            body: { inputs: [{ name: "value", shape: [1.5], datatype: "FP64", data: [1] }] },
            status: 400,
            error: /shape\/0 must be integer/,
        },
        {
            what: "an unknown datatype",
            body: { inputs: [{ name: "value", shape: [1], datatype: "FLOAT", data: [1] }] },
            status: 400,
            error: /datatype must be equal to one of the allowed values/,
        },
        {
            what: "a wrong datatype",
            body: { inputs: [{ ...(valid.inputs as Tensor[])[0], datatype: "INT64" }, (valid.inputs as Tensor[])[1]] },
            status: 400,
            error: /'timestamp' has datatype INT64; expected FP64/,
        },
        {
            what: "shape/data mismatch",
            body: { inputs: [{ ...(valid.inputs as Tensor[])[0], shape: [4] }, (valid.inputs as Tensor[])[1]] },
            status: 400,
            error: /shape \[4\] but 3 data elements/,
        },
        {
            what: "null (NaN) in data",
            body: { inputs: [(valid.inputs as Tensor[])[0], { ...(valid.inputs as Tensor[])[1], data: [1, null, 3] }] },
            status: 400,
            error: /'value' data\[1\] is null/,
        },
        {
            what: "the string NaN in data",
            body: { inputs: [(valid.inputs as Tensor[])[0], { ...(valid.inputs as Tensor[])[1], data: [1, 2, "NaN"] }] },
            status: 400,
            error: /'value' data\[2\] is the string "NaN"/,
        },
        {
            what: "lengths that differ",
            body: { inputs: [(valid.inputs as Tensor[])[0], { name: "value", shape: [2], datatype: "FP64", data: [1, 2] }] },
            status: 400,
            error: /same length/,
        },
        { what: "a missing value input", body: { inputs: [(valid.inputs as Tensor[])[0]] }, status: 400, error: /missing input 'value'/ },
        { what: "an unknown output", body: { ...valid, outputs: [{ name: "proba" }] }, status: 400, error: /unknown output 'proba'/ },
        { what: "a numeric id", body: { ...valid, id: 7 }, status: 400, error: /id must be string/ },
        {
            what: "an unknown model",
            path: "/v2/models/disk/infer",
            body: valid,
            status: 404,
            error: /unknown model 'disk'; this server serves: cpu/,
        },
        {
            what: "an unknown model version",
            path: "/v2/models/cpu/versions/999/infer",
            body: valid,
            status: 404,
            error: /model 'cpu' has no version '999'/,
        },
        {
            what: "a form content type",
            body: "a=1",
            contentType: "application/x-www-form-urlencoded",
            status: 415,
            error: /unsupported Content-Type .*send application\/json/,
        },
        { what: "an oversized body", body: inferBody(cpuSeries(3000)), status: 413, error: /larger than the 65536-byte limit/ },
    ];

    for (const bad of badRequests) {
        it(`answers ${bad.what} with ${bad.status} and an error naming the problem`, async () => {
            const res = await post(
                run.base,
                bad.path ?? "/v2/models/cpu/infer",
                bad.body,
                bad.contentType ? { "content-type": bad.contentType } : {},
            );
            expect(res.status, res.text).to.equal(bad.status);
            expect(Object.keys(res.json)).to.deep.equal(["error"]);
            expect(res.json.error).to.match(bad.error);
        });
    }

    it("answers unknown routes and unknown model metadata with 404", async () => {
        expect((await call(run.base, "/v1/models/cpu:predict")).json.error).to.match(/no route GET \/v1\/models\/cpu:predict/);
        expect((await call(run.base, "/v2/models/disk")).status).to.equal(404);
        expect((await call(run.base, "/v2/models/disk/ready")).status).to.equal(404);
    });

    it("is still live and ready, and still scores, after every bad request", async () => {
        expect((await call(run.base, "/v2/health/live")).status).to.equal(200);
        expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
        expect((await post(run.base, "/v2/models/cpu/infer", valid)).status).to.equal(200);
    });

    it("exports request, latency, anomaly, points and drift metrics", async () => {
        const text = (await call(run.base, "/metrics")).text;
        expect(text).to.match(/detector_http_requests_total\{model="cpu",route="\/v2\/models\/:name\/infer",status="200"\} \d+/);
        expect(text).to.match(/detector_http_requests_total\{model="cpu",route="\/v2\/models\/:name\/infer",status="400"\} \d+/);
        expect(text).to.match(/detector_http_requests_total\{model="unknown",route="\/v2\/models\/:name\/infer",status="404"\} 1/);
        expect(text).to.match(/detector_http_request_duration_seconds_count\{model="cpu",route="\/v2\/models\/:name\/infer"\} \d+/);
        // 360 + 10 + 3 points were scored successfully above.
        expect(text).to.include('detector_points_scored_total{model="cpu"} 373');
        expect(text).to.match(/detector_anomalies_total\{model="cpu"\} \d+/);
        expect(text).to.include('detector_drift_window_rows{model="cpu"} 373');
        expect(text).to.match(/detector_feature_drift_psi\{model="cpu",feature="noise_step_z"\} [0-9.e-]+/);
    });

    it("raises the drift gauge when the inputs drift away from the training distribution", async () => {
        const psi = async () => {
            const text = (await call(run.base, "/metrics")).text;
            const m = /detector_feature_drift_psi\{model="cpu",feature="noise_step_z"\} ([0-9.e+-]+)/.exec(text);
            return Number(m?.[1]);
        };
        // Fill the 2,000-row window with fresh same-distribution data, then with spiky data (every 4th point +25).
        // The default features are normalised by each series' own baseline, so a mere level change is not drift.
        for (let k = 0; k < 6; k++)
            await post(
                run.base,
                "/v2/models/cpu/infer",
                inferBody(cpuSeries(360, { seed: 100 + k, start: 1_700_000_000 + (k % 4) * 3600 })),
            );
        const before = await psi();
        expect(before).to.be.lessThan(0.25);
        for (let k = 0; k < 6; k++)
            await post(
                run.base,
                "/v2/models/cpu/infer",
                inferBody(cpuSeries(360, { seed: 200 + k }).map((p, i) => (i % 4 === 0 ? { ...p, value: p.value + 25 } : p))),
            );
        const after = await psi();
        expect(after).to.be.greaterThan(1);
        expect(after).to.be.greaterThan(before * 5);
    });

    it("logs JSON lines with the request id", () => {
        const line = run.logs.find((l) => l.reqId === "trace-7");
        expect(line, "a log line for request trace-7").to.not.equal(undefined);
        expect(run.logs.some((l) => typeof l.msg === "string" && (l.msg as string).includes("model 'cpu' loaded"))).to.equal(true);
    });
});

describe("detector OIP server with bad model files", () => {
    const model = smallModel("cpu");
    let dir: string;
    let run: Running | undefined;
    beforeEach(() => {
        dir = tempDir();
    });
    afterEach(async () => {
        await run?.server.app.close();
        run = undefined;
        removeDir(dir);
    });

    it("stays live but not ready on a corrupt model file, logs why, and reports the model not ready", async () => {
        writeModel(dir, "cpu.json", '{"format": "aiops-iforest", "trees": [');
        run = await start({ modelDir: dir });
        expect((await call(run.base, "/v2/health/live")).status).to.equal(200);
        const ready = await call(run.base, "/v2/health/ready");
        expect(ready.status).to.equal(503);
        expect(ready.json.ready).to.equal(false);
        expect(ready.json.error).to.match(/cpu\.json: not valid JSON/);
        const modelReady = await call(run.base, "/v2/models/cpu/ready");
        expect(modelReady.status).to.equal(503);
        expect(modelReady.json).to.deep.equal({ name: "cpu", ready: false });
        const infer = await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(5)));
        expect(infer.status).to.equal(503);
        expect(infer.json.error).to.match(/model 'cpu' failed to load from .*cpu\.json/);
        const logged = run.logs.find((l) => l.level === 50 && String(l.msg).includes("model file failed to load"));
        expect(logged?.msg).to.include(join(dir, "cpu.json"));
        expect((await call(run.base, "/metrics")).text).to.include('detector_model_ready{model="cpu"} 0');
    });

    it("is not ready on a model file of the wrong format", async () => {
        writeModel(dir, "model.json", JSON.stringify({ format: "sklearn-pickle", version: 1 }));
        run = await start({ modelDir: dir });
        const ready = await call(run.base, "/v2/health/ready");
        expect(ready.status).to.equal(503);
        expect(ready.json.error).to.match(/format must be "aiops-iforest"/);
        expect((await call(run.base, "/v2/models/model/ready")).json).to.deep.equal({ name: "model", ready: false });
    });

    it("is not ready on an empty directory, and becomes ready after a reload once a model appears", async () => {
        run = await start({ modelDir: dir });
        const empty = await call(run.base, "/v2/health/ready");
        expect(empty.status).to.equal(503);
        expect(empty.json.error).to.match(/no \*\.json model files found/);
        expect((await call(run.base, "/v2/health/live")).status).to.equal(200);
        expect(run.logs.some((l) => l.level === 40 && String(l.msg).includes("server is not ready"))).to.equal(true);

        writeModel(dir, "cpu.json", model);
        run.server.reload();
        expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
        expect((await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(5)))).status).to.equal(200);
    });

    it("treats a drift distribution too large for the drift window as a load failure, at start and on reload", async () => {
        // 65,536 bins pass every other check but do not fit the window's Uint16 bin indices.
        const edges = Array.from({ length: 65535 }, (_, i) => i);
        const huge = {
            ...model,
            drift: model.drift.map((d, i) => (i === 0 ? { ...d, edges, fractions: [...edges, 65535].map(() => 1 / 65536) } : d)),
        };
        writeModel(dir, "cpu.json", JSON.stringify(huge));
        run = await start({ modelDir: dir });
        const ready = await call(run.base, "/v2/health/ready");
        expect(ready.status).to.equal(503);
        expect(ready.json.error).to.match(/drift\[0\]\.fractions must have at most 65535 bins, got 65536/);
        writeModel(dir, "cpu.json", model);
        run.server.reload();
        writeModel(dir, "cpu.json", JSON.stringify(huge));
        expect(() => run?.server.reload()).not.to.throw();
        // The last good version keeps serving (issue 14); the failed reload shows in /metrics.
        expect((await call(run.base, "/v2/models/cpu/ready")).status).to.equal(200);
        expect((await call(run.base, "/metrics")).text).to.include('detector_model_reload_failed{model="cpu"} 1');
    });

    it("keeps a model's drift window across a reload when its file did not change", async () => {
        writeModel(dir, "cpu.json", model);
        run = await start({ modelDir: dir });
        await post(run.base, "/v2/models/cpu/infer", inferBody(cpuSeries(50)));
        run.server.reload();
        expect((await call(run.base, "/metrics")).text).to.include('detector_drift_window_rows{model="cpu"} 50');
        writeModel(dir, "cpu.json", smallModel("cpu", { seed: 2 }));
        run.server.reload();
        expect((await call(run.base, "/metrics")).text).to.include('detector_drift_window_rows{model="cpu"} 0');
    });
});

describe("detector OIP server request timeout", () => {
    let dir: string;
    let run: Running;
    before(async () => {
        dir = tempDir();
        writeModel(dir, "cpu.json", smallModel("cpu"));
        run = await start({ modelDir: dir, requestTimeoutMs: 300 });
    });
    after(async () => {
        await run.server.app.close();
        removeDir(dir);
    });

    it("answers 408 and drops a client that sends headers but never finishes its body, and stays ready", async () => {
        const { port } = new URL(run.base);
        const socket = connect(Number(port), "127.0.0.1");
        let answer = "";
        socket.on("data", (d: Buffer) => (answer += d.toString()));
        const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
        socket.write(
            'POST /v2/models/cpu/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"inputs":',
        );
        // Without a request timeout the connection would stay open until the 5 s guard below fails the test.
        const guard = setTimeout(() => socket.destroy(), 5000);
        await closed;
        clearTimeout(guard);
        expect(answer).to.match(/^HTTP\/1\.1 408 /);
        expect((await call(run.base, "/v2/health/ready")).status).to.equal(200);
    });

    it("refuses a request timeout that is not a positive integer, naming the option", () => {
        expect(() => buildServer({ modelDir: dir, requestTimeoutMs: 0, logger: false })).to.throw(
            /requestTimeoutMs must be a positive integer of milliseconds; got 0/,
        );
    });
});
