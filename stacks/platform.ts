// The platform on a ClusterContract: every service's plan, computed once; the capacity check on those
// plans; then every service, built from its plan and delivered the way the stack's config asks (helm: Pulumi installs each chart; argocd: Pulumi installs Argo CD, the
// namespaces and the CRD charts its own custom resources need, Argo CD the rest). Wiring only; each
// service is a component under components/platform.
import * as pulumi from "@pulumi/pulumi";
import { DataPlatform, dataPlatformPlans, deployDataPlatform } from "./data-platform";
import type { ClusterPlacement, PlanCluster, PlannedService, PlatformArgs } from "./placement";
import type { ClusterContract } from "../components/cluster/contract";
import type { Delivery } from "../components/delivery";
import type { Footprint, ServicePlan } from "../components/platform/footprint";
import { GRAFANA_ADMIN_SECRET, schedulableNodeCount } from "../components/platform/monitoring";
import { argocdPlan } from "../components/platform/values/argocd";
import { certManagerPlan } from "../components/platform/values/cert-manager";
import { kagentPlan } from "../components/platform/values/kagent";
import { kservePlan } from "../components/platform/values/kserve";
import { monitoringPlan } from "../components/platform/values/monitoring";
import { analystWebhookUrl } from "../components/workloads";
import { awaitMonitoringCrds } from "../components/delivery/monitoring-crds";
import {
    ArgoCd,
    ArgoProject,
    CapacityPlan,
    CertManager,
    Kagent,
    KServe,
    Monitoring,
    Profile,
    planNodes,
    IN_CLUSTER,
} from "../components/platform";

export type { PlatformArgs };

export interface Platform {
    readonly delivery: Delivery;
    readonly profile: Profile;
    readonly monitoring: Monitoring;
    readonly kagent: Kagent;
    readonly kserve: KServe;
    readonly argocd?: ArgoCd;
    /** The data platform (object store, KFP, MLflow, the AIOps workloads). */
    readonly data: DataPlatform;
    /** Where the platform's own services run, and where models are served (the same cluster unless hybrid). */
    readonly platform: ClusterPlacement;
    readonly serving: ClusterPlacement;
    /** Stack outputs to merge into the stack's own: passwords leave only as secrets. */
    readonly outputs: Record<string, unknown>;
}

// Every service's pure plan (site -> { values, footprint }), computed once per stack before any resource is
// declared: the capacity check adds up the footprints, and each component is built from its plan.
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

/** Every Kubernetes object of a component waits for the cluster to be ready (node groups, CSI, joins). */
function afterReady(ready: readonly pulumi.Resource[]): pulumi.ResourceTransformation {
    return (t) =>
        ready.length > 0 && t.type.startsWith("kubernetes:")
            ? { props: t.props, opts: pulumi.mergeOptions(t.opts, { dependsOn: [...ready] }) }
            : undefined;
}

function placementOpts(cluster: ClusterContract): pulumi.ComponentResourceOptions {
    return { provider: cluster.provider, transformations: [afterReady(cluster.readyResources)] };
}

function withMonitoringRule(opts: pulumi.ComponentResourceOptions, rule: pulumi.ResourceTransformation): pulumi.ComponentResourceOptions {
    return { ...opts, transformations: [...(opts.transformations ?? []), rule] };
}

export function deployPlatform(args: PlatformArgs): Platform {
    const { config, site } = args;
    const { cluster } = site;
    const { delivery, profile } = config.platform;
    const servingCluster = site.servingCluster ?? cluster;

    // 1. Every service's plan, once; does it fit? Throws with a table before any platform resource is declared.
    const plans = planServices(args);
    new CapacityPlan(`${cluster.clusterName}-capacity`, {
        cluster: cluster.clusterName,
        nodes: planNodes(cluster),
        footprints: footprintsOn(plans, "platform"),
    });
    if (site.servingCluster) {
        new CapacityPlan(`${servingCluster.clusterName}-capacity`, {
            cluster: servingCluster.clusterName,
            nodes: planNodes(servingCluster),
            footprints: footprintsOn(plans, "serving"),
        });
    }

    // 2. Argo CD first when it delivers the rest; with helm delivery it is not installed at all (also on
    //    hybrid: Pulumi reaches both clusters itself, so an idle Argo CD would only cost memory).
    const baseOpts = placementOpts(cluster);
    const argocd = plans.argocd ? new ArgoCd(`${cluster.clusterName}-argocd`, { plan: plans.argocd }, baseOpts) : undefined;
    const platformTarget = argocd?.target(IN_CLUSTER);
    const base = { delivery, profile };

    // 3. Monitoring next: it owns the Prometheus operator CRDs, and from here on one rule applies to every
    //    component: whatever is, or makes a chart render, a monitoring.coreos.com kind waits for those CRDs
    //    (components/delivery/monitoring-crds.ts). The serving cluster of hybrid has no such CRDs, and the
    //    rule refuses monitors there.
    const monitoring = new Monitoring(
        `${cluster.clusterName}-monitoring`,
        {
            ...base,
            argocd: platformTarget,
            plan: plans.monitoring,
        },
        baseOpts,
    );
    // The serving cluster is registered in Argo CD by the cluster components (ArgoClusterRegistration,
    // named after the cluster), which wait for `argocd.release`.
    const platform: ClusterPlacement = {
        cluster,
        opts: withMonitoringRule(baseOpts, awaitMonitoringCrds(monitoring.crds, cluster.clusterName)),
        argocd: platformTarget,
    };
    const serving: ClusterPlacement = site.servingCluster
        ? {
              cluster: servingCluster,
              opts: withMonitoringRule(placementOpts(servingCluster), awaitMonitoringCrds(undefined, servingCluster.clusterName)),
              argocd: argocd?.target(servingCluster.clusterName),
          }
        : platform;

    // 4. The other services.
    const certManager = new CertManager(
        `${cluster.clusterName}-cert-manager`,
        { ...base, argocd: platform.argocd, plan: plans.certManager },
        platform.opts,
    );
    const servingCertManager = site.servingCluster
        ? new CertManager(
              `${servingCluster.clusterName}-cert-manager`,
              { ...base, argocd: serving.argocd, plan: plans.certManager },
              serving.opts,
          )
        : certManager;
    const kserve = new KServe(
        `${servingCluster.clusterName}-kserve`,
        { ...base, argocd: serving.argocd, plan: plans.kserve, certManager: servingCertManager },
        serving.opts,
    );
    const kagent = new Kagent(
        `${cluster.clusterName}-kagent`,
        {
            ...base,
            argocd: platform.argocd,
            provider: config.platform.llmProvider,
            model: config.platform.llmModel,
            apiKey: config.secrets.llmApiKey,
            apiKeyOptional: site.llmApiKeyOptional ?? false,
            plan: plans.kagent,
        },
        platform.opts,
    );
    // The data platform: the object store, Kubeflow Pipelines, MLflow and the AIOps workloads (stacks/data-platform.ts).
    const data = deployDataPlatform(
        { config, platform, serving, site },
        {
            prometheus: { service: monitoring.prometheusService, namespace: monitoring.namespace },
            kagent: { namespace: kagent.namespace, modelConfigName: kagent.modelConfigName, crds: kagent.crds.resource },
            kserveCrds: kserve.crds.resource,
        },
        site.statefulNodeSelector,
    );

    // 4. The AppProject allows exactly the repositories and destinations of the releases declared above.
    if (argocd) {
        const services = [certManager, ...(site.servingCluster ? [servingCertManager] : []), monitoring, kserve, kagent];
        new ArgoProject(
            `${cluster.clusterName}-platform-project`,
            {
                releases: [...services.flatMap((s) => s.releases), ...data.releases],
                extraRepos: config.platform.gitopsRepoUrl ? [config.platform.gitopsRepoUrl] : [],
            },
            { ...baseOpts, dependsOn: [argocd.release.resource] },
        );
    }

    return {
        delivery,
        profile,
        monitoring,
        kagent,
        kserve,
        argocd,
        data,
        platform,
        serving,
        outputs: {
            platformDelivery: delivery,
            grafanaAdminPassword: monitoring.grafanaAdminPassword,
            ...(argocd ? { argocdAdminPassword: argocd.adminPassword } : {}),
            kagentModelConfig: `${kagent.namespace}/${kagent.modelConfigName}`,
            ...data.outputs,
        },
    };
}
