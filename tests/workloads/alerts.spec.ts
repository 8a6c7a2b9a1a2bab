// The AIOps alerts: one TS object, applied as a PrometheusRule and checked by promtool as a rules file.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
    AiopsAlerts,
    PLATFORM_NAMESPACES,
    RuleGroup,
    aiopsRuleGroups,
    downRule,
    runbookAnchor,
    rulesFileYaml,
} from "../../components/workloads/alerts";
import { REPO_ROOT } from "../harness";
import { SchemaRegistry } from "../platform/k8s-schema";
import { only, plain, runComponents } from "./support/components";
import { ARGOCD_NAMESPACE } from "../../components/platform/argocd";
import { CERT_MANAGER_NAMESPACE } from "../../components/platform/cert-manager";
import { KAGENT_NAMESPACE } from "../../components/platform/kagent";
import { KSERVE_NAMESPACE } from "../../components/platform/kserve";
import { KFP_NAMESPACE } from "../../components/platform/kubeflow-pipelines/overlay";
import { MLFLOW_NAMESPACE } from "../../components/platform/mlflow";
import { MONITORING_NAMESPACE } from "../../components/platform/monitoring";
import { IN_CLUSTER_STORE } from "../../components/platform/object-store/types";
import { DETECTOR_NAMESPACE } from "../../components/workloads/detector";
import { MCP_NAMESPACE } from "../../components/workloads/mcp-tool";

const RUNBOOKS = "https://runbooks.test/runbooks.md";
const FIXTURES = ["aiops-rules.test.yaml", "aiops-rules-loop.test.yaml"];

/** The groups of the PrometheusRule the component declares (what the cluster gets), not of the pure helper. */
async function renderedGroups(detectorScraped: boolean): Promise<RuleGroup[]> {
    const regs = await runComponents(() => {
        new AiopsAlerts("alerts", { detectorScraped, runbookBaseUrl: RUNBOOKS });
    });
    return plain(only(regs, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")).spec.groups;
}

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
    let rendered: RuleGroup[];
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-rules-"));
        rendered = await renderedGroups(true);
        fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(rendered));
        for (const f of FIXTURES) fs.copyFileSync(path.join(__dirname, "fixtures", f), path.join(dir, f));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("has every alert the operator needs, each with severity, summary, description and runbook_url", () => {
        const rules = rendered.flatMap((g) => g.rules);
        expect(rules.map((r) => r.alert)).to.deep.equal([
            "DetectorFeatureDrift",
            "DetectorDown",
            "DetectorInferenceSlow",
            "ModelServingOOMKilled",
            "McpDependencyErrors",
            "McpToolDown",
            "NodeMetricAnomalous",
            "AnomalyScorerStale",
            "AnomalyScorerDown",
            "PlatformPodCrashLooping",
        ]);
        expect(rules[0]).to.include({ expr: "max by (model, feature) (detector_feature_drift_psi) > 0.25", for: "30m" });
        for (const r of rules) {
            expect(r.labels.severity, r.alert).to.be.oneOf(["warning", "critical"]);
            expect(r.annotations.summary, r.alert).to.be.a("string").and.not.empty;
            expect(r.annotations.description, r.alert).to.be.a("string").and.not.empty;
            expect(r.annotations.runbook_url, r.alert).to.equal(`${RUNBOOKS}#${r.alert.toLowerCase()}`);
        }
    });

    it("every runbook_url points at a section of docs/runbooks.md", () => {
        const headings = fs
            .readFileSync(path.join(REPO_ROOT, "docs", "runbooks.md"), "utf8")
            .split("\n")
            .filter((l) => l.startsWith("## "))
            .map((l) => runbookAnchor(l.slice(3).trim()));
        for (const r of aiopsRuleGroups({ detectorScraped: true }).flatMap((g) => g.rules)) {
            const anchor = (r.annotations.runbook_url ?? "").split("#")[1];
            expect(headings, r.alert).to.include(anchor);
            expect(r.annotations.runbook_url).to.match(/^https:\/\/github\.com\/.+\/docs\/runbooks\.md#/);
        }
    });

    it("crash looping covers exactly the namespaces the platform components install into", () => {
        expect([...PLATFORM_NAMESPACES].sort()).to.deep.equal(
            [
                ARGOCD_NAMESPACE,
                CERT_MANAGER_NAMESPACE,
                KAGENT_NAMESPACE,
                KSERVE_NAMESPACE,
                KFP_NAMESPACE,
                MLFLOW_NAMESPACE,
                MONITORING_NAMESPACE,
                IN_CLUSTER_STORE.namespace,
                DETECTOR_NAMESPACE,
                MCP_NAMESPACE,
            ].sort(),
        );
    });

    it("leaves the detector rules out where this Prometheus cannot see the detector", async () => {
        expect((await renderedGroups(false)).map((g) => g.name)).to.deep.equal(["aiops-mcp-tool", "aiops-anomaly-loop", "aiops-platform"]);
    });

    it("passes promtool check rules", function () {
        requirePromtool(this);
        const out = execFileSync("promtool", ["check", "rules", path.join(dir, "aiops.rules.yaml")], { encoding: "utf8" });
        expect(out).to.contain("SUCCESS: 10 rules found");
    });

    for (const fixture of FIXTURES) {
        it(`passes promtool test rules ${fixture} (fires when it should, stays quiet when it should)`, function () {
            requirePromtool(this);
            const r = spawnSync("promtool", ["test", "rules", fixture], { cwd: dir, encoding: "utf8" });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.contain("SUCCESS");
        });
    }

    // Each mutation loosens or breaks one rule; the fixtures must notice (the tests are not vacuous).
    const mutations: [string, string, (expr: string) => string][] = [
        ["NodeMetricAnomalous", "aiops-rules-loop.test.yaml", (e) => e.replace("> 0", ">= 0")],
        ["AnomalyScorerStale", "aiops-rules-loop.test.yaml", (e) => e.replace("> 600", "> 60")],
        ["AnomalyScorerDown", "aiops-rules-loop.test.yaml", () => "vector(1)"],
        ["DetectorInferenceSlow", "aiops-rules-loop.test.yaml", (e) => e.replace("> 0.5", "> 0.1")],
        ["ModelServingOOMKilled", "aiops-rules-loop.test.yaml", (e) => e.replace(/reason="OOMKilled"/, 'reason=~".+"')],
        ["PlatformPodCrashLooping", "aiops-rules-loop.test.yaml", (e) => e.replace(/namespace=~"[^"]+"/, 'namespace=~".+"')],
    ];
    for (const [alert, fixture, mutate] of mutations) {
        it(`promtool test rules catches a loosened ${alert}`, function () {
            requirePromtool(this);
            const groups = rendered.map((g) => ({
                ...g,
                rules: g.rules.map((r) => (r.alert === alert ? { ...r, expr: mutate(r.expr) } : r)),
            }));
            const mutant = path.join(dir, "mutant");
            fs.mkdirSync(mutant, { recursive: true });
            fs.writeFileSync(path.join(mutant, "aiops.rules.yaml"), rulesFileYaml(groups));
            fs.copyFileSync(path.join(dir, fixture), path.join(mutant, fixture));
            const r = spawnSync("promtool", ["test", "rules", fixture], { cwd: mutant, encoding: "utf8" });
            expect(r.status, r.stdout).to.not.equal(0);
            expect(r.stdout + r.stderr).to.contain(alert);
        });
    }

    it("promtool test rules catches a wrong threshold (the test is not vacuous)", function () {
        requirePromtool(this);
        const groups = rendered.map((g) => ({
            ...g,
            rules: g.rules.map((r) => (r.alert === "DetectorFeatureDrift" ? { ...r, expr: r.expr.replace("0.25", "0.5") } : r)),
        }));
        fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(groups));
        try {
            const r = spawnSync("promtool", ["test", "rules", "aiops-rules.test.yaml"], { cwd: dir, encoding: "utf8" });
            expect(r.status).to.not.equal(0);
            expect(r.stdout + r.stderr).to.contain("DetectorFeatureDrift");
        } finally {
            fs.writeFileSync(path.join(dir, "aiops.rules.yaml"), rulesFileYaml(rendered));
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
