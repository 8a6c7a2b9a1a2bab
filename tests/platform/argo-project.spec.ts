// ArgoProject allows exactly the releases it is handed: no shared scope filled as a side effect, so it
// can be declared at any point and a release it is not given is not allowed.
import { expect } from "chai";
import { ServiceRelease } from "../../components/delivery";
import { ArgoCd, ArgoProject, CERT_MANAGER_CHART, KPS_CHART, argocdPlan } from "../../components/platform";
import { only, plain, runComponents } from "../workloads/support/components";

describe("ArgoProject: explicit releases", () => {
    it("allows the Argo CD releases it is given, skips Helm ones, ignores releases declared but not given", async () => {
        const regs = await runComponents(() => {
            const argocd = new ArgoCd("argocd", { plan: argocdPlan({ profile: "lean" }) });
            const edge = argocd.target("edge");
            const kps = new ServiceRelease("kps", {
                delivery: "argocd",
                argocd: argocd.target(),
                source: KPS_CHART,
                namespace: "monitoring",
            });
            const helm = new ServiceRelease("cm-helm", { delivery: "helm", source: CERT_MANAGER_CHART, namespace: "cert-manager" });
            new ArgoProject("project", { releases: [kps, helm], extraRepos: ["https://github.com/acme/platform.git"] });
            // Declared after the project and not handed to it: it must not widen the project.
            new ServiceRelease("late", { delivery: "argocd", argocd: edge, source: CERT_MANAGER_CHART, namespace: "cert-manager" });
            expect(helm.projectEntry).to.equal(undefined);
            expect(kps.projectEntry).to.deep.equal({ source: KPS_CHART, cluster: "in-cluster", namespace: "monitoring" });
        });
        const spec = plain(only(regs, "kubernetes:argoproj.io/v1alpha1:AppProject")).spec;
        expect(spec.sourceRepos).to.deep.equal(["https://github.com/acme/platform.git", KPS_CHART.repo].sort());
        expect(spec.destinations).to.deep.equal([{ name: "in-cluster", namespace: "monitoring" }]);
    });
});
