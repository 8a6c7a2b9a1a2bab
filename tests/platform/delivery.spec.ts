// One description per service, delivered as a Helm release by Pulumi or as an Argo CD Application:
// both paths for every stack, with pinned versions, ordering, namespaces and secrets kept out of values.
import { expect } from "chai";
import { ProjectScope, SYNC_OPTIONS, applicationSpec } from "../../components/delivery";
import {
    ARGOCD_CHART,
    CERT_MANAGER_CHART,
    KAGENT_CHART,
    KAGENT_CRDS_CHART,
    KPS_CHART,
    KSERVE_CHART,
    KSERVE_CRD_CHART,
} from "../../components/platform";
import { containsSecret, unwrapSecrets } from "../harness";
import type { Registration } from "../harness";
import { APPLICATION, DELIVERIES, RELEASE, STACKS, byType, one, platformRun } from "./runs";

type Obj = Record<string, unknown>;
const at = (o: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

/** Chart -> version of every service this part installs. */
const MY_CHARTS = [KPS_CHART, CERT_MANAGER_CHART, KSERVE_CRD_CHART, KSERVE_CHART, KAGENT_CRDS_CHART, KAGENT_CHART];
const MY_NAMESPACES = ["monitoring", "cert-manager", "kserve", "kagent"];
/** CRD-only charts Pulumi installs itself in both modes: its own custom resources need them (crd-order.spec.ts). */
const ALWAYS_HELM = [KSERVE_CRD_CHART.chart, KAGENT_CRDS_CHART.chart];
const CLUSTER_OF: Record<string, { platform: string; serving: string }> = {
    aws: { platform: "aiops", serving: "aiops" },
    homelab: { platform: "homelab", serving: "homelab" },
    hybrid: { platform: "hybrid-control", serving: "hybrid-edge" },
    local: { platform: "aiops-local", serving: "aiops-local" },
};

const chartOf = (r: Registration) => String(r.inputs.chart).split("/").pop();
const appChart = (r: Registration) => at(r.inputs, "spec.source.chart");

describe("delivery: applicationSpec and ProjectScope (pure)", () => {
    it("syncs automatically with prune, self-heal and server-side apply; OCI repos without the scheme", () => {
        const spec = applicationSpec({
            releaseName: "kserve",
            namespace: "kserve",
            source: KSERVE_CHART,
            values: { a: 1 },
            target: { namespace: "argocd", project: "platform", cluster: "edge" },
        });
        expect(at(spec, "syncPolicy.automated")).to.deep.equal({ prune: true, selfHeal: true, allowEmpty: false });
        expect(at(spec, "syncPolicy.syncOptions")).to.include("ServerSideApply=true");
        expect(at(spec, "source")).to.deep.equal({
            repoURL: "ghcr.io/kserve/charts",
            chart: "kserve-resources",
            targetRevision: "v0.20.0",
            helm: { releaseName: "kserve", valuesObject: { a: 1 } },
        });
        expect(at(spec, "destination")).to.deep.equal({ name: "edge", namespace: "kserve" });
        expect(SYNC_OPTIONS).to.include("CreateNamespace=false");
    });

    it("collects each Application's repository and destination once, sorted", () => {
        const scope = new ProjectScope();
        scope.add(KSERVE_CHART, "edge", "kserve");
        scope.add(KSERVE_CRD_CHART, "edge", "kserve");
        scope.add(KPS_CHART, "in-cluster", "monitoring");
        scope.addRepo("https://github.com/acme/platform.git");
        expect(scope.sourceRepos()).to.deep.equal([
            "ghcr.io/kserve/charts",
            "https://github.com/acme/platform.git",
            "https://prometheus-community.github.io/helm-charts",
        ]);
        expect(scope.destinations()).to.deep.equal([
            { name: "edge", namespace: "kserve" },
            { name: "in-cluster", namespace: "monitoring" },
        ]);
    });
});

describe("delivery: every stack in both modes", function () {
    this.timeout(300_000);

    it("makes every platform object wait for the cluster's ready resources (EKS: node groups)", async () => {
        const { run } = await platformRun("aws", "helm");
        const platformObjects = run.registrations.filter(
            (r) =>
                r.type.startsWith("kubernetes:") &&
                /^aiops-(monitoring|cert-manager|kserve|kagent)(-|$)/.test(r.name) &&
                r.custom &&
                !r.type.startsWith("pulumi:providers"),
        );
        expect(platformObjects.length).to.be.greaterThan(8);
        for (const r of platformObjects)
            expect(
                r.dependsOn.some((d) => d.startsWith("eks:index:ManagedNodeGroup::")),
                `${r.type}::${r.name}`,
            ).to.equal(true);
    });

    for (const stack of STACKS) {
        for (const delivery of DELIVERIES) {
            describe(`${stack} with delivery ${delivery}`, () => {
                it("installs each of its services once, pinned, in the asked mode", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const releases = byType(run, RELEASE);
                    const apps = byType(run, APPLICATION);
                    const hybrid = CLUSTER_OF[stack].platform !== CLUSTER_OF[stack].serving;
                    for (const chart of MY_CHARTS) {
                        const expected = hybrid && chart.chart === "cert-manager" ? 2 : 1;
                        if (delivery === "helm" || ALWAYS_HELM.includes(chart.chart)) {
                            const found = releases.filter((r) => chartOf(r) === chart.chart);
                            expect(found, chart.chart).to.have.length(expected);
                            for (const r of found) expect(r.inputs.version, chart.chart).to.equal(chart.version);
                            expect(
                                apps.filter((a) => appChart(a) === chart.chart),
                                `${chart.chart} has no Application`,
                            ).to.have.length(0);
                        } else {
                            const found = apps.filter((a) => appChart(a) === chart.chart);
                            expect(found, chart.chart).to.have.length(expected);
                            for (const a of found) expect(at(a.inputs, "spec.source.targetRevision"), chart.chart).to.equal(chart.version);
                            expect(
                                releases.filter((r) => chartOf(r) === chart.chart),
                                `${chart.chart} has no Release`,
                            ).to.have.length(0);
                        }
                    }
                });

                it("installs Argo CD with Helm exactly when delivery is argocd", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const argo = byType(run, RELEASE).filter((r) => chartOf(r) === "argo-cd");
                    expect(argo).to.have.length(delivery === "argocd" ? 1 : 0);
                    for (const r of argo)
                        expect(r.inputs).to.include({ version: ARGOCD_CHART.version, name: "argocd", namespace: "argocd" });
                    expect(byType(run, "kubernetes:argoproj.io/v1alpha1:AppProject")).to.have.length(delivery === "argocd" ? 1 : 0);
                });

                it("creates the namespaces with Pod Security labels in both modes", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const namespaces = byType(run, "kubernetes:core/v1:Namespace");
                    const names = namespaces.map((n) => at(n.inputs, "metadata.name"));
                    expect(names).to.include.members(delivery === "argocd" ? [...MY_NAMESPACES, "argocd"] : MY_NAMESPACES);
                    for (const ns of namespaces.filter((n) =>
                        [...MY_NAMESPACES, "argocd"].includes(String(at(n.inputs, "metadata.name"))),
                    )) {
                        const labels = at(ns.inputs, "metadata.labels") as Obj;
                        expect(labels["pod-security.kubernetes.io/enforce"], ns.name).to.be.oneOf(["privileged", "baseline", "restricted"]);
                        expect(labels["pod-security.kubernetes.io/warn"], ns.name).to.equal("restricted");
                    }
                    const monitoring = namespaces.find((n) => at(n.inputs, "metadata.name") === "monitoring");
                    expect(at(monitoring?.inputs, "metadata.labels")).to.include({ "pod-security.kubernetes.io/enforce": "privileged" });
                });

                it("never puts a secret in chart values", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const carriers = [
                        ...byType(run, RELEASE).map((r) => r.inputs.values),
                        ...byType(run, APPLICATION).map((a) => at(a.inputs, "spec.source.helm.valuesObject")),
                    ];
                    expect(carriers.length).to.be.greaterThan(0);
                    for (const values of carriers) {
                        expect(containsSecret(values)).to.equal(false);
                        const text = JSON.stringify(unwrapSecrets(values));
                        expect(text).not.to.match(/mock-secret-for-|mock-password-|\$2a\$/);
                    }
                });

                it("keeps generated passwords and the LLM key in Secrets and secret outputs", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const secrets = byType(run, "kubernetes:core/v1:Secret");
                    const grafana = secrets.find((s) => at(s.inputs, "metadata.name") === "grafana-admin");
                    expect(at(unwrapSecrets(grafana?.inputs), "stringData.admin-password")).to.match(/^mock-password-/);
                    const key = secrets.find((s) => at(s.inputs, "metadata.name") === "kagent-llm-api-key");
                    expect(at(unwrapSecrets(key?.inputs), "stringData.GOOGLE_API_KEY")).to.equal("mock-secret-for-llmApiKey");
                    expect(containsSecret(key?.inputs.stringData)).to.equal(true);
                    expect(run.outputs.grafanaAdminPassword.secret).to.equal(true);
                    if (delivery === "argocd") {
                        expect(run.outputs.argocdAdminPassword.secret).to.equal(true);
                        const argo = secrets.find((s) => at(s.inputs, "metadata.name") === "argocd-secret");
                        const data = unwrapSecrets(argo?.inputs.stringData) as Obj;
                        expect(data["admin.password"]).to.match(/^\$2a\$10\$/);
                        expect(data["admin.passwordMtime"]).to.match(/^\d{4}-\d\d-\d\dT/);
                        expect(at(argo?.inputs, "metadata.labels")).to.include({ "app.kubernetes.io/part-of": "argocd" });
                    } else {
                        expect(run.outputs.argocdAdminPassword).to.equal(undefined);
                    }
                    expect(run.outputs.kagentModelConfig.value).to.equal("kagent/default-model-config");
                });

                it("orders CRDs before their users and cert-manager before KServe", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const { serving } = CLUSTER_OF[stack];
                    const carrier = delivery === "helm" ? RELEASE : APPLICATION;
                    const kserve = one(run, carrier, `${serving}-kserve`);
                    // The CRD charts are Helm releases in both modes.
                    expect(kserve.dependsOn).to.include(`${RELEASE}::${serving}-kserve-crd`);
                    expect(kserve.dependsOn).to.include(`${carrier}::${serving}-cert-manager`);
                    const kagent = one(run, carrier, `${CLUSTER_OF[stack].platform}-kagent`);
                    expect(kagent.dependsOn).to.include(`${RELEASE}::${CLUSTER_OF[stack].platform}-kagent-crds`);
                    expect(kagent.dependsOn).to.include("kubernetes:core/v1:Secret::" + `${CLUSTER_OF[stack].platform}-kagent-llm-api-key`);
                });

                if (delivery === "argocd") {
                    it("makes every Application wait for the Argo CD release and sync itself (prune, self-heal, SSA)", async () => {
                        const { run } = await platformRun(stack, delivery);
                        const argoRelease = `${RELEASE}::${CLUSTER_OF[stack].platform}-argocd`;
                        const apps = byType(run, APPLICATION);
                        expect(apps.length).to.be.greaterThan(0);
                        for (const app of apps) {
                            expect(app.dependsOn, app.name).to.include(argoRelease);
                            expect(app.provider, `${app.name} is created where Argo CD runs`).to.equal(
                                `pulumi:providers:kubernetes::${CLUSTER_OF[stack].platform}-k8s`,
                            );
                            expect(at(app.inputs, "spec.syncPolicy.automated"), app.name).to.include({ prune: true, selfHeal: true });
                            expect(at(app.inputs, "spec.syncPolicy.syncOptions"), app.name).to.include("ServerSideApply=true");
                            expect(at(app.inputs, "spec.project"), app.name).to.equal("platform");
                            expect(at(app.inputs, "metadata.namespace"), app.name).to.equal("argocd");
                        }
                    });

                    it("leaves injected webhook CA bundles alone (ignoreDifferences, also while syncing)", async () => {
                        const { run } = await platformRun(stack, delivery);
                        const injected = byType(run, APPLICATION).filter((a) =>
                            ["kube-prometheus-stack", "cert-manager", "kserve-resources"].includes(String(appChart(a))),
                        );
                        expect(injected.length).to.be.at.least(3);
                        for (const app of injected) {
                            expect(at(app.inputs, "spec.ignoreDifferences"), app.name).to.deep.include({
                                group: "admissionregistration.k8s.io",
                                kind: "ValidatingWebhookConfiguration",
                                jqPathExpressions: [".webhooks[]?.clientConfig.caBundle"],
                            });
                            expect(at(app.inputs, "spec.syncPolicy.syncOptions"), app.name).to.include("RespectIgnoreDifferences=true");
                        }
                    });

                    it("limits the AppProject to the repositories and destinations its Applications use", async () => {
                        const { run } = await platformRun(stack, delivery);
                        const [project] = byType(run, "kubernetes:argoproj.io/v1alpha1:AppProject");
                        const repos = at(project.inputs, "spec.sourceRepos") as string[];
                        const dests = (at(project.inputs, "spec.destinations") as { name: string; namespace: string }[]).map(
                            (d) => `${d.name}/${d.namespace}`,
                        );
                        const apps = byType(run, APPLICATION);
                        for (const app of apps) {
                            expect(repos, app.name).to.include(at(app.inputs, "spec.source.repoURL"));
                            expect(dests, app.name).to.include(
                                `${at(app.inputs, "spec.destination.name")}/${at(app.inputs, "spec.destination.namespace")}`,
                            );
                        }
                        expect(repos).not.to.include("*");
                        expect(
                            repos.every((r) => !r.startsWith("oci://")),
                            "Argo CD reads OCI repos without the scheme",
                        ).to.equal(true);
                    });
                }

                it("puts KServe on the serving cluster with its ingress class (or no ingress)", async () => {
                    const { run } = await platformRun(stack, delivery);
                    const { serving } = CLUSTER_OF[stack];
                    const carrier = delivery === "helm" ? RELEASE : APPLICATION;
                    const kserve = one(run, carrier, `${serving}-kserve`);
                    const values = delivery === "helm" ? kserve.inputs.values : at(kserve.inputs, "spec.source.helm.valuesObject");
                    const gateway = at(values, "kserve.controller.gateway");
                    // No KServe Ingress on EKS: an alb Ingress to ClusterIP Services never gets a load balancer.
                    const expected = { aws: undefined, homelab: "traefik", hybrid: undefined, local: undefined }[
                        stack as "aws" | "homelab" | "hybrid" | "local"
                    ];
                    if (expected) expect(at(gateway, "ingressGateway.className")).to.equal(expected);
                    else expect(gateway).to.deep.equal({ disableIngressCreation: true });
                    if (delivery === "helm") expect(kserve.provider).to.equal(`pulumi:providers:kubernetes::${serving}-k8s`);
                    else
                        expect(at(kserve.inputs, "spec.destination.name")).to.equal(
                            serving === CLUSTER_OF[stack].platform ? "in-cluster" : serving,
                        );
                    expect(at(values, "kserve.controller.deploymentMode")).to.equal("Standard");
                });
            });
        }
    }
});
