// Every release or object that is, or renders, a monitoring.coreos.com kind waits for the release that
// installs the Prometheus operator CRDs (issue 10, defect 3: the minio chart 5.4.0 renders a
// monitoring.coreos.com/v1 Probe when metrics.serviceMonitor.enabled is on, and raced the CRDs on aws).
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { awaitMonitoringCrds, monitoringOptionPaths } from "../../components/delivery/monitoring-crds";
import { minioValues } from "../../components/platform/object-store/minio";
import type { Registration, StackRun } from "../harness";
import { unwrapSecrets } from "../harness";
import { APPLICATION, DELIVERIES, RELEASE, STACKS, platformRun } from "./runs";

type Obj = Record<string, unknown>;

/** The values a registration hands to Helm: a Release's `values`, an Application's `helm.valuesObject`. */
function helmValues(r: Registration): unknown {
    const i = unwrapSecrets(r.inputs) as Obj;
    if (r.type === RELEASE) return i.values;
    if (r.type === APPLICATION) return ((i.spec as Obj)?.source as { helm?: { valuesObject?: unknown } })?.helm?.valuesObject;
    return undefined;
}

function rendersMonitors(r: Registration): boolean {
    return r.type.startsWith("kubernetes:monitoring.coreos.com/") || monitoringOptionPaths(helmValues(r)).length > 0;
}

/** The releases that install the monitoring CRDs: kube-prometheus-stack (helm) or prometheus-operator-crds (argocd). */
function crdReleases(run: StackRun): string[] {
    return run.registrations
        .filter((r) => r.type === RELEASE && ["kube-prometheus-stack", "prometheus-operator-crds"].includes(String(r.inputs.chart)))
        .map((r) => `${r.type}::${r.name}`);
}

function reaches(run: StackRun, from: string, targets: readonly string[]): boolean {
    const edges = new Map<string, string[]>();
    for (const r of run.registrations) edges.set(`${r.type}::${r.name}`, [...(edges.get(`${r.type}::${r.name}`) ?? []), ...r.dependsOn]);
    const seen = new Set<string>();
    const queue = [...(edges.get(from) ?? [])];
    while (queue.length > 0) {
        const next = queue.shift()!;
        if (targets.includes(next)) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(...(edges.get(next) ?? []));
    }
    return false;
}

describe("monitoring options in chart values (components/delivery/monitoring-crds.ts)", () => {
    it("finds minio's serviceMonitor, which makes chart 5.4.0 render a Probe", () => {
        const values = minioValues({ profile: "lean", storageClass: "gp3", nodeSelector: {} });
        expect(monitoringOptionPaths(values)).to.deep.equal(["metrics.serviceMonitor"]);
        // The chart really renders a monitoring.coreos.com Probe under that option (reference copy of 5.4.0).
        const template = readFileSync(
            join(__dirname, "../../../shared/reference/charts/minio-5.4.0.templates/servicemonitor.yaml"),
            "utf8",
        );
        expect(template).to.match(
            /if \.Values\.metrics\.serviceMonitor\.enabled \}\}\n---\napiVersion: monitoring\.coreos\.com\/v1\nkind: Probe/,
        );
    });
    it("recognises the spellings charts use and ignores options that are off or CRD lists", () => {
        expect(monitoringOptionPaths({ prometheus: { servicemonitor: { enabled: true } } })).to.deep.equal(["prometheus.servicemonitor"]);
        expect(monitoringOptionPaths({ serviceMonitor: { enabled: true } })).to.deep.equal(["serviceMonitor"]);
        expect(monitoringOptionPaths({ a: { podMonitor: true, prometheusRule: { enabled: true } } })).to.deep.equal([
            "a.podMonitor",
            "a.prometheusRule",
        ]);
        expect(monitoringOptionPaths({ metrics: { serviceMonitor: { enabled: false } } })).to.deep.equal([]);
        expect(monitoringOptionPaths({ crds: { servicemonitors: { enabled: true } } })).to.deep.equal([]);
    });
    it("refuses a monitor on a cluster without the CRDs (the hybrid edge), naming the resource", () => {
        const rule = awaitMonitoringCrds(undefined, "hybrid-edge");
        const t = (type: string, props: Obj) =>
            rule({ type, name: "x", props, opts: {}, resource: undefined as unknown as pulumi.Resource });
        expect(() => t(RELEASE, { values: { metrics: { serviceMonitor: { enabled: true } } } })).to.throw(
            /kubernetes:helm.sh\/v3:Release 'x' renders a monitoring.coreos.com kind, but cluster 'hybrid-edge' has no Prometheus operator CRDs/,
        );
        expect(() => t("kubernetes:monitoring.coreos.com/v1:PodMonitor", {})).to.throw(/no Prometheus operator CRDs/);
        expect(t(RELEASE, { values: { metrics: { serviceMonitor: { enabled: false } } } })).to.equal(undefined);
    });
});

describe("every release and object that renders a monitoring.coreos.com kind waits for the monitoring CRDs", function () {
    this.timeout(300_000);
    for (const stack of STACKS)
        for (const delivery of DELIVERIES)
            it(`${stack} with delivery ${delivery}`, async () => {
                const { run } = await platformRun(stack, delivery);
                const crds = crdReleases(run);
                expect(crds, "the release of the monitoring CRDs").to.have.length(1);
                const monitors = run.registrations.filter((r) => rendersMonitors(r) && `${r.type}::${r.name}` !== crds[0]);
                expect(monitors.length, "monitors to check").to.be.greaterThan(1);
                const late = monitors.filter((r) => !reaches(run, `${r.type}::${r.name}`, crds)).map((r) => `${r.type}::${r.name}`);
                expect(late, `these do not wait for ${crds[0]}`).to.deep.equal([]);
            });
});
