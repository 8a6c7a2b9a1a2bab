// The platform on a ClusterContract: the capacity check first, then every service, delivered the way
// the stack's config asks (helm: Pulumi installs each chart; argocd: Pulumi installs Argo CD, the
// namespaces and the CRD charts its own custom resources need, Argo CD the rest). Wiring only; each
// service is a component under components/platform.
import * as pulumi from "@pulumi/pulumi";
import { DataPlatform, dataPlatformFootprints, deployDataPlatform } from "./data-platform";
import type { ClusterPlacement, PlatformConfig, PlatformSite } from "./placement";
import type { ClusterContract } from "../components/cluster/contract";
import type { Delivery } from "../components/delivery";
import { awaitMonitoringCrds } from "../components/delivery/monitoring-crds";
import {
    ArgoCd,
    ArgoProject,
    CapacityPlan,
    CertManager,
    Footprint,
    HasFootprint,
    Kagent,
    KServe,
    Monitoring,
    Profile,
    argocdPlan,
    certManagerPlan,
    kagentPlan,
    kservePlan,
    monitoringPlan,
    planNodes,
    schedulableNodeCount,
    GRAFANA_ADMIN_SECRET,
    IN_CLUSTER,
} from "../components/platform";
import { analystWebhookUrl } from "../components/workloads";

export interface PlatformArgs {
    /** Platform settings only: whatever differs by environment comes resolved in `site`. */
    readonly config: PlatformConfig;
    readonly site: PlatformSite;
}

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

/** Settings every footprint depends on, read once from config. */
interface Sizing {
    readonly profile: Profile;
    readonly delivery: Delivery;
}

/**
 * Footprints of every always-on service, per cluster, computed from the same pure value builders the
 * components use, so the capacity check runs before any resource is declared.
 */
export function platformFootprints(args: PlatformArgs): { platform: Footprint[]; serving: Footprint[] } {
    const { config } = args;
    const { cluster } = args.site;
    const s: Sizing = { profile: config.platform.profile, delivery: config.platform.delivery };
    const separateServing = args.site.servingCluster !== undefined;
    const data = dataPlatformFootprints({
        config,
        platform: { cluster },
        separateServing,
        site: args.site,
        servingNodeCount: args.site.servingCluster ? schedulableNodeCount(args.site.servingCluster) : 0,
    });
    const platform = [
        ...(s.delivery === "argocd" ? argocdPlan({ profile: s.profile }).footprint : []),
        ...certManagerPlan(s.profile).footprint,
        ...monitoringPlan({
            profile: s.profile,
            storageClass: cluster.storageClass,
            retention: config.platform.prometheusRetention,
            storage: config.platform.prometheusStorage,
            grafanaAdminSecret: GRAFANA_ADMIN_SECRET,
            nodeCount: schedulableNodeCount(cluster),
        }).footprint,
        ...kagentPlan({
            profile: s.profile,
            provider: config.platform.llmProvider,
            model: config.platform.llmModel,
            endpoint: llmEndpoint(config),
            storageClass: cluster.storageClass,
        }).footprint,
        ...(separateServing ? [] : kservePlan({ profile: s.profile, ingressClass: cluster.ingressClass }).footprint),
        ...data.platform,
    ];
    const serving = separateServing
        ? [
              ...certManagerPlan(s.profile).footprint,
              ...kservePlan({ profile: s.profile, ingressClass: args.site.servingCluster?.ingressClass }).footprint,
              ...data.serving,
          ]
        : [];
    return { platform, serving };
}

function llmEndpoint(config: PlatformConfig): string | undefined {
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

/** Fails when a component's footprint differs from the one the capacity plan counted (a wiring bug). */
export function assertPlanned(planned: readonly Footprint[], components: readonly HasFootprint[], cluster: string): void {
    const key = (f: Footprint) => `${f.workload}|${f.cpu}|${f.memory}|${f.arch ?? ""}`;
    const built = components
        .flatMap((c) => c.footprint)
        .map(key)
        .sort();
    const counted = planned.map(key).sort();
    const missing = built.filter((k) => !counted.includes(k));
    const extra = counted.filter((k) => !built.includes(k));
    if (missing.length > 0 || extra.length > 0) {
        throw new Error(
            `capacity plan of '${cluster}' is out of step with its components: not counted [${missing.join(", ")}], counted but not built [${extra.join(", ")}]; update platformFootprints()`,
        );
    }
}

export function deployPlatform(args: PlatformArgs): Platform {
    const { config, site } = args;
    const { cluster } = site;
    const { delivery, profile } = config.platform;
    const servingCluster = site.servingCluster ?? cluster;

    // 1. Does it fit? Throws with a table before any platform resource is declared.
    const footprints = platformFootprints(args);
    new CapacityPlan(`${cluster.clusterName}-capacity`, {
        cluster: cluster.clusterName,
        nodes: planNodes(cluster),
        footprints: footprints.platform,
    });
    if (site.servingCluster) {
        new CapacityPlan(`${servingCluster.clusterName}-capacity`, {
            cluster: servingCluster.clusterName,
            nodes: planNodes(servingCluster),
            footprints: footprints.serving,
        });
    }

    // 2. Argo CD first when it delivers the rest; with helm delivery it is not installed at all (also on
    //    hybrid: Pulumi reaches both clusters itself, so an idle Argo CD would only cost memory).
    const baseOpts = placementOpts(cluster);
    const argocd = delivery === "argocd" ? new ArgoCd(`${cluster.clusterName}-argocd`, { profile }, baseOpts) : undefined;
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
            cluster,
            retention: config.platform.prometheusRetention,
            storage: config.platform.prometheusStorage,
            statefulNodeSelector: site.statefulNodeSelector,
            // Warning and critical alerts go to the alert analyst (stacks/data-platform.ts).
            alertWebhookUrl: analystWebhookUrl(),
            // hybrid: the edge's Prometheus agent remote-writes here (through the remote-write gate).
            remoteWriteReceiver: site.servingCluster !== undefined,
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
    const certManager = new CertManager(`${cluster.clusterName}-cert-manager`, { ...base, argocd: platform.argocd }, platform.opts);
    const servingCertManager = site.servingCluster
        ? new CertManager(`${servingCluster.clusterName}-cert-manager`, { ...base, argocd: serving.argocd }, serving.opts)
        : certManager;
    const kserve = new KServe(
        `${servingCluster.clusterName}-kserve`,
        { ...base, argocd: serving.argocd, ingressClass: servingCluster.ingressClass, certManager: servingCertManager },
        serving.opts,
    );
    const kagent = new Kagent(
        `${cluster.clusterName}-kagent`,
        {
            ...base,
            argocd: platform.argocd,
            provider: config.platform.llmProvider,
            model: config.platform.llmModel,
            endpoint: llmEndpoint(config),
            apiKey: config.secrets.llmApiKey,
            apiKeyOptional: site.llmApiKeyOptional ?? false,
            storageClass: cluster.storageClass,
            otlpEndpoint: config.platform.otlpEndpoint,
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
    assertPlanned(
        footprints.platform,
        [
            ...(argocd ? [argocd] : []),
            certManager,
            monitoring,
            kagent,
            ...(site.servingCluster ? [] : [kserve]),
            ...data.platformComponents,
        ],
        cluster.clusterName,
    );
    if (site.servingCluster)
        assertPlanned(footprints.serving, [servingCertManager, kserve, ...data.servingComponents], servingCluster.clusterName);

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
