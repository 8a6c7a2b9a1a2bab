// The pure value builders: resources on every component, persistence, secrets kept out of values,
// selectors, ingress, providers and the footprints computed from the same numbers.
import { expect } from "chai";
import { parseCpu, parseMemory } from "../../components/shared/quantity";
import {
    ARGOCD_CHART,
    BUNDLED_AGENTS,
    CERT_MANAGER_CHART,
    DEFAULT_AGENTS,
    KAGENT_CHART,
    KPS_CHART,
    KSERVE_CHART,
    KSERVE_CRD_CHART,
    KSERVE_INGRESS_CLASSES,
    LLM_API_KEY_SECRET,
    LLM_PROVIDERS,
    LlmProvider,
    NULL_RECEIVER,
    WEBHOOK_RECEIVER,
    appProjectSpec,
    argocdPlan,
    certManagerPlan,
    kagentPlan,
    kserveIngressClass,
    kservePlan,
    monitoringPlan,
    providerValues,
    retentionSize,
    totalOf,
} from "../../components/platform";
import type { MonitoringValuesArgs } from "../../components/platform";
import { APPLICATION, DELIVERIES, RELEASE, STACKS, platformRun } from "./runs";

type Obj = Record<string, unknown>;
const at = (o: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

/** Every `resources` block anywhere in the values, with its path. */
function resourceBlocks(values: unknown, path = ""): { path: string; block: Obj }[] {
    if (typeof values !== "object" || values === null || Array.isArray(values)) return [];
    return Object.entries(values as Obj).flatMap(([k, v]) => {
        const here = path ? `${path}.${k}` : k;
        // Container resources only: a PVC's `resources.requests.storage` is not one.
        const isContainer =
            k === "resources" && typeof v === "object" && v !== null && "requests" in (v as Obj) && at(v, "requests.storage") === undefined;
        const self = isContainer ? [{ path: here, block: v as Obj }] : [];
        return [...self, ...resourceBlocks(v, here)];
    });
}

function expectComplete(blocks: { path: string; block: Obj }[]): void {
    for (const { path, block } of blocks) {
        for (const field of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]) {
            expect(at(block, field), `${path}.${field}`).to.be.a("string");
        }
        expect(parseMemory(at(block, "limits.memory") as string), `${path} memory limit >= request`).to.be.at.least(
            parseMemory(at(block, "requests.memory") as string),
        );
        expect(parseCpu(at(block, "limits.cpu") as string), `${path} cpu limit >= request`).to.be.at.least(
            parseCpu(at(block, "requests.cpu") as string),
        );
    }
}

const monitoringArgs: MonitoringValuesArgs = {
    profile: "lean",
    storageClass: "local-path",
    retention: "7d",
    storage: "20Gi",
    grafanaAdminSecret: "grafana-admin",
    nodeCount: 2,
};

describe("platform values: pinned charts", () => {
    it("pins every chart to an exact version", () => {
        expect(KPS_CHART.version).to.equal("88.5.3");
        expect(CERT_MANAGER_CHART.version).to.equal("v1.21.1");
        expect([KSERVE_CRD_CHART.version, KSERVE_CHART.version]).to.deep.equal(["v0.20.0", "v0.20.0"]);
        expect(ARGOCD_CHART.version).to.equal("10.1.1");
        expect(KAGENT_CHART.version).to.equal("0.9.12");
        expect(KSERVE_CHART.repo).to.equal("oci://ghcr.io/kserve/charts");
        expect(KAGENT_CHART.repo).to.equal("oci://ghcr.io/kagent-dev/kagent/helm");
    });
});

describe("platform values: kube-prometheus-stack", () => {
    it("sets requests and limits on every component, the operator, sidecars and exporters included", () => {
        const { values } = monitoringPlan(monitoringArgs);
        const paths = resourceBlocks(values).map((b) => b.path);
        expect(paths).to.include.members([
            "prometheusOperator.resources",
            "prometheusOperator.prometheusConfigReloader.resources",
            "prometheusOperator.admissionWebhooks.patch.resources",
            "prometheus.prometheusSpec.resources",
            "alertmanager.alertmanagerSpec.resources",
            "grafana.resources",
            "grafana.sidecar.resources",
            "kube-state-metrics.resources",
            "prometheus-node-exporter.resources",
        ]);
        expectComplete(resourceBlocks(values));
    });

    it("selects every ServiceMonitor, PodMonitor, rule, probe and ScrapeConfig in the cluster", () => {
        const spec = at(monitoringPlan(monitoringArgs).values, "prometheus.prometheusSpec") as Obj;
        const flags = Object.keys(spec).filter((k) => k.endsWith("SelectorNilUsesHelmValues"));
        expect(flags.sort()).to.deep.equal(
            ["podMonitor", "probe", "rule", "scrapeConfig", "serviceMonitor"].map((k) => `${k}SelectorNilUsesHelmValues`).sort(),
        );
        for (const f of flags) expect(spec[f], f).to.equal(false);
    });

    it("keeps retention and storage from config on the contract's storage class", () => {
        const { values } = monitoringPlan({ ...monitoringArgs, storageClass: "gp3", retention: "15d", storage: "50Gi" });
        expect(at(values, "prometheus.prometheusSpec.retention")).to.equal("15d");
        expect(at(values, "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec")).to.deep.equal({
            storageClassName: "gp3",
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "50Gi" } },
        });
        expect(at(values, "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName")).to.equal("gp3");
        expect(at(values, "grafana.persistence")).to.include({ enabled: true, storageClassName: "gp3" });
        expect(retentionSize("20Gi")).to.equal("17408MiB");
        expect(at(values, "prometheus.prometheusSpec.retentionSize")).to.equal(retentionSize("50Gi"));
    });

    it("names objects kps-* so the Prometheus Service is kps-prometheus", () => {
        expect(monitoringPlan(monitoringArgs).values.fullnameOverride).to.equal("kps");
    });

    it("reads Grafana's admin password from an existing Secret, never from values", () => {
        const { values } = monitoringPlan(monitoringArgs);
        expect(at(values, "grafana.admin")).to.deep.equal({
            existingSecret: "grafana-admin",
            userKey: "admin-user",
            passwordKey: "admin-password",
        });
        expect(at(values, "grafana.adminPassword")).to.equal(undefined);
    });

    it("disables the control-plane targets that would stay down on k3s and EKS, and their rules", () => {
        // The same on every distribution (none exposes them), so the plan takes no distribution at all.
        {
            const { values } = monitoringPlan(monitoringArgs);
            for (const c of ["kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"])
                expect(at(values, `${c}.enabled`), c).to.equal(false);
            expect(at(values, "defaultRules.rules")).to.include({
                etcd: false,
                kubeControllerManager: false,
                kubeProxy: false,
                kubeSchedulerAlerting: false,
            });
        }
    });

    it("routes alerts to the null receiver without a webhook and to the AIOps webhook with one", () => {
        const quiet = at(monitoringPlan(monitoringArgs).values, "alertmanager.config") as Obj;
        expect(at(quiet, "route.receiver")).to.equal(NULL_RECEIVER);
        expect(quiet.receivers).to.deep.equal([{ name: NULL_RECEIVER }]);
        const url = "http://aiops-api.aiops.svc:8080/api/alerts";
        const loud = at(monitoringPlan({ ...monitoringArgs, alertWebhookUrl: url }).values, "alertmanager.config") as Obj;
        // Only warning and critical reach the analyst; the rest (info, none) stays with the null receiver.
        expect(at(loud, "route.receiver")).to.equal(NULL_RECEIVER);
        expect((at(loud, "route.routes") as Obj[]).at(-1)).to.deep.equal({
            receiver: WEBHOOK_RECEIVER,
            matchers: ['severity =~ "warning|critical"'],
        });
        expect(loud.receivers).to.deep.include({ name: WEBHOOK_RECEIVER, webhook_configs: [{ url, send_resolved: true, max_alerts: 0 }] });
        expect(() => monitoringPlan({ ...monitoringArgs, alertWebhookUrl: "aiops-api:8080" })).to.throw(
            /alertWebhookUrl must be an http\(s\) URL/,
        );
    });

    it("pins the stateful pods to the stateful node when one is given", () => {
        const pinned = monitoringPlan({ ...monitoringArgs, statefulNodeSelector: { "aiops.dev/stateful": "true" } }).values;
        for (const p of ["prometheus.prometheusSpec", "alertmanager.alertmanagerSpec", "grafana"])
            expect(at(pinned, `${p}.nodeSelector`), p).to.deep.equal({ "aiops.dev/stateful": "true" });
        expect(at(monitoringPlan(monitoringArgs).values, "prometheus.prometheusSpec.nodeSelector")).to.equal(undefined);
    });

    it("computes the footprint from the same numbers as the values (node-exporter per node)", () => {
        const { values, footprint } = monitoringPlan(monitoringArgs);
        const req = (p: string) => parseMemory(at(values, `${p}.requests.memory`) as string);
        const prom = footprint.find((f) => f.workload === "kube-prometheus-stack/prometheus");
        expect(prom?.memory).to.equal(
            req("prometheus.prometheusSpec.resources") + req("prometheusOperator.prometheusConfigReloader.resources"),
        );
        const grafana = footprint.find((f) => f.workload === "kube-prometheus-stack/grafana");
        expect(grafana?.memory).to.equal(req("grafana.resources") + 2 * req("grafana.sidecar.resources"));
        const perNode = (n: number) =>
            monitoringPlan({ ...monitoringArgs, nodeCount: n }).footprint.find((f) => f.workload.endsWith("node-exporter"))?.memory ?? 0;
        expect(perNode(3)).to.equal(3 * req("prometheus-node-exporter.resources"));
        expect(
            footprint.every((f) => f.arch === undefined),
            "multi-arch images: no arch binding",
        ).to.equal(true);
    });

    it("asks for less under the lean profile", () => {
        const lean = totalOf(monitoringPlan(monitoringArgs).footprint);
        const standard = totalOf(monitoringPlan({ ...monitoringArgs, profile: "standard" }).footprint);
        expect(lean.memory).to.be.lessThan(standard.memory);
        expect(lean.cpu).to.be.lessThan(standard.cpu);
    });
});

describe("platform values: cert-manager", () => {
    it("installs the CRDs and sizes the controller, webhook, cainjector and startup check", () => {
        const { values, footprint } = certManagerPlan("lean");
        expect(values.crds).to.deep.equal({ enabled: true, keep: true });
        expect(
            resourceBlocks(values)
                .map((b) => b.path)
                .sort(),
        ).to.deep.equal(["cainjector.resources", "resources", "startupapicheck.resources", "webhook.resources"]);
        expectComplete(resourceBlocks(values));
        expect(footprint.map((f) => f.workload)).to.deep.equal([
            "cert-manager/controller",
            "cert-manager/webhook",
            "cert-manager/cainjector",
        ]);
    });
});

describe("platform values: KServe", () => {
    it("runs in Standard mode with the cluster's ingress class", () => {
        const { values } = kservePlan({ profile: "lean", ingressClass: "traefik" });
        expect(at(values, "kserve.controller.deploymentMode")).to.equal("Standard");
        expect(at(values, "kserve.controller.gateway")).to.deep.include({
            disableIngressCreation: false,
            ingressGateway: { className: "traefik", enableGatewayApi: false, createGateway: false },
        });
    });

    it("creates no ALB Ingress on EKS: the controller's instance targets need NodePort, KServe's Services are ClusterIP (issue 10, defect 6)", () => {
        expect(at(kservePlan({ profile: "standard", ingressClass: "alb" }).values, "kserve.controller.gateway")).to.deep.equal({
            disableIngressCreation: true,
        });
        expect(kserveIngressClass("alb")).to.equal(undefined);
        expect(kserveIngressClass("traefik")).to.equal("traefik");
        expect(kserveIngressClass(undefined)).to.equal(undefined);
    });

    it("in every stack and delivery, KServe creates Ingresses only for a class that reaches ClusterIP Services", async () => {
        for (const stack of STACKS)
            for (const delivery of DELIVERIES) {
                const { run } = await platformRun(stack, delivery);
                const kserve = run.registrations.filter(
                    (r) =>
                        (r.type === RELEASE && String(r.inputs.chart).endsWith("/kserve-resources")) ||
                        (r.type === APPLICATION && at(r.inputs, "spec.source.chart") === "kserve-resources"),
                );
                expect(kserve, `${stack}/${delivery}`).to.have.length(1);
                const values = kserve[0].type === RELEASE ? kserve[0].inputs.values : at(kserve[0].inputs, "spec.source.helm.valuesObject");
                const gateway = at(values, "kserve.controller.gateway") as {
                    disableIngressCreation: boolean;
                    ingressGateway?: { className: string };
                };
                if (!gateway.disableIngressCreation)
                    expect(KSERVE_INGRESS_CLASSES, `${stack}/${delivery}`).to.include(gateway.ingressGateway?.className);
                if (stack === "aws") expect(gateway, `${stack}/${delivery}`).to.deep.equal({ disableIngressCreation: true });
            }
    }).timeout(300_000);

    it("turns ingress creation off when the cluster has no ingress class", () => {
        expect(at(kservePlan({ profile: "lean", ingressClass: undefined }).values, "kserve.controller.gateway")).to.deep.equal({
            disableIngressCreation: true,
        });
    });

    it("sizes the controller, its proxy and the default InferenceService, lower under lean than the chart's 1 CPU / 2Gi", () => {
        const lean = kservePlan({ profile: "lean", ingressClass: undefined });
        expectComplete(resourceBlocks(lean.values));
        const isvc = at(lean.values, "kserve.inferenceservice.resources.requests") as { cpu: string; memory: string };
        expect(parseCpu(isvc.cpu)).to.be.lessThan(1);
        expect(parseMemory(isvc.memory)).to.be.lessThan(parseMemory("2Gi"));
        const standard = at(
            kservePlan({ profile: "standard", ingressClass: undefined }).values,
            "kserve.inferenceservice.resources.requests",
        ) as { memory: string };
        expect(parseMemory(isvc.memory)).to.be.lessThan(parseMemory(standard.memory));
        expect(lean.footprint).to.have.length(1);
        expect(lean.footprint[0].memory).to.equal(
            parseMemory(at(lean.values, "kserve.controller.resources.requests.memory") as string) +
                parseMemory(at(lean.values, "kserve.controller.rbacProxy.resources.requests.memory") as string),
        );
    });
});

describe("platform values: Argo CD", () => {
    it("keeps the admin password out of the chart: its own Secret, dex and redis-ha off", () => {
        const { values } = argocdPlan({ profile: "lean" });
        expect(at(values, "configs.secret")).to.deep.equal({ createSecret: false });
        expect(JSON.stringify(values)).not.to.match(/argocdServerAdminPassword|\$2a\$/);
        expect(at(values, "dex.enabled")).to.equal(false);
        expect(at(values, "redis-ha.enabled")).to.equal(false);
        expect(at(values, "crds.install")).to.equal(true);
        expectComplete(resourceBlocks(values));
    });

    it("drops the ApplicationSet and notifications controllers under lean, and their footprint with them", () => {
        const lean = argocdPlan({ profile: "lean" });
        expect(at(lean.values, "applicationSet.replicas")).to.equal(0);
        expect(at(lean.values, "notifications.enabled")).to.equal(false);
        expect(lean.footprint.map((f) => f.workload)).to.deep.equal([
            "argo-cd/application-controller",
            "argo-cd/repo-server",
            "argo-cd/server",
            "argo-cd/redis",
        ]);
        expect(argocdPlan({ profile: "standard" }).footprint).to.have.length(6);
    });

    it("serves insecure HTTP only behind an ingress", () => {
        expect(at(argocdPlan({ profile: "lean" }).values, "configs.params")).to.deep.equal({ "server.insecure": false });
        const ingress = argocdPlan({ profile: "lean", ingress: { className: "traefik", host: "argocd.lab" } }).values;
        expect(at(ingress, "configs.params")).to.deep.equal({ "server.insecure": true });
        expect(at(ingress, "server.ingress")).to.include({ enabled: true, ingressClassName: "traefik", hostname: "argocd.lab" });
    });

    it("builds an AppProject limited to the given repositories and destinations", () => {
        const spec = appProjectSpec({
            sourceRepos: ["ghcr.io/kserve/charts"],
            destinations: [{ name: "in-cluster", namespace: "kserve" }],
        });
        expect(spec.sourceRepos).to.deep.equal(["ghcr.io/kserve/charts"]);
        expect(spec.destinations).to.deep.equal([{ name: "in-cluster", namespace: "kserve" }]);
        expect(() => appProjectSpec({ sourceRepos: [], destinations: [] })).to.throw(/at least one source repository/);
    });
});

describe("platform values: kagent", () => {
    const base = { profile: "lean" as const, provider: "gemini" as LlmProvider, storageClass: "local-path" };

    it("maps every provider to the chart's key, a default model and the Pulumi-made key Secret", () => {
        for (const provider of Object.keys(LLM_PROVIDERS) as LlmProvider[]) {
            const info = LLM_PROVIDERS[provider];
            const values = providerValues({ provider, endpoint: "https://x.openai.azure.com" });
            expect(values.default, provider).to.equal(info.key);
            const entry = values[info.key] as Obj;
            expect(entry.model, provider).to.equal(info.defaultModel);
            expect(entry.apiKey, `${provider}: no key in values`).to.equal(undefined);
            if (info.apiKeyKey)
                expect(entry, provider).to.include({ apiKeySecretRef: LLM_API_KEY_SECRET, apiKeySecretKey: info.apiKeyKey });
            else expect(entry.apiKeySecretRef, provider).to.equal(undefined);
        }
        expect((providerValues({ provider: "gemini" }).gemini as Obj).provider).to.equal("Gemini");
    });

    it("takes the model from config and Ollama's host from the endpoint; Azure needs an endpoint", () => {
        expect((providerValues({ provider: "anthropic", model: "claude-sonnet-4-5" }).anthropic as Obj).model).to.equal(
            "claude-sonnet-4-5",
        );
        expect((providerValues({ provider: "openai", model: "  " }).openAI as Obj).model).to.equal("gpt-4.1-mini");
        expect((providerValues({ provider: "ollama", endpoint: "ollama.ai.svc:11434" }).ollama as Obj).config).to.deep.equal({
            host: "ollama.ai.svc:11434",
        });
        expect(() => providerValues({ provider: "azureopenai" })).to.throw(/azureopenai needs the Azure OpenAI endpoint/);
    });

    it("keeps only the profile's bundled agents (lean: the fewest) and no unpinned grafana-mcp", () => {
        const { values, footprint } = kagentPlan(base);
        const enabled = BUNDLED_AGENTS.filter((a) => at(values, `${a}.enabled`) === true);
        expect(enabled).to.deep.equal([...DEFAULT_AGENTS.lean]);
        expect(BUNDLED_AGENTS.filter((a) => at(values, `${a}.enabled`) === false)).to.have.length(BUNDLED_AGENTS.length - enabled.length);
        expect(at(values, "grafana-mcp.enabled")).to.equal(false);
        expect(at(values, "querydoc.enabled")).to.equal(false);
        expect(DEFAULT_AGENTS.lean.length).to.be.lessThan(DEFAULT_AGENTS.standard.length);
        expect(footprint.filter((f) => f.workload.endsWith("-agent")).map((f) => f.workload)).to.deep.equal(["kagent/k8s-agent"]);
        expect(() => kagentPlan({ ...base, agents: ["observability-agent"] })).to.throw(/grafana-mcp/);
        expect(() => kagentPlan({ ...base, agents: ["k9s-agent" as never] })).to.throw(/not bundled/);
    });

    it("puts the bundled Postgres on the storage class and sizes every piece", () => {
        const { values } = kagentPlan({ ...base, storageClass: "gp3" });
        expect(at(values, "database.postgres.bundled")).to.include({ enabled: true, storageClassName: "gp3" });
        expectComplete(resourceBlocks(values));
        expect(resourceBlocks(values).map((b) => b.path)).to.include.members([
            "controller.resources",
            "ui.resources",
            "kmcp.resources",
            "kagent-tools.resources",
            "database.postgres.bundled.resources",
            "k8s-agent.resources",
        ]);
    });

    it("sends traces to the OTLP endpoint only when one is set", () => {
        expect(at(kagentPlan(base).values, "otel.tracing")).to.deep.equal({ enabled: false });
        expect(at(kagentPlan({ ...base, otlpEndpoint: "http://otel-collector.observability:4317" }).values, "otel.tracing")).to.deep.equal({
            enabled: true,
            exporter: { otlp: { endpoint: "http://otel-collector.observability:4317", protocol: "grpc", insecure: true, timeout: 15000 } },
        });
        expect(at(kagentPlan({ ...base, otlpEndpoint: "https://otlp.example.com:4318" }).values, "otel.tracing.exporter.otlp")).to.include({
            protocol: "http",
            insecure: false,
        });
    });
});
