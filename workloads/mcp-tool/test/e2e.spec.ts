/**
 * End to end against a real Prometheus (backfilled with promtool) and the real detector server, through the
 * MCP SDK client. Skips on a laptop without prometheus/promtool; fails in CI if they are missing.
 *
 * "Now" is a clock passed to createApp in code: the backfilled data ends at a fixed time (DATA_END), so
 * every run sees identical series and models, and no environment variable can move a production server's clock.
 */
import { createServer, Server } from "node:http";
import { expect } from "chai";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AnalysisResult } from "../src/analysis";
import { App, createApp } from "../src/app";
import { parseConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { METRIC_NAMES } from "@aiops/contract";
import { rawRequest } from "./support/http";
import { NODES } from "./support/nodeData";
import { freePort, requirePrometheusTools } from "./support/prometheus";
import { ANALYSED_HOURS, Stack, startStack } from "./support/stack";

/** Points outside a planted interval (plus RATE_LAG for the 5-minute rate window and the detector's baseline) that may be flagged. */
const MAX_FALSE_POSITIVE_SHARE = 0.05;
const RATE_LAG = 600;

type Structured<T> = CallToolResult & { structuredContent: T };

describe("mcp-tool end to end (real Prometheus + detector)", function () {
    this.timeout(120_000);
    let stack: Stack;
    const apps: App[] = [];
    const clients: Client[] = [];
    let client: Client;
    let appPort: number;

    async function startMcp(env: Record<string, string> = {}): Promise<{ client: Client; port: number }> {
        const config = parseConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: stack.prometheus.url,
            INFERENCE_SERVICE_URL: stack.detectorUrl,
            ...env,
        });
        const app = createApp(config, { now: () => stack.nowMs, logger: silentLogger, defaultMetrics: false });
        apps.push(app);
        const port = await app.listen();
        const c = new Client({ name: "e2e", version: "0" });
        await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
        clients.push(c);
        return { client: c, port };
    }

    async function call<T = AnalysisResult>(c: Client, name: string, args: Record<string, unknown>): Promise<Structured<T>> {
        return (await c.callTool({ name, arguments: args })) as Structured<T>;
    }

    const textOf = (r: CallToolResult): string => (r.content[0] as { text: string }).text;

    before(async function () {
        await requirePrometheusTools(this);
        // contamination 0.01: models flag 1% of their training points, so a normal window has few flags
        stack = await startStack({ contamination: 0.01 });
        ({ client, port: appPort } = await startMcp());
    });

    after(async () => {
        for (const c of clients) await c.close().catch(() => undefined);
        for (const a of apps) await a.close();
        await stack?.close();
    });

    it("lists both nodes with their node name and architecture", async () => {
        const r = await call<{ count: number; instances: Array<Record<string, unknown>> }>(client, "list_instances", {});
        expect(r.isError ?? false).to.equal(false);
        expect(r.structuredContent.instances).to.deep.equal([
            { instance: "10.0.0.11:9100", nodename: "homelab-server", machine: "aarch64", arch: "arm64", job: "node-exporter", up: true },
            { instance: "10.0.0.12:9100", nodename: "homelab-worker", machine: "x86_64", arch: "amd64", job: "node-exporter", up: true },
        ]);
        expect(textOf(r)).to.equal(
            "2 node-exporter instances: 10.0.0.11:9100 (homelab-server, arm64), 10.0.0.12:9100 (homelab-worker, amd64).",
        );
    });

    for (const metric of METRIC_NAMES) {
        it(`finds the planted ${metric} anomaly and flags few points outside it`, async () => {
            const planted = stack.spec.anomalies.find((a) => a.metric === metric)!;
            // a bare IP: the tool must match the instance label 10.0.0.11:9100
            const r = await call(client, "predict_anomalies", { instance_ip: "10.0.0.11", hours: ANALYSED_HOURS, metric });
            expect(r.isError ?? false, textOf(r)).to.equal(false);
            const s = r.structuredContent;
            expect(s.instance).to.equal(NODES[0].instance);
            expect(s.metric).to.equal(metric);
            expect(s.model).to.equal(`node-${metric}`);
            expect(s.window).to.deep.equal({ start: "2026-01-15T06:00:00Z", end: "2026-01-15T12:00:00Z", step: 10, hours: ANALYSED_HOURS });
            expect(s.points).to.equal(2161);
            expect(s.anomalyCount).to.equal(s.anomalies.length);

            // The longest period is the planted one.
            const longest = [...s.periods].sort((a, b) => b.count - a.count)[0];
            const [from, to] = [Date.parse(longest.start) / 1000, Date.parse(longest.end) / 1000];
            expect(
                from <= planted.end + RATE_LAG && to >= planted.start,
                `${planted.what}: longest period ${longest.start}..${longest.end}`,
            ).to.equal(true);
            expect(textOf(r)).to.include(`between ${longest.start.slice(11, 16)} and ${longest.end.slice(11, 16)} UTC`);

            // Few flags elsewhere: at most MAX_FALSE_POSITIVE_SHARE of the window.
            const outside = s.anomalies.filter((a) => {
                const t = Date.parse(a.timestamp) / 1000;
                return t < planted.start || t > planted.end + RATE_LAG;
            });
            expect(outside.length, `${outside.length} of ${s.points} flagged outside the planted interval`).to.be.at.most(
                MAX_FALSE_POSITIVE_SHARE * s.points,
            );
            expect(textOf(r)).to.match(
                new RegExp(
                    `^${metric} on 10\\.0\\.0\\.11:9100, last 6 h \\(06:00–12:00 UTC, 2161 points at 10 s steps\\): ${s.anomalyCount} anomalies \\(`,
                ),
            );
        });
    }

    it("analyses every metric of the second node (models trained on the first)", async () => {
        for (const metric of METRIC_NAMES) {
            const r = await call(client, "predict_anomalies", { instance_ip: NODES[1].instance, hours: 1, metric });
            expect(r.isError ?? false, textOf(r)).to.equal(false);
            expect(r.structuredContent.instance).to.equal(NODES[1].instance);
            expect(r.structuredContent.points).to.equal(361);
        }
    });

    it("query_prometheus_and_predict returns every point with its score and label", async () => {
        const r = await call<AnalysisResult & { series: Array<{ timestamp: string; value: number; score: number; label: number }> }>(
            client,
            "query_prometheus_and_predict",
            { instance_ip: "10.0.0.11:9100", time_range_hours: 2, metric: "network" },
        );
        expect(r.isError ?? false, textOf(r)).to.equal(false);
        const { series, anomalyCount, points } = r.structuredContent;
        expect(series).to.have.length(721);
        expect(points).to.equal(721);
        expect(series.filter((p) => p.label === -1)).to.have.length(anomalyCount);
        expect(series.every((p) => p.label === 1 || p.label === -1)).to.equal(true);
        expect(Date.parse(series[1].timestamp) - Date.parse(series[0].timestamp)).to.equal(10_000);
        // the network burst (60 MB/s) is in the last 2 h and is among the flagged points
        expect(Math.max(...series.filter((p) => p.label === -1).map((p) => p.value))).to.be.greaterThan(5e7);
        expect(textOf(r)).to.match(/The structured result includes all 721 scored points\.$/);
    });

    it("uses DEFAULT_INSTANCE_IP and cpu when the call names neither", async () => {
        const { client: c } = await startMcp({ DEFAULT_INSTANCE_IP: "10.0.0.12" });
        const r = await call(c, "predict_anomalies", { hours: 1 });
        expect(r.isError ?? false, textOf(r)).to.equal(false);
        expect(r.structuredContent.instance).to.equal("10.0.0.12:9100");
        expect(r.structuredContent.metric).to.equal("cpu");
    });

    it("answers an unknown instance with the instances it knows", async () => {
        const r = await call(client, "predict_anomalies", { instance_ip: "10.9.9.9", hours: 6 });
        expect(r.isError).to.equal(true);
        expect(textOf(r)).to.equal(
            "no samples for instance 10.9.9.9 (metric cpu) in the last 6 h; known instances: " +
                "10.0.0.11:9100 (homelab-server, arm64), 10.0.0.12:9100 (homelab-worker, amd64)",
        );
    });

    it("asks for an instance when none is given and no default is configured", async () => {
        const r = await call(client, "predict_anomalies", { hours: 1 });
        expect(r.isError).to.equal(true);
        expect(textOf(r)).to.equal(
            "instance_ip is required because no DEFAULT_INSTANCE_IP is configured; call list_instances to see the nodes",
        );
    });

    const badArgs: Array<[string, Record<string, unknown>, RegExp]> = [
        ["negative hours", { instance_ip: "10.0.0.11", hours: -2 }, /hours must be greater than 0, e\.g\. 1 for the last hour/],
        ["hours over the cap", { instance_ip: "10.0.0.11", hours: 200 }, /hours must be at most 168 \(7 days\)/],
        ["an unknown metric", { instance_ip: "10.0.0.11", hours: 1, metric: "gpu" }, /metric must be one of cpu, memory, disk, network/],
        [
            "an instance that could inject PromQL",
            { instance_ip: '10.0.0.11"} or vector(1', hours: 1 },
            /instance_ip must be a host or host:port such as 10\.0\.1\.10:9100/,
        ],
    ];
    for (const [what, args, message] of badArgs) {
        it(`refuses ${what} with a message naming the argument`, async () => {
            const r = await call(client, "predict_anomalies", args);
            expect(r.isError).to.equal(true);
            expect(textOf(r)).to.match(message);
        });
    }

    it("names Prometheus and its URL when it is down", async () => {
        const closed = await freePort();
        const { client: c } = await startMcp({ PROMETHEUS_URL: `http://127.0.0.1:${closed}` });
        const r = await call(c, "predict_anomalies", { instance_ip: "10.0.0.11", hours: 1 });
        expect(r.isError).to.equal(true);
        expect(textOf(r)).to.equal(
            `Prometheus at http://127.0.0.1:${closed}/api/v1/query_range is unreachable (ECONNREFUSED). Retry later or check the PROMETHEUS_URL setting.`,
        );
    });

    it("names the detector and its URL when it is down", async () => {
        const closed = await freePort();
        const { client: c } = await startMcp({ INFERENCE_SERVICE_URL: `http://127.0.0.1:${closed}` });
        const r = await call(c, "predict_anomalies", { instance_ip: "10.0.0.11", hours: 1 });
        expect(r.isError).to.equal(true);
        expect(textOf(r)).to.equal(
            `the detector at http://127.0.0.1:${closed}/v2/models/node-cpu is unreachable (ECONNREFUSED). Retry later or check the INFERENCE_SERVICE_URL setting.`,
        );
    });

    it("quotes the detector's error for a model it does not serve", async () => {
        const { client: c } = await startMcp({ MODEL_MEMORY: "node-memory-v9" });
        const r = await call(c, "predict_anomalies", { instance_ip: "10.0.0.11", hours: 1, metric: "memory" });
        expect(r.isError).to.equal(true);
        expect(textOf(r)).to.match(
            new RegExp(
                `^the detector at ${stack.detectorUrl}/v2/models/node-memory-v9 answered HTTP 404 for model node-memory-v9: .*node-memory-v9.* \\(is the model deployed\\? check the MODEL_\\* settings\\)\\.$`,
            ),
        );
    });

    describe("with a dependency that never answers", () => {
        let silent: Server;
        let silentUrl: string;
        const TIMEOUT_MS = 300;

        before(async () => {
            silent = createServer(() => {
                // accept the request and never answer
            });
            await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
            const addr = silent.address();
            silentUrl = `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}`;
        });

        after(async () => {
            silent.closeAllConnections();
            await new Promise((resolve) => silent.close(resolve));
        });

        for (const [name, env, display, setting] of [
            ["Prometheus", { PROMETHEUS_URL: "", PROMETHEUS_TIMEOUT_MS: String(TIMEOUT_MS) }, "Prometheus", "PROMETHEUS_URL"],
            [
                "the detector",
                { INFERENCE_SERVICE_URL: "", INFERENCE_TIMEOUT_MS: String(TIMEOUT_MS) },
                "the detector",
                "INFERENCE_SERVICE_URL",
            ],
        ] as const) {
            it(`answers within the timeout when ${name} hangs`, async () => {
                const urlVar = setting;
                const { client: c } = await startMcp({ ...env, [urlVar]: silentUrl });
                const t0 = performance.now();
                const r = await call(c, "predict_anomalies", { instance_ip: "10.0.0.11", hours: 1 });
                const elapsed = performance.now() - t0;
                expect(r.isError).to.equal(true);
                expect(textOf(r)).to.match(
                    new RegExp(
                        `^${display} at ${silentUrl}/\\S+ did not answer within ${TIMEOUT_MS} ms\\. Retry later or check the ${setting} setting\\.$`,
                    ),
                );
                // Bounded, not a speed target: without the timeout this call would hang until the client gave up.
                expect(elapsed, `answered after ${Math.round(elapsed)} ms`).to.be.lessThan(TIMEOUT_MS + 5000);
            });
        }
    });

    it("is ready when both dependencies answer, and counts the calls made", async () => {
        const ready = await rawRequest(appPort, "GET", "/readyz", { host: "10.1.2.3:8080" });
        expect(ready.status).to.equal(200);
        const { checkedAt, ...state } = JSON.parse(ready.body) as Record<string, unknown>;
        expect(state).to.deep.equal({ ready: true, prometheus: { ok: true }, detector: { ok: true } });
        // /readyz answers from a cached dependency check (at most READY_CACHE_MS old) and says when it ran.
        expect(Number.isNaN(Date.parse(String(checkedAt)))).to.equal(false);
        const metrics = await rawRequest(appPort, "GET", "/metrics", { host: "10.1.2.3:8080" });
        expect(metrics.body).to.match(/mcp_tool_calls_total\{tool="predict_anomalies",outcome="success"\} ([5-9]|\d\d)/);
        expect(metrics.body).to.match(/mcp_tool_calls_total\{tool="predict_anomalies",outcome="tool_error"\} \d/);
    });
});
