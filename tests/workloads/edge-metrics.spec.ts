// Edge metrics on hybrid: the edge agent's prometheus.yml, and the whole path with real processes: a
// Prometheus in agent mode (Debian 2.42: `--enable-feature=agent`; the v3 image the edge runs spells it
// `--agent`) remote-writes through the real remote-write gate (workloads/mcp-tool/dist/remote-write-gate.js)
// into a real Prometheus started with --web.enable-remote-write-receiver, which then holds the series with
// the external label `cluster`. Wrong or missing credentials are refused at the gate.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { stringify } from "yaml";
import { DETECTOR_JOB } from "../../components/workloads/alerts";
import { EDGE_PROMETHEUS_IMAGE, GATE_USERNAME, edgeAgentConfig } from "../../components/workloads/edge-metrics";
import { REPO_ROOT } from "../harness";

const GATE = path.join(REPO_ROOT, "workloads/mcp-tool/dist/remote-write-gate.js");
const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0 && spawnSync("promtool", ["--version"]).status === 0;
const PASSWORD = "a-generated-password-of-32-chars";

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const v = await f().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

function requireTools(ctx: Mocha.Context): void {
    if (hasPrometheus) return;
    if (process.env.CI) throw new Error("prometheus and promtool are required in CI (apt-get install prometheus)");
    ctx.skip();
}

describe("edge metrics: the Prometheus agent's config", () => {
    const cfg = edgeAgentConfig("aiops-edge", "http://aiops-control:30904/api/v1/write") as any;

    it("labels every series with the edge cluster and writes to the gate with basic auth from the mounted secret", () => {
        expect(cfg.global.external_labels).to.deep.equal({ cluster: "aiops-edge" });
        expect(cfg.remote_write).to.deep.equal([
            {
                url: "http://aiops-control:30904/api/v1/write",
                basic_auth: { username: GATE_USERNAME, password_file: "/etc/prometheus-remote-write/password" },
            },
        ]);
    });

    it("scrapes the detector under the job name the alert rules use, node-exporter, the kubelet and cAdvisor", () => {
        expect(cfg.scrape_configs.map((s: any) => s.job_name)).to.deep.equal([DETECTOR_JOB, "node-exporter", "kubelet", "cadvisor"]);
        expect(cfg.scrape_configs[3].relabel_configs[1].replacement).to.equal("/api/v1/nodes/$1/proxy/metrics/cadvisor");
        expect(EDGE_PROMETHEUS_IMAGE).to.match(/:v\d+\.\d+\.\d+$/);
    });

    it("passes promtool check config (Kubernetes discovery aside)", function () {
        requireTools(this);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-cfg-"));
        try {
            // Debian builds Prometheus without Kubernetes service discovery ("field kubernetes_sd_configs not
            // found"): swap it for a static target so the rest (relabelling, auth, remote write) is still checked.
            const checkable = {
                ...cfg,
                scrape_configs: cfg.scrape_configs.map(({ kubernetes_sd_configs: _, ...s }: any) => ({
                    ...s,
                    static_configs: [{ targets: ["127.0.0.1:9100"] }],
                })),
            };
            fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify(checkable));
            const out = execFileSync("promtool", ["check", "config", "--syntax-only", path.join(dir, "prometheus.yml")], {
                encoding: "utf8",
            });
            expect(out).to.contain("SUCCESS");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("edge metrics end to end (real Prometheus agent -> gate -> Prometheus receiver)", function () {
    this.timeout(120_000);
    const procs: ChildProcess[] = [];
    let dir: string;
    let central: string;
    let gate: string;

    before(async function () {
        requireTools(this);
        if (!fs.existsSync(GATE)) throw new Error(`${GATE} is missing: run \`npm run build\` first`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-e2e-"));
        const [centralPort, gatePort, agentPort] = await Promise.all([freePort(), freePort(), freePort()]);
        central = `http://127.0.0.1:${centralPort}`;
        gate = `http://127.0.0.1:${gatePort}`;
        fs.writeFileSync(path.join(dir, "central.yml"), stringify({ global: { scrape_interval: "1m" } }));
        procs.push(
            spawn(
                "prometheus",
                [
                    `--config.file=${path.join(dir, "central.yml")}`,
                    `--storage.tsdb.path=${path.join(dir, "central-data")}`,
                    `--web.listen-address=127.0.0.1:${centralPort}`,
                    "--web.enable-remote-write-receiver",
                ],
                { stdio: "ignore" },
            ),
        );
        procs.push(
            spawn(process.execPath, [GATE], {
                env: {
                    PORT: String(gatePort),
                    UPSTREAM_URL: `${central}/api/v1/write`,
                    GATE_USERNAME,
                    GATE_PASSWORD: PASSWORD,
                },
                stdio: "ignore",
            }),
        );
        // The component's config with a static target instead of Kubernetes discovery (no cluster here).
        const cfg = edgeAgentConfig("edge-test", `${gate}/api/v1/write`) as any;
        cfg.global.scrape_interval = "1s";
        cfg.scrape_configs = [{ job_name: "central", static_configs: [{ targets: [`127.0.0.1:${centralPort}`] }] }];
        cfg.remote_write[0].basic_auth.password_file = path.join(dir, "password");
        cfg.remote_write[0].queue_config = { batch_send_deadline: "1s" };
        fs.writeFileSync(path.join(dir, "password"), PASSWORD);
        fs.writeFileSync(path.join(dir, "agent.yml"), stringify(cfg));
        await waitFor("central Prometheus", async () => ((await fetch(`${central}/-/ready`)).ok ? true : undefined));
        await waitFor("the gate", async () => ((await fetch(`${gate}/healthz`)).ok ? true : undefined));
        procs.push(
            spawn(
                "prometheus",
                [
                    "--enable-feature=agent",
                    `--config.file=${path.join(dir, "agent.yml")}`,
                    `--storage.agent.path=${path.join(dir, "agent-data")}`,
                    `--web.listen-address=127.0.0.1:${agentPort}`,
                ],
                { stdio: "ignore" },
            ),
        );
    });

    after(() => {
        for (const p of procs) p.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the central Prometheus holds the edge's series, labelled with the edge cluster", async () => {
        const value = await waitFor("edge series in the central Prometheus", async () => {
            const res = await fetch(`${central}/api/v1/query?query=${encodeURIComponent('up{cluster="edge-test", job="central"}')}`);
            const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
            return body.data.result[0]?.value[1];
        });
        expect(value).to.equal("1");
    });

    it("refuses writes without the credentials, and forwards the receiver's own answer with them", async () => {
        const none = await fetch(`${gate}/api/v1/write`, { method: "POST", body: "x" });
        expect(none.status).to.equal(401);
        expect(none.headers.get("www-authenticate")).to.equal('Basic realm="remote-write"');
        const wrong = await fetch(`${gate}/api/v1/write`, {
            method: "POST",
            body: "x",
            headers: { authorization: `Basic ${Buffer.from(`${GATE_USERNAME}:not-the-password`).toString("base64")}` },
        });
        expect(wrong.status).to.equal(401);
        // Right credentials, garbage body: Prometheus' receiver itself answers 400 (the gate only forwards).
        const garbage = await fetch(`${gate}/api/v1/write`, {
            method: "POST",
            body: "not snappy",
            headers: { authorization: `Basic ${Buffer.from(`${GATE_USERNAME}:${PASSWORD}`).toString("base64")}` },
        });
        expect(garbage.status).to.equal(400);
        expect((await fetch(`${gate}/api/v1/query`)).status).to.equal(404);
    });
});
