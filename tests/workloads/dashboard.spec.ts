// The AIOps overview dashboard: the JSON Grafana loads (panels, datasource, variables), the ConfigMap the
// kube-prometheus-stack sidecar picks up, and every PromQL query parsed by promtool.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse, stringify } from "yaml";
import { AiopsDashboard, DASHBOARD_UID, Dashboard, GRAFANA_DASHBOARD_LABEL, aiopsDashboard } from "../../components/workloads/dashboard";
import { rulesFileYaml } from "../../components/workloads/alerts";
import { REPO_ROOT } from "../harness";
import { only, plain, runComponents } from "./support/components";

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;
const KPS_VALUES = path.resolve(REPO_ROOT, "../shared/reference/charts/kube-prometheus-stack-88.5.3.values.yaml");

type Dash = Dashboard;

/** Every PromQL string in the dashboard: panel targets, annotations and query variables. */
function queries(d: Dash): { where: string; expr: string }[] {
    const out: { where: string; expr: string }[] = [];
    for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: `${p.title}/${t.refId}`, expr: t.expr });
    for (const a of d.annotations.list) out.push({ where: `annotation ${a.name}`, expr: a.expr });
    return out;
}

/** Grafana's variables replaced the way Grafana would at "All" (".*") and a 5-minute range. */
function substitute(expr: string): string {
    return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m").replace(/\$(cluster|instance)/g, ".*");
}

describe("AIOps overview dashboard", () => {
    const d = aiopsDashboard() as Dash;

    it("ships in a ConfigMap labelled for the kube-prometheus-stack Grafana sidecar", async () => {
        const kps = parse(fs.readFileSync(KPS_VALUES, "utf8"));
        const sidecar = kps.grafana.sidecar.dashboards;
        expect(GRAFANA_DASHBOARD_LABEL).to.deep.equal({ [sidecar.label]: sidecar.labelValue });
        expect(sidecar.searchNamespace).to.equal("ALL");
        const regs = await runComponents(() => {
            new AiopsDashboard("dash", {});
        });
        const cm = plain(only(regs, "kubernetes:core/v1:ConfigMap"));
        expect(cm.metadata.labels).to.include({ grafana_dashboard: "1" });
        expect(JSON.parse(cm.data["aiops-overview.json"])).to.deep.equal(JSON.parse(JSON.stringify(d)));
    });

    it("has the datasource, cluster and instance variables, and every panel queries through the datasource variable", () => {
        expect(d.uid).to.equal(DASHBOARD_UID);
        const vars = d.templating.list;
        expect(vars.map((v: any) => v.name)).to.deep.equal(["datasource", "cluster", "instance"]);
        expect(vars[0]).to.include({ type: "datasource", query: "prometheus" });
        for (const v of vars.slice(1)) expect(v).to.include({ type: "query", includeAll: true, allValue: ".*" });
        expect(vars[2].query.query).to.contain('cluster=~"$cluster"');
        const data = d.panels.filter((p) => p.type !== "row");
        expect(data.length).to.be.at.least(14);
        for (const p of data) {
            expect(p.datasource, p.title).to.deep.equal({ type: "prometheus", uid: "${datasource}" });
            expect(p.targets, p.title).to.be.an("array").that.is.not.empty;
            for (const t of p.targets!) expect(t.expr, `${p.title} filters on cluster`).to.contain('cluster=~"$cluster"');
        }
        const ids = d.panels.map((p) => p.id);
        expect(new Set(ids).size).to.equal(ids.length);
        for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w, p.title).to.be.at.most(24);
    });

    it("covers what the operator watches", () => {
        const all = queries(d)
            .map((q) => q.expr)
            .join("\n");
        for (const m of [
            "node_cpu_seconds_total",
            "node_memory_MemAvailable_bytes",
            "node_filesystem_avail_bytes",
            "node_network_receive_bytes_total",
            "aiops_anomalous",
            "aiops_anomaly_score",
            "detector_http_requests_total",
            "detector_http_request_duration_seconds_bucket",
            "detector_feature_drift_psi",
            "mcp_tool_calls_total",
            "detector_model_info",
            "kube_job_status_succeeded",
            "analyst_alerts_dropped_total",
        ])
            expect(all, m).to.contain(m);
        // The node panels overlay the scorer's verdict as a second series.
        for (const title of ["CPU usage", "Memory usage", "Disk usage (fullest filesystem)", "Network traffic"]) {
            const p = d.panels.find((x) => x.title === title)!;
            expect(p.targets![1].expr).to.contain("aiops_anomalous");
            expect(p.targets![1].legendFormat).to.match(/^anomalous/);
        }
        expect(d.annotations.list[0].expr).to.contain("aiops_anomalous");
    });

    it("every query parses (promtool check rules on the queries wrapped as recording rules)", function () {
        if (!hasPromtool) {
            if (process.env.CI) throw new Error("promtool is required in CI");
            this.skip();
        }
        const qs = queries(d);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-dash-"));
        try {
            const file = path.join(dir, "dashboard.rules.yaml");
            const rules = qs.map((q, i) => ({ record: `dashboard:query_${i}`, expr: substitute(q.expr) }));
            fs.writeFileSync(file, rulesFileYaml([{ name: "dashboard", rules: rules as never }]));
            const out = execFileSync("promtool", ["check", "rules", file], { encoding: "utf8" });
            expect(out).to.contain(`SUCCESS: ${qs.length} rules found`);
            // And a broken one would be caught.
            fs.writeFileSync(file, rulesFileYaml([{ name: "d", rules: [{ record: "x:y", expr: "sum by (a (up)" } as never] }]));
            expect(spawnSync("promtool", ["check", "rules", file]).status).to.not.equal(0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the CPU panel's overlay shows the metric only while the scorer flags it (promtool on crafted series)", function () {
        if (!hasPromtool) {
            if (process.env.CI) throw new Error("promtool is required in CI");
            this.skip();
        }
        const cpu = d.panels.find((p) => p.title === "CPU usage")!;
        const [metric, overlay] = cpu.targets!.map((t) => substitute(t.expr));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-dash-"));
        try {
            fs.writeFileSync(path.join(dir, "none.rules.yaml"), rulesFileYaml([]));
            const test = {
                rule_files: ["none.rules.yaml"],
                evaluation_interval: "1m",
                tests: [
                    {
                        interval: "1m",
                        input_series: [
                            // Half idle: 50% CPU on both nodes; only node-1 is flagged, from minute 10.
                            { series: 'node_cpu_seconds_total{mode="idle", instance="node-1:9100", cpu="0"}', values: "0+30x20" },
                            { series: 'node_cpu_seconds_total{mode="idle", instance="node-2:9100", cpu="0"}', values: "0+30x20" },
                            { series: 'aiops_anomalous{instance="node-1:9100", metric="cpu"}', values: "0x9 1x10" },
                            { series: 'aiops_anomalous{instance="node-1:9100", metric="memory"}', values: "1x20" },
                            { series: 'aiops_anomalous{instance="node-2:9100", metric="cpu"}', values: "0x20" },
                        ],
                        promql_expr_test: [
                            {
                                expr: metric,
                                eval_time: "15m",
                                exp_samples: [
                                    { labels: '{instance="node-1:9100"}', value: 50 },
                                    { labels: '{instance="node-2:9100"}', value: 50 },
                                ],
                            },
                            { expr: overlay, eval_time: "5m", exp_samples: [] },
                            { expr: overlay, eval_time: "15m", exp_samples: [{ labels: '{instance="node-1:9100"}', value: 50 }] },
                        ],
                    },
                ],
            };
            fs.writeFileSync(path.join(dir, "overlay.test.yaml"), stringify(test));
            const r = spawnSync("promtool", ["test", "rules", "overlay.test.yaml"], { cwd: dir, encoding: "utf8" });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
