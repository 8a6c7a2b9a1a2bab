// The alert analyst's pure parts and its HTTP contract, in process: configuration errors, the webhook
// payload's validation, the A2A answer shapes, the bounded queue with deduplication, and the report
// when the agent fails. The real-process test is tests/workloads/analyst-e2e.spec.ts.
import { expect } from "chai";
import { parseWebhookMessage } from "../src/analyst/alertmanager";
import { answerText, sendMessageRequest } from "../src/analyst/a2a";
import { createAnalyst, ReportSink } from "../src/analyst/app";
import { AnalystConfig, parseAnalystConfig } from "../src/analyst/config";
import { gatherContext, hostOf } from "../src/analyst/context";
import { reportMarkdown, sparkline } from "../src/analyst/report";
import { silentLogger } from "../src/log";

const ENV = { A2A_URL: "http://agent:8083/a2a/", PROMETHEUS_URL: "http://prom:9090", INFERENCE_SERVICE_URL: "http://det" };

describe("analyst configuration", () => {
    it("defaults to port 9103 and the log as report sink", () => {
        const c = parseAnalystConfig(ENV);
        expect(c).to.include({ port: 9103, queueSize: 100, workers: 2, reportWebhookUrl: undefined, a2aUrl: "http://agent:8083/a2a" });
    });

    it("lists every problem with the variable and the fix", () => {
        expect(() => parseAnalystConfig({ PROMETHEUS_URL: "prom:9090", QUEUE_SIZE: "0", INFERENCE_SERVICE_URL: "http://d" }))
            .to.throw()
            .with.property("problems")
            .that.deep.equals([
                "A2A_URL is required: set it to an http(s) URL",
                "PROMETHEUS_URL must be an http(s) URL such as http://host:port; got 'prom:9090'",
                "QUEUE_SIZE must be an integer from 1 to 100000; got '0'",
            ]);
    });

    it("uses the in-cluster API server when running in a pod", () => {
        expect(
            parseAnalystConfig({ ...ENV, KUBERNETES_SERVICE_HOST: "10.43.0.1", KUBERNETES_SERVICE_PORT: "443" }).kubernetesApiUrl,
        ).to.equal("https://10.43.0.1:443");
    });
});

describe("Alertmanager webhook payload", () => {
    const alert = { status: "firing", labels: { alertname: "A" }, annotations: {}, fingerprint: "f1", startsAt: "t" };

    it("accepts version 4 and names the bad field otherwise", () => {
        expect(parseWebhookMessage({ version: "4", status: "firing", alerts: [alert] }).alerts[0].fingerprint).to.equal("f1");
        const bad = (body: unknown) => {
            try {
                parseWebhookMessage(body);
            } catch (e) {
                return (e as Error).message;
            }
            return "accepted";
        };
        expect(bad([])).to.match(/body must be a JSON object/);
        expect(bad({ version: 4, alerts: [] })).to.equal('version must be "4" (Alertmanager webhook payload); got 4');
        expect(bad({ version: "4", status: "firing" })).to.equal("alerts must be an array");
        expect(bad({ version: "4", status: "firing", alerts: [{ ...alert, status: "ok" }] })).to.equal(
            'alerts[0].status must be "firing" or "resolved"; got "ok"',
        );
        expect(bad({ version: "4", status: "firing", alerts: [{ ...alert, labels: { severity: "x" } }] })).to.equal(
            "alerts[0].labels.alertname is required",
        );
        expect(bad({ version: "4", status: "firing", alerts: [{ ...alert, labels: { alertname: "A", n: 1 } }] })).to.equal(
            "alerts[0].labels.n must be a string; got number",
        );
    });
});

describe("A2A message/send", () => {
    it("builds a user text message with blocking configuration", () => {
        const r = sendMessageRequest("hi", "1", "m1") as any;
        expect(r).to.deep.include({ jsonrpc: "2.0", id: "1", method: "message/send" });
        expect(r.params.message).to.deep.equal({ kind: "message", messageId: "m1", role: "user", parts: [{ kind: "text", text: "hi" }] });
    });

    it("reads the text of a Message, of a Task's artifacts, and refuses errors and failed tasks", () => {
        expect(answerText({ jsonrpc: "2.0", id: 1, result: { kind: "message", parts: [{ kind: "text", text: "a" }] } })).to.equal("a");
        const task = (state: string, artifacts: unknown[] = []) => ({
            jsonrpc: "2.0",
            id: 1,
            result: {
                kind: "task",
                id: "t",
                contextId: "c",
                status: { state, message: { parts: [{ kind: "text", text: "why" }] } },
                artifacts,
            },
        });
        expect(
            answerText(
                task("completed", [
                    {
                        artifactId: "x",
                        parts: [
                            { kind: "text", text: "b" },
                            { kind: "data", data: {} },
                        ],
                    },
                ]),
            ),
        ).to.equal("b");
        expect(answerText(task("completed"))).to.equal("why");
        expect(() => answerText(task("failed"))).to.throw("the agent's task ended failed: why");
        expect(() => answerText({ jsonrpc: "2.0", id: 1, error: { code: -32601, message: "Method not found" } })).to.throw(
            "JSON-RPC error -32601: Method not found",
        );
        expect(() => answerText({ jsonrpc: "2.0", id: 1, result: { kind: "message", parts: [] } })).to.throw("contains no text");
    });
});

describe("analyst context and report", () => {
    it("strips the port from an instance to name the node", () => {
        expect(hostOf("node-1:9100")).to.equal("node-1");
        expect(hostOf("[fd00::1]:9100")).to.equal("fd00::1");
        expect(hostOf("10.0.0.5")).to.equal("10.0.0.5");
        expect(sparkline([0, 1, 2, 3])).to.equal("▁▃▆█");
    });

    it("records what could not be gathered and still reports, saying why the agent is missing", async () => {
        const alert = parseWebhookMessage({
            version: "4",
            status: "firing",
            alerts: [
                {
                    status: "firing",
                    labels: { alertname: "NodeMetricAnomalous", instance: "node-1:9100", metric: "cpu", severity: "warning" },
                    fingerprint: "f",
                },
            ],
        }).alerts[0];
        const c = await gatherContext(
            alert,
            {
                queryRange: async () => {
                    throw new Error("Prometheus at http://prom:9090/api/v1/query_range did not answer within 5000 ms");
                },
                events: async (t) => [
                    { time: "t", type: "Warning", reason: "NodeNotReady", object: `Node/${t.name}`, message: "kubelet stopped", count: 2 },
                ],
            },
            30,
            1_000_000,
        );
        const md = reportMarkdown(c, { ok: false, reason: "the agent at http://agent failed (timeout)" });
        expect(md).to.contain("NodeMetricAnomalous on node-1:9100 (warning)");
        expect(md).to.contain("**No AI analysis:** the agent at http://agent failed (timeout)");
        expect(md).to.contain("Warning NodeNotReady Node/node-1 (x2): kubelet stopped");
        expect(md).to.contain("- cpu window: Prometheus at http://prom:9090/api/v1/query_range did not answer within 5000 ms");
    });
});

describe("analyst queue", () => {
    const config: AnalystConfig = { ...parseAnalystConfig(ENV), port: 0, host: "127.0.0.1", queueSize: 2, workers: 1 };
    const body = (fps: string[], status = "firing") =>
        JSON.stringify({ version: "4", status, alerts: fps.map((f) => ({ status, labels: { alertname: "A" }, fingerprint: f })) });

    it("answers 202 at once, analyses each fingerprint once, drops and counts what does not fit", async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const posted: string[] = [];
        const sink: ReportSink = { post: async (_md, a) => void posted.push(a.fingerprint) };
        const app = createAnalyst(config, {
            logger: silentLogger,
            defaultMetrics: false,
            sink,
            sources: { queryRange: async () => [], events: async () => [] },
            agent: { ask: () => gate.then(() => "cause") },
        });
        const port = await app.listen();
        const post = async (b: string) => {
            const res = await fetch(`http://127.0.0.1:${port}/alerts`, { method: "POST", body: b });
            return { status: res.status, body: (await res.json()) as Record<string, number> };
        };
        try {
            // One in flight (blocked on the agent), two queued, two dropped; the repeat of f1 is deduplicated.
            expect(await post(body(["f1", "f2", "f3", "f4", "f5"]))).to.deep.equal({
                status: 202,
                body: { queued: 3, duplicates: 0, dropped: 2, resolved: 0 },
            });
            expect((await post(body(["f1"]))).body).to.include({ duplicates: 1 });
            const metrics = await app.registry.metrics();
            expect(metrics).to.contain("analyst_alerts_dropped_total 2");
            expect(metrics).to.contain("analyst_queue_depth 2");
            release();
            await app.idle();
            expect(posted).to.deep.equal(["f1", "f2", "f3"]);
            expect(await app.registry.metrics()).to.contain("analyst_reports_sent_total 3");
            expect((await post("{")).status).to.equal(400);
            expect((await fetch(`http://127.0.0.1:${port}/alerts`)).status).to.equal(405);
        } finally {
            release();
            await app.close();
        }
    });
});
