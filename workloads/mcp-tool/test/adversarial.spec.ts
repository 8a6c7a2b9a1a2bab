/**
 * Adversarial suite (issue 14): what a hostile client or a broken dependency can send the MCP tool. Fake
 * Prometheus and detector servers on loopback answer as scripted per test; the heap cases run the compiled
 * server in a child process with the Dockerfile's node flags (96 MiB old space), where the unbounded versions
 * died with "Reached heap limit". Bounded: a few dozen HTTP exchanges per test, the largest bodies 2 MiB.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { App, createApp, READY_CHECK_TIMEOUT_MS, READY_WAIT_MS } from "../src/app";
import { parseConfig } from "../src/config";
import { SCORE_RANGE } from "../src/detector";
import { MAX_BATCH_MESSAGES, MAX_CONCURRENT_TOOL_CALLS, MAX_POINTS_PER_POST } from "../src/limits";
import { silentLogger } from "../src/log";
import { PROMETHEUS_MAX_POINTS, PROMETHEUS_MAX_RESPONSE_BYTES, PROMETHEUS_MAX_SERIES } from "../src/prometheus";
import { MCP_HEADERS, rawRequest } from "./support/http";
import { imageStart } from "./support/image";

// The Dockerfile's ENTRYPOINT flags and ENV (read from it).
const IMAGE = imageStart();
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A loopback server whose behaviour the test swaps by assigning `handler`. */
interface Fake {
    server: Server;
    url: string;
    handler: Handler;
    inFlight: number;
    maxInFlight: number;
}

async function fake(handler: Handler): Promise<Fake> {
    const f = { handler, inFlight: 0, maxInFlight: 0 } as Fake;
    f.server = createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
            f.inFlight++;
            f.maxInFlight = Math.max(f.maxInFlight, f.inFlight);
            res.on("close", () => f.inFlight--);
            f.handler(req, body, res);
        });
    });
    await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
    const addr = f.server.address();
    f.url = `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}/`;
    return f;
}

function json(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json" }).end(text);
}

/** Prometheus query_range answer: `series` series over the asked window at the asked step. */
function matrixFor(body: string, opts: { series?: number; shift?: number; maxPoints?: number } = {}): unknown {
    const p = new URLSearchParams(body);
    const start = Number(p.get("start"));
    const end = Number(p.get("end"));
    const step = Number(p.get("step"));
    const result = [];
    let budget = opts.maxPoints ?? Infinity;
    for (let s = 0; s < (opts.series ?? 1); s++) {
        const values: Array<[number, string]> = [];
        for (let t = start; t <= end && budget > 0; t += step, budget--) {
            // Full precision, as Prometheus formats most samples (17 significant digits).
            values.push([t + (opts.shift ?? 0), String(30 + 10 * Math.sin(t / 3600) + (t % 7) / 3)]);
        }
        result.push({ metric: { instance: `10.0.0.${s + 1}:9100` }, values });
    }
    return { status: "success", data: { resultType: "matrix", result } };
}

/** A well-behaved Prometheus: ready, one series per query_range, one instance for instant queries. */
const goodPrometheus: Handler = (req, body, res) => {
    if (req.url === "/-/ready") return json(res, 200, "Prometheus Server is Ready.");
    if (req.url === "/api/v1/query_range") return json(res, 200, matrixFor(body));
    json(res, 200, {
        status: "success",
        data: { resultType: "vector", result: [{ metric: { instance: "10.0.0.1:9100" }, value: [0, "1"] }] },
    });
};

/** A well-behaved detector: scores every point, flags every 100th. */
function detectorAnswer(body: string, mutate?: (scores: unknown[], labels: unknown[]) => void): unknown {
    const req = JSON.parse(body) as { inputs: Array<{ data: number[] }> };
    const n = req.inputs[0].data.length;
    const scores: unknown[] = Array.from({ length: n }, (_, i) => (i % 100 === 0 ? -0.8 : -0.45));
    const labels: unknown[] = Array.from({ length: n }, (_, i) => (i % 100 === 0 ? -1 : 1));
    mutate?.(scores, labels);
    return {
        model_name: "node-cpu",
        outputs: [
            { name: "score", shape: [n], datatype: "FP64", data: scores },
            { name: "label", shape: [n], datatype: "INT64", data: labels },
        ],
    };
}
/**
 * The default feature set's lookback (detector features.ts featureLookback: 288-point baseline + 3-point short
 * window - 1), as the real detector states it in its model metadata (oip.ts, strings like every property).
 */
const LOOKBACK_POINTS = 290;

/** GET /v2/models/<name>: the OIP model metadata the tool reads for `lookback_points` before each call. */
function metadataAnswer(url: string): unknown {
    const name = decodeURIComponent(url.slice("/v2/models/".length));
    return {
        name,
        versions: ["1"],
        platform: "aiops-isolation-forest",
        properties: { lookback_points: String(LOOKBACK_POINTS), training_step_seconds: "10" },
    };
}
const isMetadata = (req: IncomingMessage): boolean => req.method === "GET" && /^\/v2\/models\/[^/]+$/.test(req.url ?? "");

const goodDetector: Handler = (req, body, res) => {
    if (req.url === "/v2/health/ready") return json(res, 200, { ready: true });
    if (isMetadata(req)) return json(res, 200, metadataAnswer(req.url ?? ""));
    json(res, 200, detectorAnswer(body));
};

function call(id: number, name: string, args: Record<string, unknown>): Record<string, unknown> {
    return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

interface RpcResult {
    id: number;
    result?: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: Record<string, unknown> };
    error?: { code: number; message: string };
}

async function mcp(port: number, body: unknown, headers: Record<string, string> = {}) {
    const res = await rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: `localhost:${port}`, ...headers }, JSON.stringify(body));
    let parsed: unknown;
    try {
        parsed = JSON.parse(res.body);
    } catch {
        parsed = undefined;
    }
    return { status: res.status, body: parsed, text: res.body };
}

async function toolText(
    port: number,
    args: Record<string, unknown>,
    tool = "predict_anomalies",
): Promise<{ isError: boolean; text: string }> {
    const res = await mcp(port, call(1, tool, args));
    const r = (res.body as RpcResult).result;
    if (r === undefined) throw new Error(`no result: ${res.text.slice(0, 300)}`);
    return { isError: r.isError === true, text: r.content[0].text };
}

describe("mcp-tool adversarial: in-process", function () {
    this.timeout(30_000);
    let prom: Fake;
    let det: Fake;
    let app: App;
    let port: number;

    before(async () => {
        prom = await fake(goodPrometheus);
        det = await fake(goodDetector);
        const config = parseConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: prom.url,
            INFERENCE_SERVICE_URL: det.url,
            PROMETHEUS_TIMEOUT_MS: "3000",
            INFERENCE_TIMEOUT_MS: "3000",
        });
        app = createApp(config, { logger: silentLogger, defaultMetrics: false, now: () => NOW_MS, readyCacheMs: 500 });
        port = await app.listen();
    });
    afterEach(() => {
        prom.handler = goodPrometheus;
        det.handler = goodDetector;
    });
    after(async () => {
        await app.close();
        prom.server.closeAllConnections();
        det.server.closeAllConnections();
        prom.server.close();
        det.server.close();
    });

    it("answers a well-formed call (the fakes are sane)", async () => {
        const r = await toolText(port, { instance_ip: "10.0.0.1", hours: 1 });
        expect(r.isError, r.text).to.equal(false);
        expect(r.text).to.include("361 points");
    });

    it(`refuses a JSON-RPC batch over ${MAX_BATCH_MESSAGES} messages with -32600 naming the limit`, async () => {
        const batch = Array.from({ length: 100 }, (_, i) =>
            call(i, "query_prometheus_and_predict", { instance_ip: "10.0.0.1", time_range_hours: 6 }),
        );
        const res = await mcp(port, batch);
        expect(res.status).to.equal(400);
        const err = (res.body as { error: { code: number; message: string } }).error;
        expect(err.code).to.equal(-32600);
        expect(err.message).to.include(`at most ${MAX_BATCH_MESSAGES} messages; got 100`);
        // Nothing reached the dependencies.
        expect(prom.maxInFlight).to.be.at.most(1);
    });

    it(`runs at most ${MAX_CONCURRENT_TOOL_CALLS} tool calls at once, however many arrive`, async () => {
        prom.maxInFlight = 0;
        prom.handler = (req, body, res) => setTimeout(() => goodPrometheus(req, body, res), 50);
        const batch = Array.from({ length: MAX_BATCH_MESSAGES }, (_, i) =>
            call(i, "predict_anomalies", { instance_ip: "10.0.0.1", hours: 1 }),
        );
        const [a, b] = await Promise.all([mcp(port, batch), mcp(port, batch)]);
        for (const r of [a, b]) {
            expect(r.status).to.equal(200);
            const results = r.body as RpcResult[];
            expect(results).to.have.length(MAX_BATCH_MESSAGES);
            for (const x of results) expect(x.result?.isError, x.result?.content[0].text).to.not.equal(true);
        }
        expect(prom.maxInFlight).to.be.at.most(MAX_CONCURRENT_TOOL_CALLS);
    });

    it(`stops one POST returning more than ${MAX_POINTS_PER_POST} scored points, naming the limit`, async () => {
        // 6 h at 10 s = 2,161 points per call; 20 calls would return 43,000+. The budget counts what a POST
        // returns: the lookback history fetched before each window (LOOKBACK_POINTS) is scored and dropped within
        // its call, so it is bounded by the concurrent-call limit and Prometheus' point cap, not by this budget.
        const asked: Array<{ start: number; end: number }> = [];
        prom.handler = (req, body, res) => {
            if (req.url === "/api/v1/query_range") {
                const q = new URLSearchParams(body);
                asked.push({ start: Number(q.get("start")), end: Number(q.get("end")) });
            }
            goodPrometheus(req, body, res);
        };
        const batch = Array.from({ length: MAX_BATCH_MESSAGES }, (_, i) =>
            call(i, "query_prometheus_and_predict", { instance_ip: "10.0.0.1", time_range_hours: 6 }),
        );
        const res = await mcp(port, batch);
        expect(res.status).to.equal(200);
        const results = res.body as RpcResult[];
        const refused = results.filter((r) => r.result?.isError === true);
        const served = results.filter((r) => r.result?.isError !== true);
        expect(served.length * 2161).to.be.at.most(MAX_POINTS_PER_POST);
        // The cap still bites (one served call fewer would waste budget): 18 windows and their anomaly lists fit.
        expect(served.length).to.equal(Math.floor(MAX_POINTS_PER_POST / (2161 + 22)));
        for (const r of served) expect((r.result?.structuredContent?.series as unknown[]).length).to.equal(2161);
        expect(refused.length).to.be.greaterThan(0);
        expect(refused[0].result?.content[0].text).to.include(`more than ${MAX_POINTS_PER_POST} scored points`);
        // Every call fetched the history before its window: 6 h plus LOOKBACK_POINTS steps of 10 s.
        expect(asked).to.have.length(MAX_BATCH_MESSAGES);
        for (const a of asked) expect(a.end - a.start).to.equal(6 * 3600 + LOOKBACK_POINTS * 10);
    });

    describe("hostile Prometheus answers name Prometheus, never 'internal error'", () => {
        const cases: Array<[string, Handler, RegExp]> = [
            [
                "result null",
                (_q, _b, res) => json(res, 200, { status: "success", data: { resultType: "matrix", result: null } }),
                /Prometheus at .* returned a malformed matrix: data.result is not an array/,
            ],
            [
                "result [null]",
                (_q, _b, res) => json(res, 200, { status: "success", data: { resultType: "matrix", result: [null] } }),
                /Prometheus at .*malformed matrix: result\[0\]/,
            ],
            ["data null", (_q, _b, res) => json(res, 200, { status: "success", data: null }), /Prometheus at .* returned no data/],
            ["body null", (_q, _b, res) => json(res, 200, "null"), /Prometheus at .*not an API response/],
            [
                "point [1]",
                (_q, _b, res) =>
                    json(res, 200, { status: "success", data: { resultType: "matrix", result: [{ metric: {}, values: [[1]] }] } }),
                /malformed matrix: result\[0\]\.values\[0\]/,
            ],
            [
                "labels not strings",
                (_q, b, res) => {
                    const m = matrixFor(b) as { data: { result: Array<{ metric: unknown }> } };
                    m.data.result[0].metric = { instance: 5 };
                    json(res, 200, m);
                },
                /malformed labels/,
            ],
            [
                "value object",
                (_q, b, res) => {
                    const m = matrixFor(b) as { data: { result: Array<{ values: unknown[][] }> } };
                    m.data.result[0].values[3][1] = { x: 1 };
                    json(res, 200, m);
                },
                /malformed value at result\[0\]\.values\[3\]/,
            ],
            [
                "error object",
                (_q, _b, res) => json(res, 422, { status: "error", error: { nested: true } }),
                /Prometheus at .*rejected the query \(HTTP 422\)/,
            ],
            [
                "points 8 h in the future",
                (_q, b, res) => json(res, 200, matrixFor(b, { shift: 8 * 3600 })),
                /Prometheus at .*outside the asked window/,
            ],
            [
                "repeated timestamps",
                (_q, b, res) => {
                    const m = matrixFor(b) as { data: { result: Array<{ values: unknown[][] }> } };
                    m.data.result[0].values[5][0] = m.data.result[0].values[4][0];
                    json(res, 200, m);
                },
                /out of order or repeated/,
            ],
            [
                `more than ${PROMETHEUS_MAX_SERIES} series`,
                (_q, _b, res) => {
                    const result = Array.from({ length: PROMETHEUS_MAX_SERIES + 1 }, (_, i) => ({
                        metric: { instance: `n${i}` },
                        values: [],
                    }));
                    json(res, 200, { status: "success", data: { resultType: "matrix", result } });
                },
                new RegExp(`more than the ${PROMETHEUS_MAX_SERIES} this tool reads per query`),
            ],
            [
                `more than ${PROMETHEUS_MAX_POINTS} points`,
                (_q, b, res) => json(res, 200, matrixFor(b, { series: 24 })),
                new RegExp(`more than ${PROMETHEUS_MAX_POINTS} points for one query`),
            ],
            [
                `a body over ${PROMETHEUS_MAX_RESPONSE_BYTES} bytes`,
                (_q, _b, res) => json(res, 200, `{"pad":"${"x".repeat(PROMETHEUS_MAX_RESPONSE_BYTES)}"}`),
                new RegExp(`body over ${PROMETHEUS_MAX_RESPONSE_BYTES} bytes, the most this tool reads`),
            ],
        ];
        for (const [what, handler, error] of cases) {
            it(what, async () => {
                prom.handler = (req, body, res) =>
                    req.url === "/api/v1/query_range" ? handler(req, body, res) : goodPrometheus(req, body, res);
                const r = await toolText(port, { instance_ip: "10.0.0.1", hours: 6 });
                expect(r.isError).to.equal(true);
                expect(r.text).to.match(error);
                expect(r.text).not.to.include("internal error");
            });
        }
    });

    describe("nonsense detector answers name the detector instead of reading as 'no anomalies'", () => {
        const cases: Array<[string, (scores: unknown[], labels: unknown[]) => void, RegExp]> = [
            ["labels of 7", (_s, l) => l.fill(7), /the detector at .*returned label 7 at index 0/],
            ["label 0", (_s, l) => (l[10] = 0), /returned label 0 at index 10/],
            ["scores of 1e308", (s) => s.fill(1e308), /returned score 1e\+308 at index 0 .*lie in \[-1, 0\]/],
            ["a positive score", (s) => (s[3] = 0.5), /returned score 0.5 at index 3/],
            ["a string score", (s) => (s[2] = "NaN"), /returned no 'score' and 'label' outputs/],
        ];
        for (const [what, mutate, error] of cases) {
            it(what, async () => {
                det.handler = (req, body, res) =>
                    isMetadata(req) ? goodDetector(req, body, res) : json(res, 200, detectorAnswer(body, mutate));
                const r = await toolText(port, { instance_ip: "10.0.0.1", hours: 1 });
                expect(r.isError).to.equal(true);
                expect(r.text).to.match(error);
                expect(`${SCORE_RANGE}`).to.equal("-1,0");
            });
        }
        it("outputs nested 10,000 deep (flattening them would overflow the stack)", async () => {
            const deep = `${"[".repeat(10_000)}-0.5${"]".repeat(10_000)}`;
            det.handler = (req, body, res) =>
                isMetadata(req)
                    ? goodDetector(req, body, res)
                    : json(res, 200, JSON.stringify(detectorAnswer(body)).replace('"data":[-0.8', `"data":[${deep}`));
            const r = await toolText(port, { instance_ip: "10.0.0.1", hours: 1 });
            expect(r.isError).to.equal(true);
            expect(r.text).to.match(/the detector at .*returned no 'score' and 'label' outputs/);
        });
        it("outputs that are not an array, or a body that is not an object", async () => {
            for (const answer of [{ outputs: "x" }, [1, 2], 5, { outputs: [null] }]) {
                det.handler = (req, body, res) => (isMetadata(req) ? goodDetector(req, body, res) : json(res, 200, answer));
                const r = await toolText(port, { instance_ip: "10.0.0.1", hours: 1 });
                expect(r.isError).to.equal(true);
                expect(r.text).to.match(/the detector at .*returned no 'score' and 'label'/);
            }
        });
    });

    it("an empty or malformed model-metadata answer names the detector and its URL, never a TypeError or a crash", async () => {
        // Its own server: the shared app has cached node-cpu's metadata (good answers are kept for 5 minutes).
        const config = parseConfig({ PORT: "0", HOST: "127.0.0.1", PROMETHEUS_URL: prom.url, INFERENCE_SERVICE_URL: det.url });
        const fresh = createApp(config, { logger: silentLogger, defaultMetrics: false, now: () => NOW_MS });
        const freshPort = await fresh.listen();
        try {
            const cases: Array<[number, string, RegExp]> = [
                [200, "", /model metadata that is not a JSON object for model node-cpu: \(empty body\)/],
                [200, "null", /model metadata that is not a JSON object for model node-cpu: null/],
                [200, "[1,2]", /model metadata that is not a JSON object for model node-cpu: \[1,2\]/],
                [200, '{"properties":', /model metadata that is not a JSON object for model node-cpu: \{"properties":/],
                [500, "", /answered HTTP 500 for model node-cpu: \(empty body\)/],
            ];
            for (const [status, answer, error] of cases) {
                det.handler = (req, body, res) => (isMetadata(req) ? json(res, status, answer) : goodDetector(req, body, res));
                const r = await toolText(freshPort, { instance_ip: "10.0.0.1", hours: 1 });
                expect(r.isError, answer).to.equal(true);
                expect(r.text).to.match(/the detector at http:\/\/127\.0\.0\.1:\d+\/v2\/models\/node-cpu /);
                expect(r.text).to.match(error);
                expect(r.text).not.to.include("internal error");
            }
            // Properties that are not an object: the documented fallback lookback, not an error.
            det.handler = (req, body, res) => (isMetadata(req) ? json(res, 200, { properties: "x" }) : goodDetector(req, body, res));
            const ok = await toolText(freshPort, { instance_ip: "10.0.0.1", hours: 1 });
            expect(ok.isError, ok.text).to.equal(false);
            expect((await rawRequest(freshPort, "GET", "/healthz")).status).to.equal(200);
        } finally {
            await fresh.close();
        }
    });

    it("answers /readyz within 1 s while Prometheus hangs, from cached state", async () => {
        // Fresh state: both fine. Polled, not asked once: the first check (the process's first fetch to
        // each fake) may take longer than READY_WAIT_MS on a loaded machine, and /readyz then rightly answers
        // 503 "check in progress" (seen under CPU load: 503 where 200 was expected).
        let res = await rawRequest(port, "GET", "/readyz");
        for (const deadline = Date.now() + 10_000; res.status !== 200 && Date.now() < deadline;) {
            await new Promise((r) => setTimeout(r, 100));
            res = await rawRequest(port, "GET", "/readyz");
        }
        expect(res.status, res.body).to.equal(200);
        // How long an answer may take. Not 1,000 ms measured on the wall clock: READY_WAIT_MS is 800 and a
        // loaded machine added up to 717 ms of scheduling (1,057 and 1,517 ms seen under CPU load). Below
        // READY_CHECK_TIMEOUT_MS instead: the first request of the loop and the last each start a check that
        // hangs until that timeout, so a /readyz that waited for the check still fails. The 1 s promise
        // itself is READY_WAIT_MS, held under 1 s below.
        const bound = READY_CHECK_TIMEOUT_MS;
        let t0: number;
        // Prometheus hangs from now on; once the cache is stale, /readyz still answers within 1 s.
        prom.handler = (req, body, r) => (req.url === "/-/ready" ? undefined : goodPrometheus(req, body, r));
        await new Promise((r) => setTimeout(r, 600));
        for (let i = 0; i < 3; i++) {
            t0 = performance.now();
            res = await rawRequest(port, "GET", "/readyz");
            expect(performance.now() - t0).to.be.lessThan(bound);
            expect(READY_WAIT_MS).to.be.lessThan(1000);
        }
        // After the check's own 2 s timeout the cached state says Prometheus is down, still answered at once.
        await new Promise((r) => setTimeout(r, 2_200));
        t0 = performance.now();
        res = await rawRequest(port, "GET", "/readyz");
        expect(performance.now() - t0).to.be.lessThan(bound);
        expect(res.status).to.equal(503);
        expect(JSON.parse(res.body).prometheus.error).to.match(/Prometheus at .* did not answer within 2000 ms/);
        prom.server.closeAllConnections();
    });

    it("answers bodies nested 100,000 deep with a JSON-RPC error or a tool result, never a 500 or a crash", async () => {
        const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
        const bodies = [
            `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"predict_anomalies","arguments":{"instance_ip":"10.0.0.1","hours":1,"x":${deep}}}}`,
            `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"predict_anomalies","arguments":${deep}}}`,
            `{"jsonrpc":"2.0","id":${deep},"method":"tools/list"}`,
            `[${Array.from({ length: 3 }, () => `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":${deep.slice(0, 20_000)}${deep.slice(-20_000)}}}`).join(",")}]`,
        ];
        for (const body of bodies) {
            const res = await rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: `localhost:${port}` }, body);
            expect(res.status).to.be.oneOf([200, 400]);
            expect(res.body).not.to.include("internal error");
        }
        expect((await rawRequest(port, "GET", "/healthz")).status).to.equal(200);
    });

    it("refuses a foreign Origin with 403 by default, and accepts requests without Origin", async () => {
        const evil = await mcp(port, call(1, "list_instances", {}), { origin: "http://evil.example.com" });
        expect(evil.status).to.equal(403);
        expect((evil.body as { error: { message: string } }).error.message).to.include("Invalid Origin header: http://evil.example.com");
        const none = await mcp(port, call(1, "list_instances", {}));
        expect(none.status).to.equal(200);
    });
});

describe("mcp-tool adversarial: Origin allow-list", () => {
    it("accepts only the origins ALLOWED_ORIGINS lists, and refuses bad entries at start", async () => {
        const config = parseConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: "http://127.0.0.1:9/",
            INFERENCE_SERVICE_URL: "http://127.0.0.1:9/",
            ALLOWED_ORIGINS: "https://kagent.example.com, http://localhost:3000",
        });
        expect(config.allowedOrigins).to.deep.equal(["https://kagent.example.com", "http://localhost:3000"]);
        const app = createApp(config, { logger: silentLogger, defaultMetrics: false });
        const port = await app.listen();
        try {
            const init = {
                jsonrpc: "2.0",
                id: 1,
                method: "initialize",
                params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "x", version: "0" } },
            };
            expect((await mcp(port, init, { origin: "https://kagent.example.com" })).status).to.equal(200);
            expect((await mcp(port, init, { origin: "https://KAGENT.example.com:443" })).status).to.equal(200);
            expect((await mcp(port, init, { origin: "http://localhost:3000" })).status).to.equal(200);
            for (const o of ["http://localhost:3001", "https://kagent.example.com.evil.io", "null"])
                expect((await mcp(port, init, { origin: o })).status, o).to.equal(403);
        } finally {
            await app.close();
        }
        expect(() =>
            parseConfig({ PROMETHEUS_URL: "http://p/", INFERENCE_SERVICE_URL: "http://d/", ALLOWED_ORIGINS: "kagent.example.com/path" }),
        ).to.throw(/ALLOWED_ORIGINS entries must be origins/);
    });
});

describe("mcp-tool adversarial: heap under the Dockerfile's flags (child process)", function () {
    this.timeout(120_000);
    const root = join(__dirname, "..");
    let prom: Fake;
    let det: Fake;
    let child: ChildProcess | undefined;
    let port = 0;
    let exited: Promise<number | null>;
    let stderr = "";

    before(async function () {
        // The compiled server, as the image runs it (ts-node would add its own heap).
        const build = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
            encoding: "utf8",
        });
        if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
        prom = await fake(goodPrometheus);
        det = await fake(goodDetector);
        const CHILD = `
const { createApp } = require("./dist/app");
const { parseConfig } = require("./dist/config");
const app = createApp(parseConfig(process.env), { now: () => ${NOW_MS}, logger: { log() {} } });
app.listen().then((port) => process.stderr.write("LISTENING " + port + "\\n"));
`;
        child = spawn(process.execPath, [...IMAGE.nodeFlags, "-e", CHILD], {
            cwd: root,
            env: {
                ...IMAGE.env,
                PATH: process.env.PATH,
                PORT: "0",
                HOST: "127.0.0.1",
                PROMETHEUS_URL: prom.url,
                INFERENCE_SERVICE_URL: det.url,
            },
            stdio: ["ignore", "ignore", "pipe"],
        });
        exited = new Promise((r) => child?.once("exit", (code) => r(code)));
        port = await new Promise<number>((resolve, reject) => {
            child?.stderr?.on("data", (d: Buffer) => {
                stderr += d.toString();
                const m = /LISTENING (\d+)/.exec(stderr);
                if (m) resolve(Number(m[1]));
            });
            void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
        });
    });
    after(async () => {
        child?.kill("SIGKILL");
        await exited;
        for (const f of [prom, det]) {
            f.server.closeAllConnections();
            f.server.close();
        }
    });

    async function alive(): Promise<void> {
        const res = await rawRequest(port, "GET", "/healthz");
        expect(res.status, stderr).to.equal(200);
        expect(child?.exitCode, stderr).to.equal(null);
    }

    it("survives a batch of 100 query_prometheus_and_predict calls over 6 h (was: FATAL Reached heap limit)", async () => {
        const batch = (n: number) =>
            Array.from({ length: n }, (_, i) => call(i, "query_prometheus_and_predict", { instance_ip: "10.0.0.1", time_range_hours: 6 }));
        expect((await mcp(port, batch(100))).status).to.equal(400);
        // The largest batch accepted, twice at once, then six at once (the server-wide point budget holds).
        for (const parallel of [2, 6]) {
            const rs = await Promise.all(Array.from({ length: parallel }, () => mcp(port, batch(MAX_BATCH_MESSAGES))));
            for (const r of rs) expect(r.status, r.text.slice(0, 200)).to.equal(200);
            if (parallel === 6) {
                const texts = rs.flatMap((r) => (r.body as RpcResult[]).map((x) => x.result?.content[0].text ?? ""));
                expect(texts.some((t) => t.includes("the server is busy"))).to.equal(true);
            }
        }
        await alive();
    });

    it("survives the largest Prometheus answer it accepts, eight at once (was: heap exhausted below the 16 MiB cap)", async () => {
        // Just under every cap: ~2 MiB, 49,020 points in 20 series (6 h at 10 s is 2,161 points per series, and
        // the tool asks for LOOKBACK_POINTS more before the window: 2,451).
        const SERIES = Math.floor(PROMETHEUS_MAX_POINTS / (2161 + LOOKBACK_POINTS));
        prom.handler = (req, body, res) =>
            req.url === "/api/v1/query_range" ? json(res, 200, matrixFor(body, { series: SERIES })) : goodPrometheus(req, body, res);
        const sample = JSON.stringify(
            matrixFor(new URLSearchParams({ start: String(-LOOKBACK_POINTS * 10), end: String(6 * 3600), step: "10" }).toString(), {
                series: SERIES,
            }),
        );
        expect(sample.length)
            .to.be.lessThan(PROMETHEUS_MAX_RESPONSE_BYTES)
            .and.greaterThan(PROMETHEUS_MAX_RESPONSE_BYTES * 0.5);
        expect(SERIES * (2161 + LOOKBACK_POINTS)).to.be.greaterThan(PROMETHEUS_MAX_POINTS * 0.95);
        const batch = Array.from({ length: 8 }, (_, i) => call(i, "predict_anomalies", { instance_ip: "10.0.0.1", hours: 6 }));
        const rs = await Promise.all([mcp(port, batch), mcp(port, batch)]);
        for (const r of rs) {
            expect(r.status).to.equal(200);
            // Parsed and checked, then refused by the tool: the instance matched several series.
            for (const x of r.body as RpcResult[]) expect(x.result?.content[0].text).to.include("matches several targets");
        }
        // Over the byte cap: abandoned while streaming.
        prom.handler = (req, body, res) =>
            req.url === "/api/v1/query_range" ? json(res, 200, matrixFor(body, { series: 60 })) : goodPrometheus(req, body, res);
        const over = await mcp(port, batch);
        for (const x of over.body as RpcResult[]) expect(x.result?.content[0].text).to.match(/body over \d+ bytes|more than \d+ points/);
        prom.handler = goodPrometheus;
        await alive();
    });
});
