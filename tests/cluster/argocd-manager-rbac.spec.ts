// The edge's Argo CD manager must be able to apply every chart Argo CD syncs there, ClusterRoles included:
// the API server refuses a ClusterRole whose permissions its creator does not hold (unless it holds
// `escalate`/`bind`), so a role missing `approve` on cert-manager.io/signers leaves cert-manager, and with it
// KServe's webhook certificate, uninstallable on the edge (issue 10, defect 2).
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { ARGOCD_MANAGER_RULES } from "../../components/cluster/argocd/cluster-secret";
import { APPLICATION, byType, platformRun } from "../platform/runs";
import { PolicyRule, canEscalateAndBind, escalationRefusals, uncovered } from "../support/rbac";

interface ChartRoles {
    chart: string;
    version: string;
    source: string;
    roles: { kind: string; name: string; rules: PolicyRule[] }[];
}
const FIXTURE = join(__dirname, "../fixtures/rbac/edge-chart-roles.json");
const CHARTS: ChartRoles[] = JSON.parse(readFileSync(FIXTURE, "utf8")).charts;

describe("RBAC escalation check (the API server's rule, tests/support/rbac.ts)", () => {
    const certManagerApprove = [
        { apiGroups: ["cert-manager.io"], resources: ["signers"], resourceNames: ["issuers.cert-manager.io/*"], verbs: ["approve"] },
    ];
    it("refuses a role with a verb the creator lacks, and names it", () => {
        const owned = [{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "create"] }];
        expect(escalationRefusals(owned, [{ name: "approver", rules: certManagerApprove }])).to.deep.equal([
            "approver: approve cert-manager.io/signers/issuers.cert-manager.io/*",
        ]);
    });
    it("accepts it when the creator holds the permission, or escalate + bind", () => {
        expect(
            uncovered([{ apiGroups: ["cert-manager.io"], resources: ["signers"], verbs: ["approve"] }], certManagerApprove),
        ).to.deep.equal([]);
        const escalator = [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "roles"], verbs: ["escalate", "bind"] }];
        expect(canEscalateAndBind(escalator)).to.equal(true);
        expect(escalationRefusals(escalator, [{ name: "approver", rules: certManagerApprove }])).to.deep.equal([]);
        expect(
            canEscalateAndBind([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] }]),
        ).to.equal(false);
    });
    it("matches resource names, subresources and non-resource URLs the way Kubernetes does", () => {
        const owned = [
            { apiGroups: [""], resources: ["*/status"], verbs: ["update"] },
            { apiGroups: [""], resources: ["secrets"], resourceNames: ["a"], verbs: ["get"] },
            { nonResourceURLs: ["/metrics*"], verbs: ["get"] },
        ];
        expect(uncovered(owned, [{ apiGroups: [""], resources: ["pods/status"], verbs: ["update"] }])).to.deep.equal([]);
        expect(uncovered(owned, [{ apiGroups: [""], resources: ["pods"], verbs: ["update"] }])).to.deep.equal(["update core/pods"]);
        expect(uncovered(owned, [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }])).to.deep.equal(["get core/secrets"]);
        expect(uncovered(owned, [{ nonResourceURLs: ["/metrics/cadvisor"], verbs: ["get"] }])).to.deep.equal([]);
        expect(uncovered(owned, [{ nonResourceURLs: ["/healthz"], verbs: ["get"] }])).to.deep.equal(["get /healthz"]);
    });
});

describe("hybrid: the edge's argocd-manager can install every chart Argo CD syncs to the edge", () => {
    it("the fixture covers every chart, at the pinned version, that an Application sends to the edge", async () => {
        const { run } = await platformRun("hybrid", "argocd");
        const edgeCharts = byType(run, APPLICATION)
            .map((a) => (a.inputs as { spec: { destination: { name: string }; source: { chart?: string; targetRevision: string } } }).spec)
            .filter((s) => s.destination.name === "hybrid-edge");
        expect(edgeCharts.map((s) => s.source.chart)).to.include.members(["cert-manager", "kserve-resources"]);
        for (const s of edgeCharts) {
            const known = CHARTS.find((c) => c.chart === s.source.chart);
            expect(known, `chart ${s.source.chart} is synced to the edge but ${FIXTURE} has no roles for it: extract them`).to.not.equal(
                undefined,
            );
            expect(known!.version, `${s.source.chart} is pinned at ${s.source.targetRevision}: refresh ${FIXTURE} from that tag`).to.equal(
                s.source.targetRevision,
            );
        }
    });

    for (const c of CHARTS) {
        it(`the API server would accept every (Cluster)Role of ${c.chart} ${c.version}`, () => {
            expect(c.roles.length).to.be.greaterThan(0);
            expect(escalationRefusals(ARGOCD_MANAGER_RULES, c.roles)).to.deep.equal([]);
        });
    }

    it("cert-manager's approve/sign roles are in the fixture (what the old role could not create)", () => {
        const verbs = CHARTS.find((c) => c.chart === "cert-manager")!.roles.flatMap((r) => r.rules.flatMap((x) => x.verbs));
        expect(verbs).to.include.members(["approve", "sign"]);
    });
});
