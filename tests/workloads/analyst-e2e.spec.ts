// The alert analyst with real processes: Debian's Alertmanager 0.25, configured with the route the stack
// renders, posts its webhook to the real analyst (`node workloads/mcp-tool/dist/analyst.js`), which asks a
// stand-in A2A peer (checking every request against the A2A v0.3.0 JSON schema in ../shared/reference/a2a)
// and posts its report to a stand-in Slack webhook. Prometheus and the Kubernetes API are stand-ins.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import { expect } from "chai";
import { stringify } from "yaml";
import { REPO_ROOT, runStack } from "../harness";
import { analystWebhookUrl } from "../../components/workloads/analyst";

const ANALYST = path.join(REPO_ROOT, "workloads/mcp-tool/dist/analyst.js");
const A2A_SCHEMA = path.resolve(REPO_ROOT, "../shared/reference/a2a/a2a-v0.3.0.schema.json");
const ALERTMANAGER = "prometheus-alertmanager";

/** SIGTERM, then waits for the exit (SIGKILL after 10 s): the process may still write files after the signal. */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
}
const TOKEN = "test-sa-token";
const QUEUE_SIZE = 50;
/** Where the analyst dumps its sample report for docs/alerts.md (ANALYST_SAMPLE_REPORT=<file>). */
const SAMPLE_REPORT = process.env.ANALYST_SAMPLE_REPORT;

const hasAlertmanager = spawnSync(ALERTMANAGER, ["--version"]).status === 0;

interface Recorded {
    readonly path: string;
    readonly body: any;
    readonly headers: IncomingMessage["headers"];
}

/** A loopback HTTP server recording every request; `handler` answers. */
async function stub(
    handler: (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>,
): Promise<{ server: Server; url: string; requests: Recorded[] }> {
    const requests: Recorded[] = [];
    const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            let json: unknown = body;
            try {
                json = body ? JSON.parse(body) : undefined;
            } catch {
                /* kept as text */
            }
            requests.push({ path: req.url ?? "", body: json, headers: req.headers });
            void Promise.resolve(handler(req, body, res)).catch((e) => {
                res.writeHead(500);
                res.end(String(e));
            });
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const v = await f();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Reads one counter/gauge from the analyst's /metrics (sum over label sets). */
async function metric(base: string, name: string): Promise<number> {
    const text = await (await fetch(`${base}/metrics`)).text();
    return text
        .split("\n")
        .filter((l) => l.startsWith(name) && (l[name.length] === " " || l[name.length] === "{"))
        .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("alert analyst end to end (real Alertmanager -> analyst -> A2A peer -> webhook)", function () {
    this.timeout(180_000);
    const validateSend = (() => {
        const schema = JSON.parse(fs.readFileSync(A2A_SCHEMA, "utf8"));
        const ajv = new Ajv({ strict: false, allErrors: true });
        ajv.addSchema(schema, "a2a");
        return ajv.getSchema("a2a#/definitions/SendMessageRequest")!;
    })();
    const schemaErrors: string[] = [];
    let agentMode: "answer" | "slow" | "error" = "answer";
    let agentDelayMs = 0;
    let agent: Awaited<ReturnType<typeof stub>>;
    let sink: Awaited<ReturnType<typeof stub>>;
    let prom: Awaited<ReturnType<typeof stub>>;
    let kube: Awaited<ReturnType<typeof stub>>;
    let dir: string;
    let analyst: ChildProcess;
    let analystUrl: string;
    let analystLog = "";
    let am: ChildProcess | undefined;
    let amUrl: string;

    const reports = (): string[] => sink.requests.map((r) => r.body.text as string);

    before(async function () {
        if (!hasAlertmanager) {
            if (process.env.CI) throw new Error("prometheus-alertmanager is required in CI (apt-get install prometheus-alertmanager)");
            this.skip();
        }
        if (!fs.existsSync(ANALYST)) throw new Error(`${ANALYST} is missing: run \`npm run build\` first`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "analyst-e2e-"));

        agent = await stub(async (req, body, res) => {
            const parsed = JSON.parse(body);
            if (!validateSend(parsed)) schemaErrors.push(JSON.stringify(validateSend.errors));
            if (agentMode === "slow") await sleep(5_000);
            if (agentMode === "error") {
                res.writeHead(503);
                res.end("agent unavailable");
                return;
            }
            if (agentDelayMs) await sleep(agentDelayMs);
            res.writeHead(200, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    jsonrpc: "2.0",
                    id: parsed.id,
                    result: {
                        kind: "message",
                        messageId: "reply-1",
                        role: "agent",
                        parts: [
                            {
                                kind: "text",
                                text: `1. **A runaway process saturates the CPU** — the window climbs from 20% to 97% while the other metrics stay flat. *Remediation:* \`kubectl top pods -A --sort-by=cpu\` on the node and restart or limit the top consumer.\n2. **A noisy neighbour after a reschedule** — a pod was scheduled on the node just before the rise. *Remediation:* cordon the node and let the scheduler spread the load.`,
                            },
                        ],
                    },
                }),
            );
        });
        sink = await stub((_req, _body, res) => {
            res.writeHead(200);
            res.end("ok");
        });
        // Prometheus: a CPU window that climbs, and the scorer's anomaly scores.
        prom = await stub((req, _body, res) => {
            const u = new URL(req.url ?? "/", "http://x");
            const q = u.searchParams.get("query") ?? "";
            const start = Number(u.searchParams.get("start"));
            const values = (f: (i: number) => number) => Array.from({ length: 30 }, (_, i) => [start + i * 60, String(f(i))]);
            const result = q.startsWith("aiops_anomaly_score")
                ? [
                      { metric: { instance: "node-1:9100", metric: "cpu" }, values: values((i) => (i < 20 ? 0.3 : 0.9)) },
                      { metric: { instance: "node-1:9100", metric: "memory" }, values: values(() => 0.35) },
                  ]
                : [{ metric: { instance: "node-1:9100" }, values: values((i) => (i < 20 ? 20 + i : 97)) }];
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result } }));
        });
        kube = await stub((req, _body, res) => {
            if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                res.writeHead(401);
                res.end(JSON.stringify({ kind: "Status", code: 401 }));
                return;
            }
            res.writeHead(200, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    kind: "EventList",
                    items: [
                        {
                            type: "Normal",
                            reason: "Scheduled",
                            message: "Successfully assigned batch/crunch-7f9 to node-1",
                            involvedObject: { kind: "Node", name: "node-1" },
                            lastTimestamp: "2026-12-02T14:00:00Z",
                            count: 1,
                        },
                    ],
                }),
            );
        });
        fs.writeFileSync(path.join(dir, "token"), TOKEN);

        const port = await freePort();
        analystUrl = `http://127.0.0.1:${port}`;
        analyst = spawn(process.execPath, [ANALYST], {
            env: {
                PATH: process.env.PATH,
                PORT: String(port),
                HOST: "127.0.0.1",
                A2A_URL: `${agent.url}/api/a2a/kagent/aiops-sre-agent/`,
                PROMETHEUS_URL: prom.url,
                INFERENCE_SERVICE_URL: "http://detector.invalid:8080",
                REPORT_WEBHOOK_URL: `${sink.url}/services/T000/B000/XXXX`,
                KUBERNETES_API_URL: kube.url,
                KUBERNETES_TOKEN_FILE: path.join(dir, "token"),
                KUBERNETES_CA_FILE: path.join(dir, "none"),
                QUEUE_SIZE: String(QUEUE_SIZE),
                WORKERS: "2",
                AGENT_TIMEOUT_MS: "1500",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        analyst.stdout!.on("data", (d) => (analystLog += d));
        analyst.stderr!.on("data", (d) => (analystLog += d));
        await waitFor("the analyst to listen", async () => (await fetch(`${analystUrl}/healthz`).catch(() => undefined))?.ok);

        // The route the homelab stack renders into kube-prometheus-stack's values, pointed at this analyst and
        // only faster: 30 s / 5 min grouping would make the test wait minutes.
        const run = await runStack("homelab", { delivery: "helm" });
        const kps = run.registrations.find(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "kube-prometheus-stack",
        );
        expect(kps, "the kube-prometheus-stack release").to.not.equal(undefined);
        const config = JSON.parse(JSON.stringify((kps!.inputs as any).values.alertmanager.config));
        const text = JSON.stringify(config);
        expect(text).to.contain(analystWebhookUrl());
        const local = JSON.parse(text.split(analystWebhookUrl()).join(`${analystUrl}/alerts`));
        local.route = { ...local.route, group_wait: "1s", group_interval: "2s", repeat_interval: "1h" };
        delete local.templates;
        fs.writeFileSync(path.join(dir, "alertmanager.yml"), stringify(local));
        const amPort = await freePort();
        amUrl = `http://127.0.0.1:${amPort}`;
        am = spawn(
            ALERTMANAGER,
            [
                `--config.file=${path.join(dir, "alertmanager.yml")}`,
                `--storage.path=${path.join(dir, "am-data")}`,
                `--web.listen-address=127.0.0.1:${amPort}`,
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        let amLog = "";
        am.stderr!.on("data", (d) => (amLog += d));
        await waitFor(`Alertmanager to be ready (${amLog})`, async () => (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok);
    });

    after(async () => {
        // Alertmanager writes its notification log and silences snapshot into am-data on SIGTERM; removing the
        // directory while it does failed with ENOTEMPTY. Wait for both processes to exit first.
        await Promise.all([stopProcess(am), stopProcess(analyst)]);
        for (const s of [agent, sink, prom, kube]) s?.server.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") console.log(analystLog.slice(-4000));
    });

    const postToAlertmanager = async (alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string> }>) => {
        const res = await fetch(`${amUrl}/api/v2/alerts`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(
                alerts.map((a) => ({ ...a, startsAt: new Date().toISOString(), generatorURL: "http://prometheus/graph" })),
            ),
        });
        expect(res.status, await res.text()).to.equal(200);
    };

    it("a firing warning reaches the analyst through Alertmanager; the report names the alert and instance, with the agent's causes and the context", async () => {
        await postToAlertmanager([
            {
                labels: {
                    alertname: "NodeMetricAnomalous",
                    severity: "warning",
                    instance: "node-1:9100",
                    metric: "cpu",
                    component: "scorer",
                },
                annotations: {
                    summary: "cpu on node-1:9100 has been anomalous for 5 minutes",
                    runbook_url: "https://github.com/aiops-mlops/aiops-mlops-platform/blob/main/docs/runbooks.md#nodemetricanomalous",
                },
            },
            // info is not routed to the analyst.
            { labels: { alertname: "InfoOnly", severity: "info", instance: "node-1:9100" } },
        ]);
        const report = await waitFor("a report", () => reports().find((r) => r.includes("NodeMetricAnomalous")));
        expect(report).to.contain("NodeMetricAnomalous on node-1:9100 (warning)");
        expect(report).to.contain("A runaway process saturates the CPU");
        expect(report).to.contain("*Remediation:*");
        expect(report).to.contain("**cpu on node-1:9100, last 30 min**");
        expect(report).to.match(/`cpu` last 0\.900/);
        expect(report).to.contain("Scheduled Node/node-1: Successfully assigned batch/crunch-7f9 to node-1");
        expect(sink.requests[0].path).to.equal("/services/T000/B000/XXXX");
        expect(Object.keys(sink.requests[0].body)).to.deep.equal(["text"]);
        // The agent got a schema-valid message/send whose text carries the context.
        expect(schemaErrors).to.deep.equal([]);
        const asked = agent.requests.map((r) => r.body.params.message.parts[0].text as string);
        expect(
            asked.some((t) => t.includes("NodeMetricAnomalous") && t.includes("node-1:9100") && t.includes("Recent Kubernetes events")),
        ).to.equal(true);
        // The Kubernetes stand-in was asked for the node's events with the ServiceAccount token.
        expect(kube.requests.map((r) => decodeURIComponent(r.path))).to.include(
            "/api/v1/events?fieldSelector=involvedObject.kind=Node,involvedObject.name=node-1&limit=50",
        );
        await sleep(3_000);
        expect(reports().filter((r) => r.includes("InfoOnly"))).to.deep.equal([]);
        expect(reports().filter((r) => r.includes("NodeMetricAnomalous"))).to.have.length(1);
        if (SAMPLE_REPORT) fs.writeFileSync(SAMPLE_REPORT, report);
    });

    it("when the agent is down or slow the report still goes out with the context and says so", async () => {
        const failuresBefore = await metric(analystUrl, "analyst_agent_failures_total");
        agentMode = "error";
        await postToAlertmanager([
            { labels: { alertname: "DetectorDown", severity: "critical", namespace: "aiops-serving", pod: "anomaly-detector-0" } },
        ]);
        const down = await waitFor("the report without the agent", () => reports().find((r) => r.includes("DetectorDown")));
        expect(down).to.contain("**No AI analysis:**");
        expect(down).to.contain("HTTP 503");
        agentMode = "slow";
        await postToAlertmanager([{ labels: { alertname: "McpToolDown", severity: "critical", namespace: "aiops", pod: "aiops-mcp-0" } }]);
        const slow = await waitFor("the report with a slow agent", () => reports().find((r) => r.includes("McpToolDown")));
        expect(slow).to.contain("**No AI analysis:**");
        expect(slow).to.contain("did not answer within 1500 ms");
        expect(slow).to.contain("**Recent Kubernetes events**");
        agentMode = "answer";
        expect(await metric(analystUrl, "analyst_agent_failures_total")).to.equal(failuresBefore + 2);
    });

    it("answers 400 with the reason to a malformed payload, and analyses a fingerprint once until it resolves", async () => {
        const bad = await fetch(`${analystUrl}/alerts`, {
            method: "POST",
            body: JSON.stringify({ version: "4", status: "firing", alerts: [{ status: "firing", labels: { alertname: "X" } }] }),
        });
        expect(bad.status).to.equal(400);
        expect(((await bad.json()) as { error: string }).error).to.equal(
            "alerts[0].fingerprint must be a non-empty string (Alertmanager sets it)",
        );
        const v3 = await fetch(`${analystUrl}/alerts`, { method: "POST", body: JSON.stringify({ version: "3", alerts: [] }) });
        expect(v3.status).to.equal(400);
        expect(((await v3.json()) as { error: string }).error).to.contain('version must be "4"');

        const alert = (status: string) => ({
            version: "4",
            status,
            alerts: [
                { status, labels: { alertname: "Once", severity: "warning", instance: "node-9:9100" }, fingerprint: "f00d", startsAt: "" },
            ],
        });
        const post = (status: string) => fetch(`${analystUrl}/alerts`, { method: "POST", body: JSON.stringify(alert(status)) });
        expect((await post("firing")).status).to.equal(202);
        expect((await post("firing")).status).to.equal(202);
        await waitFor("the first report", () => reports().find((r) => r.includes("Once on node-9:9100")));
        await post("firing");
        await sleep(500);
        expect(reports().filter((r) => r.includes("Once on node-9:9100"))).to.have.length(1);
        await post("resolved");
        await post("firing");
        await waitFor(
            "the second report after resolving",
            () => reports().filter((r) => r.includes("Once on node-9:9100")).length === 2 || undefined,
        );
    });

    it("a burst of 1,000 alerts in 10 s through Alertmanager: no queued alert is lost, the overflow is counted as dropped", async () => {
        agentDelayMs = 50;
        const before = reports().length;
        // The analyst counts a report as sent once the webhook has answered, after the webhook saw it: the
        // last report of the test before may not be counted yet. Wait until the counter matches the webhook.
        const sentBefore = await waitFor("the earlier reports counted as sent", async () => {
            const sent = await metric(analystUrl, "analyst_reports_sent_total");
            return sent === before ? sent : undefined;
        });
        const t0 = Date.now();
        for (let batch = 0; batch < 10; batch++) {
            await postToAlertmanager(
                Array.from({ length: 100 }, (_, i) => ({
                    labels: { alertname: "BurstAnomaly", severity: "warning", instance: `burst-${batch * 100 + i}:9100`, metric: "memory" },
                })),
            );
            await sleep(Math.max(0, t0 + (batch + 1) * 1000 - Date.now()));
        }
        expect(Date.now() - t0).to.be.below(11_500);
        // Alertmanager re-sends the whole group every group_interval, so dropped alerts get more chances;
        // wait until the analyst has seen all 1,000 and has gone quiet. Quiet is read at the END of the 3 s as
        // well as the start (a notification landing during the pause queues work the start did not see), and
        // the webhook has received exactly the reports counted as sent (none between the webhook and the
        // counter), so the counts read below are the final ones.
        await waitFor(
            "the analyst to go idle",
            async () => {
                const depth = await metric(analystUrl, "analyst_queue_depth");
                const sent = await metric(analystUrl, "analyst_reports_sent_total");
                const received = await metric(analystUrl, "analyst_alerts_received_total");
                await sleep(3_000);
                const quiet =
                    depth === 0 &&
                    (await metric(analystUrl, "analyst_queue_depth")) === 0 &&
                    sent === (await metric(analystUrl, "analyst_reports_sent_total")) &&
                    received === (await metric(analystUrl, "analyst_alerts_received_total")) &&
                    reports().length === sent;
                return quiet ? true : undefined;
            },
            120_000,
        );
        agentDelayMs = 0;
        const burst = reports()
            .slice(before)
            .map((r) => /BurstAnomaly on (burst-\d+):9100/.exec(r)?.[1])
            .filter((x): x is string => x !== undefined);
        const dropped = await metric(analystUrl, "analyst_alerts_dropped_total");
        const sent = (await metric(analystUrl, "analyst_reports_sent_total")) - sentBefore;
        console.log(
            `      burst: ${burst.length} analysed, ${1000 - burst.length} never queued, dropped counter ${dropped}, took ${Date.now() - t0} ms`,
        );
        expect(new Set(burst).size, "each alert analysed at most once").to.equal(burst.length);
        expect(sent, "every queued alert reported").to.equal(burst.length);
        expect(dropped, "the queue overflowed and it was counted").to.be.greaterThan(0);
        expect(dropped, "every alert never analysed was counted as dropped").to.be.at.least(1000 - burst.length);
        expect(burst.length).to.be.at.least(QUEUE_SIZE);
        expect(await metric(analystUrl, "analyst_alerts_received_total")).to.be.at.least(1000);
        expect(schemaErrors).to.deep.equal([]);
    });
});
