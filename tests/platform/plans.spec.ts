// Every service's plan is computed once (stacks/platform.ts planServices): the capacity check reads the plans, and each
// component installs its plan's values as given (no second computation, so nothing to reconcile).
import { expect } from "chai";
import { CertManager, certManagerPlan } from "../../components/platform";
import type { PlatformConfig, PlatformSite } from "../../stacks/placement";
import { footprintsOn, planServices } from "../../stacks/platform";
import { fakeCluster, only, plain, pool, runComponents } from "../workloads/support/components";

// Only the settings the plans read; the rest of PlatformSettings is irrelevant to them.
function config(delivery: "helm" | "argocd"): PlatformConfig {
    return {
        platform: {
            delivery,
            profile: "lean",
            prometheusRetention: "7d",
            prometheusStorage: "20Gi",
            llmProvider: "openai",
            llmModel: "",
            objectStore: "minio",
            amd64OnlyImages: [],
        },
        secrets: {},
    } as unknown as PlatformConfig;
}

function site(hybrid: boolean): PlatformSite {
    const cluster = fakeCluster("control", [pool("a", "amd64")]);
    return {
        cluster,
        objectStore: { namePrefix: "aiops" },
        ...(hybrid ? { servingCluster: fakeCluster("edge", [pool("e", "arm64", { count: 2 })]), platformTailnetHost: "control" } : {}),
    };
}

const names = (plans: ReturnType<typeof planServices>, cluster: "platform" | "serving") =>
    plans.services.filter((s) => s.cluster === cluster).map((s) => s.name);

describe("service plans: computed once, per cluster", () => {
    it("one cluster: every service on it once; Argo CD only with argocd delivery", async () => {
        await runComponents(() => {
            const helm = planServices({ config: config("helm"), site: site(false) });
            const platform = names(helm, "platform");
            expect(new Set(platform).size, "each service once").to.equal(platform.length);
            expect(platform).to.include.members([
                "cert-manager",
                "monitoring",
                "kagent",
                "kserve",
                "object-store",
                "mlflow",
                "anomaly-detector",
            ]);
            expect(platform).not.to.include("argocd");
            expect(names(helm, "serving")).to.deep.equal([]);
            expect(footprintsOn(helm, "serving")).to.deep.equal([]);
            const argo = planServices({ config: config("argocd"), site: site(false) });
            expect(names(argo, "platform")[0]).to.equal("argocd");
            expect(argo.argocd?.footprint.length).to.be.greaterThan(0);
        });
    });

    it("hybrid: cert-manager on both clusters, KServe, the detector and the edge agent on the serving one", async () => {
        await runComponents(() => {
            const plans = planServices({ config: config("helm"), site: site(true) });
            expect(names(plans, "serving")).to.deep.equal(["cert-manager", "kserve", "anomaly-detector", "edge-metrics"]);
            expect(names(plans, "platform")).to.include("remote-write-gate").and.not.to.include.members(["kserve", "anomaly-detector"]);
            // node-exporter on the edge runs on each of its 2 schedulable nodes.
            const edge = footprintsOn(plans, "serving").find((f) => f.workload === "edge-metrics/node-exporter");
            expect(edge?.memory).to.be.greaterThan(0);
            // The capacity check reads exactly the plans' footprints.
            expect(footprintsOn(plans, "platform")).to.deep.equal(
                plans.services.filter((s) => s.cluster === "platform").flatMap((s) => s.plan.footprint),
            );
        });
    });

    it("a component installs the plan it is given, not one it recomputes", async () => {
        const plan = { ...certManagerPlan("lean"), values: { marker: "from-the-plan" } };
        const regs = await runComponents(() => {
            const cm = new CertManager("cm", { delivery: "helm", profile: "standard", plan });
            expect(cm.footprint).to.equal(plan.footprint);
        });
        expect(plain(only(regs, "kubernetes:helm.sh/v3:Release")).values).to.deep.equal({ marker: "from-the-plan" });
    });
});
