// Every service's pure plan (site -> { values, footprint }), computed once per stack before any resource is
// declared: the capacity check adds up the footprints, and each component is built from its plan. A new
// service adds its plan here and its component in stacks/platform.ts (or stacks/data-platform.ts).
import type { PlanCluster, PlannedService, PlatformArgs } from "./placement";
import { dataPlatformPlans } from "./data-platform";
import type { Footprint, ServicePlan } from "../components/platform/footprint";
import { GRAFANA_ADMIN_SECRET, schedulableNodeCount } from "../components/platform/monitoring";
import { argocdPlan } from "../components/platform/values/argocd";
import { certManagerPlan } from "../components/platform/values/cert-manager";
import { kagentPlan } from "../components/platform/values/kagent";
import { kservePlan } from "../components/platform/values/kserve";
import { monitoringPlan } from "../components/platform/values/monitoring";
import { analystWebhookUrl } from "../components/workloads";

/** The plans the platform components are built from, and every service's plan for the capacity check. */
export interface ServicePlans {
    /** Only with delivery argocd. */
    readonly argocd?: ServicePlan;
    readonly certManager: ServicePlan;
    readonly monitoring: ServicePlan;
    readonly kagent: ServicePlan;
    readonly kserve: ServicePlan;
    /** Every service of the stack, each once (hybrid: cert-manager on both clusters). */
    readonly services: readonly PlannedService[];
}

/** Pure: the same site and config give the same plans. */
export function planServices(args: PlatformArgs): ServicePlans {
    const { config, site } = args;
    const { cluster } = site;
    const { delivery, profile } = config.platform;
    const servingCluster = site.servingCluster ?? cluster;
    const separateServing = site.servingCluster !== undefined;
    const serving: PlanCluster = separateServing ? "serving" : "platform";

    const argocd = delivery === "argocd" ? argocdPlan({ profile }) : undefined;
    const certManager = certManagerPlan(profile);
    const monitoring = monitoringPlan({
        profile,
        storageClass: cluster.storageClass,
        retention: config.platform.prometheusRetention,
        storage: config.platform.prometheusStorage,
        grafanaAdminSecret: GRAFANA_ADMIN_SECRET,
        // Warning and critical alerts go to the alert analyst (stacks/data-platform.ts).
        alertWebhookUrl: analystWebhookUrl(),
        nodeCount: schedulableNodeCount(cluster),
        statefulNodeSelector: site.statefulNodeSelector,
        crdsInChart: delivery === "helm",
        // hybrid: the edge's Prometheus agent remote-writes here (through the remote-write gate).
        remoteWriteReceiver: separateServing,
    });
    const kagent = kagentPlan({
        profile,
        provider: config.platform.llmProvider,
        model: config.platform.llmModel,
        endpoint: llmEndpoint(config),
        storageClass: cluster.storageClass,
        otlpEndpoint: config.platform.otlpEndpoint,
    });
    const kserve = kservePlan({ profile, ingressClass: servingCluster.ingressClass });

    const services: PlannedService[] = [
        ...(argocd ? [{ name: "argocd", cluster: "platform" as const, plan: argocd }] : []),
        { name: "cert-manager", cluster: "platform", plan: certManager },
        ...(separateServing ? [{ name: "cert-manager", cluster: "serving" as const, plan: certManager }] : []),
        { name: "monitoring", cluster: "platform", plan: monitoring },
        { name: "kagent", cluster: "platform", plan: kagent },
        { name: "kserve", cluster: serving, plan: kserve },
        ...dataPlatformPlans({
            config,
            cluster,
            separateServing,
            site,
            servingNodeCount: site.servingCluster ? schedulableNodeCount(site.servingCluster) : 0,
        }),
    ];
    return { argocd, certManager, monitoring, kagent, kserve, services };
}

/** The footprints the capacity check of one cluster adds up. */
export function footprintsOn(plans: ServicePlans, cluster: PlanCluster): Footprint[] {
    return plans.services.filter((s) => s.cluster === cluster).flatMap((s) => s.plan.footprint);
}

/** The LLM endpoint kagent's plan takes: Ollama's host, or Azure OpenAI's endpoint. */
export function llmEndpoint(config: PlatformArgs["config"]): string | undefined {
    if (config.platform.llmProvider === "ollama") return config.platform.ollamaHost;
    return config.platform.llmProvider === "azureopenai" ? config.platform.azureOpenAIEndpoint : undefined;
}
