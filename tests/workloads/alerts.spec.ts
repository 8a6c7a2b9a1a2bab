// The AIOps alerts: one TS object, applied as a PrometheusRule and checked by promtool as a rules file.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { aiopsRuleGroups, downRule, rulesFileYaml } from "../../components/workloads/alerts";
import { REPO_ROOT } from "../harness";
import { SchemaRegistry } from "../platform/k8s-schema";

const CRDS = path.resolve(REPO_ROOT, "../shared/reference/crds");
const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;

/** Skips a promtool test only outside CI; in CI a missing promtool is a failure. */
function requirePromtool(ctx: Mocha.Context): void {
    if (hasPromtool) return;
    if (process.env.CI) throw new Error("promtool is required in CI (apt-get install prometheus)");
    ctx.skip();
}

describe("AIOps alert rules", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-rules-"));
        fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(aiopsRuleGroups({ detectorScraped: true })));
        fs.copyFileSync(path.join(__dirname, "fixtures", "aiops-rules.test.yaml"), path.join(dir, "aiops-rules.test.yaml"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("alerts on drift above 0.25 PSI for 30 minutes, a down detector and MCP dependency errors", () => {
        const rules = aiopsRuleGroups({ detectorScraped: true }).flatMap((g) => g.rules);
        expect(rules.map((r) => r.alert)).to.deep.equal(["DetectorFeatureDrift", "DetectorDown", "McpDependencyErrors", "McpToolDown"]);
        expect(rules[0]).to.include({ expr: "max by (model, feature) (detector_feature_drift_psi) > 0.25", for: "30m" });
        for (const r of rules) expect(r.labels.severity).to.be.oneOf(["warning", "critical"]);
    });

    it("leaves the detector rules out where this Prometheus cannot scrape the detector (hybrid edge)", () => {
        expect(aiopsRuleGroups({ detectorScraped: false }).map((g) => g.name)).to.deep.equal(["aiops-mcp-tool"]);
    });

    it("passes promtool check rules", function () {
        requirePromtool(this);
        const out = execFileSync("promtool", ["check", "rules", path.join(dir, "aiops.rules.yaml")], { encoding: "utf8" });
        expect(out).to.contain("SUCCESS: 4 rules found");
    });

    it("passes promtool test rules (fires when it should, stays quiet when it should)", function () {
        requirePromtool(this);
        const r = spawnSync("promtool", ["test", "rules", "aiops-rules.test.yaml"], { cwd: dir, encoding: "utf8" });
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain("SUCCESS");
    });

    it("promtool test rules catches a wrong threshold (the test is not vacuous)", function () {
        requirePromtool(this);
        const groups = aiopsRuleGroups({ detectorScraped: true }).map((g) => ({
            ...g,
            rules: g.rules.map((r) => (r.alert === "DetectorFeatureDrift" ? { ...r, expr: r.expr.replace("0.25", "0.5") } : r)),
        }));
        fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(groups));
        try {
            const r = spawnSync("promtool", ["test", "rules", "aiops-rules.test.yaml"], { cwd: dir, encoding: "utf8" });
            expect(r.status).to.not.equal(0);
            expect(r.stdout + r.stderr).to.contain("DetectorFeatureDrift");
        } finally {
            fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(aiopsRuleGroups({ detectorScraped: true })));
        }
    });

    it("the same groups form a valid PrometheusRule (monitoring.coreos.com/v1 CRD)", () => {
        const rule = {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: "aiops-workloads", namespace: "aiops" },
            spec: { groups: aiopsRuleGroups({ detectorScraped: true }) },
        };
        expect(new SchemaRegistry(CRDS).validate(rule)).to.deep.equal([]);
    });
});

describe("downRule", () => {
    it("fires critical after 5 minutes without a healthy target of the job, absent job included", () => {
        expect(downRule("XDown", "ns/x", "x", "No x", "x is gone")).to.deep.equal({
            alert: "XDown",
            expr: 'absent(up{job="ns/x"} == 1)',
            for: "5m",
            labels: { severity: "critical", component: "x" },
            annotations: { summary: "No x", description: "x is gone" },
        });
    });
});
