// CRDs and GitOps: every custom resource Pulumi declares itself waits for a Helm release (applied by
// Pulumi, in the same `pulumi up`) that installs its CRD — also with delivery argocd, where an Argo CD
// Application would bring the CRD only after Pulumi had failed with "no matches for kind".
import { expect } from "chai";
import { KAGENT_CRDS_CHART, KPS_CHART, KSERVE_CRD_CHART, PROMETHEUS_OPERATOR_CRDS_CHART } from "../../components/platform";
import type { HelmSource } from "../../components/delivery";
import type { StackRun } from "../harness";
import { APPLICATION, DeliveryMode, RELEASE, byType, one, platformRun } from "./runs";

type Obj = Record<string, unknown>;
const at = (o: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);
const chartOf = (inputs: Obj) => String(inputs.chart).split("/").pop();

/** Which component's CRD release each Pulumi-declared kind needs. */
type CrdOwner = "kserve" | "kagent" | "monitoring";
const KIND_OWNER: Record<string, CrdOwner> = {
    "kubernetes:serving.kserve.io/v1beta1:InferenceService": "kserve",
    "kubernetes:kagent.dev/v1alpha2:ModelConfig": "kagent",
    "kubernetes:kagent.dev/v1alpha2:RemoteMCPServer": "kagent",
    "kubernetes:kagent.dev/v1alpha2:Agent": "kagent",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": "monitoring",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": "monitoring",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": "monitoring",
};

interface Case {
    readonly stack: string;
    readonly delivery: DeliveryMode;
    readonly platform: string;
    readonly serving: string;
    /** Kinds the stack must declare, so the walk below cannot pass vacuously. */
    readonly kinds: readonly string[];
}

const ALL_BUT_MODEL_CONFIG = Object.keys(KIND_OWNER).filter((k) => !k.endsWith(":ModelConfig"));
// hybrid: the detector runs on the edge, which has no Prometheus operator, hence no PodMonitor.
const CASES: readonly Case[] = [
    { stack: "homelab", delivery: "argocd", platform: "homelab", serving: "homelab", kinds: ALL_BUT_MODEL_CONFIG },
    { stack: "aws", delivery: "argocd", platform: "aiops", serving: "aiops", kinds: ALL_BUT_MODEL_CONFIG },
    {
        stack: "hybrid",
        delivery: "argocd",
        platform: "hybrid-control",
        serving: "hybrid-edge",
        kinds: ALL_BUT_MODEL_CONFIG.filter((k) => !k.endsWith(":PodMonitor")),
    },
    { stack: "homelab", delivery: "helm", platform: "homelab", serving: "homelab", kinds: ALL_BUT_MODEL_CONFIG },
    { stack: "aws", delivery: "helm", platform: "aiops", serving: "aiops", kinds: ALL_BUT_MODEL_CONFIG },
];

/** The Helm release expected to carry each owner's CRDs, and the chart it must install. */
function crdReleases(c: Case): Record<CrdOwner, { name: string; chart: HelmSource }> {
    return {
        kserve: { name: `${c.serving}-kserve-crd`, chart: KSERVE_CRD_CHART },
        kagent: { name: `${c.platform}-kagent-crds`, chart: KAGENT_CRDS_CHART },
        // helm: kube-prometheus-stack's own crds subchart; argocd: the standalone CRD chart.
        monitoring:
            c.delivery === "argocd"
                ? { name: `${c.platform}-monitoring-crds`, chart: PROMETHEUS_OPERATOR_CRDS_CHART }
                : { name: `${c.platform}-monitoring`, chart: KPS_CHART },
    };
}

/** Whether `from` reaches `to` by following dependsOn edges ("type::name"), directly or transitively. */
function dependsOnPath(run: StackRun, from: string, to: string): boolean {
    const edges = new Map<string, string[]>();
    for (const r of run.registrations) {
        const key = `${r.type}::${r.name}`;
        edges.set(key, [...(edges.get(key) ?? []), ...r.dependsOn]);
    }
    const seen = new Set<string>();
    const queue = [...(edges.get(from) ?? [])];
    while (queue.length > 0) {
        const next = queue.shift()!;
        if (next === to) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(...(edges.get(next) ?? []));
    }
    return false;
}

describe("CRDs and GitOps: Pulumi's custom resources wait for Helm releases of their CRDs", function () {
    this.timeout(300_000);

    for (const c of CASES) {
        describe(`${c.stack} with delivery ${c.delivery}`, () => {
            it("installs the CRD charts as Helm releases (never Applications), pinned, on the right cluster", async () => {
                const { run } = await platformRun(c.stack, c.delivery);
                const releases = crdReleases(c);
                for (const owner of ["kserve", "kagent", "monitoring"] as const) {
                    const { name, chart } = releases[owner];
                    const release = one(run, RELEASE, name);
                    expect(chartOf(release.inputs), name).to.equal(chart.chart);
                    expect(release.inputs.version, name).to.equal(chart.version);
                    expect(release.inputs.skipCrds, name).to.equal(false);
                    const cluster = owner === "kserve" ? c.serving : c.platform;
                    expect(release.provider, name).to.equal(`pulumi:providers:kubernetes::${cluster}-k8s`);
                }
                const apps = byType(run, APPLICATION).map((a) => String(at(a.inputs, "spec.source.chart")));
                for (const chart of [KSERVE_CRD_CHART, KAGENT_CRDS_CHART, PROMETHEUS_OPERATOR_CRDS_CHART])
                    expect(apps, chart.chart).not.to.include(chart.chart);
            });

            it("makes every Pulumi-declared custom resource depend on the release of its CRD", async () => {
                const { run } = await platformRun(c.stack, c.delivery);
                const releases = crdReleases(c);
                const crs = run.registrations.filter((r) => r.type in KIND_OWNER);
                expect([...new Set(crs.map((r) => r.type))]).to.include.members([...c.kinds]);
                for (const cr of crs) {
                    const target = `${RELEASE}::${releases[KIND_OWNER[cr.type]].name}`;
                    expect(
                        dependsOnPath(run, `${cr.type}::${cr.name}`, target),
                        `${cr.type}::${cr.name} -> ${target}; has ${cr.dependsOn.join(", ")}`,
                    ).to.equal(true);
                }
            });

            it("lets exactly one owner install the prometheus-operator CRDs", async () => {
                const { run } = await platformRun(c.stack, c.delivery);
                const name = `${c.platform}-monitoring`;
                if (c.delivery === "argocd") {
                    const kps = one(run, APPLICATION, name);
                    expect(at(kps.inputs, "spec.source.helm.valuesObject.crds.enabled")).to.equal(false);
                    expect(kps.dependsOn).to.include(`${RELEASE}::${name}-crds`);
                } else {
                    const kps = one(run, RELEASE, name);
                    expect(at(kps.inputs, "values.crds.enabled")).to.equal(true);
                    expect(byType(run, RELEASE).filter((r) => chartOf(r.inputs) === PROMETHEUS_OPERATOR_CRDS_CHART.chart)).to.have.length(
                        0,
                    );
                }
            });
        });
    }
});
