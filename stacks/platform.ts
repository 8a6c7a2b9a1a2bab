// The platform on a ClusterContract: the capacity check first, then every service, delivered the way
// the stack's config asks (helm: Pulumi installs each chart; argocd: Pulumi installs Argo CD, the
// namespaces and the CRD charts its own custom resources need, Argo CD the rest). Wiring only; each
// service is a component under components/platform.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import { dataPlatformFootprints, deployDataPlatform } from "./data-platform";
import type { ClusterContract } from "../components/cluster/contract";
import { STATEFUL_LABEL } from "../components/cluster/k3s/scripts";
import type { ArgoTarget, Delivery } from "../components/delivery";
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
    readonly config: StackConfig;
    /** The cluster the platform runs on (hybrid: the GCP control cluster, where Argo CD manages both). */
    readonly cluster: ClusterContract;
    /** A separate cluster for model serving (hybrid: the k3d edge); KServe goes there instead. */
    readonly servingCluster?: ClusterContract;
    /** The EKS cluster's IAM OIDC provider ARN; objectStore s3 needs it (IRSA). */
    readonly oidcProviderArn?: pulumi.Input<string>;
}

/** What a service component needs to be placed on one cluster. */
export interface ClusterPlacement {
    readonly cluster: ClusterContract;
    /** Provider of that cluster, and a wait for its readiness on every Kubernetes object. */
    readonly opts: pulumi.ComponentResourceOptions;
    /** Application target for that cluster when delivery is argocd. */
    readonly argocd?: ArgoTarget;
}

export interface Platform {
    readonly delivery: Delivery;
    readonly profile: Profile;
    readonly monitoring: Monitoring;
    readonly kagent: Kagent;
    readonly kserve: KServe;
    readonly argocd?: ArgoCd;
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

/** Node selector for stateful pods: the homelab's `statefulNode`, which the k3s component labels. */
function statefulNodeSelector(config: StackConfig): Record<string, string> | undefined {
    return config.environment === "homelab" && config.homelab.statefulNode ? { [STATEFUL_LABEL]: "true" } : undefined;
}

/**
 * Footprints of every always-on service, per cluster, computed from the same pure value builders the
 * components use, so the capacity check runs before any resource is declared.
 */
export function platformFootprints(args: PlatformArgs): { platform: Footprint[]; serving: Footprint[] } {
    const { config, cluster } = args;
    const s: Sizing = { profile: config.platform.profile, delivery: config.platform.delivery };
    const separateServing = args.servingCluster !== undefined;
    const data = dataPlatformFootprints({
        config,
        platform: { cluster },
        separateServing,
        servingNodeCount: args.servingCluster ? schedulableNodeCount(args.servingCluster) : 0,
    });
    const platform = [
        ...(s.delivery === "argocd" ? argocdPlan({ profile: s.profile }).footprint : []),
        ...certManagerPlan(s.profile).footprint,
        ...monitoringPlan({
            profile: s.profile,
            distribution: cluster.distribution,
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
              ...kservePlan({ profile: s.profile, ingressClass: args.servingCluster?.ingressClass }).footprint,
              ...data.serving,
          ]
        : [];
    return { platform, serving };
}

function llmEndpoint(config: StackConfig): string | undefined {
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
    const { config, cluster } = args;
    const { delivery, profile } = config.platform;
    const servingCluster = args.servingCluster ?? cluster;

    // 1. Does it fit? Throws with a table before any platform resource is declared.
    const footprints = platformFootprints(args);
    new CapacityPlan(`${cluster.clusterName}-capacity`, {
        cluster: cluster.clusterName,
        nodes: planNodes(cluster),
        footprints: footprints.platform,
    });
    if (args.servingCluster) {
        new CapacityPlan(`${servingCluster.clusterName}-capacity`, {
            cluster: servingCluster.clusterName,
            nodes: planNodes(servingCluster),
            footprints: footprints.serving,
        });
    }

    // 2. Argo CD first when it delivers the rest; with helm delivery it is not installed at all (also on
    //    hybrid: Pulumi reaches both clusters itself, so an idle Argo CD would only cost memory).
    const platformOpts = placementOpts(cluster);
    const argocd = delivery === "argocd" ? new ArgoCd(`${cluster.clusterName}-argocd`, { profile }, platformOpts) : undefined;
    // The serving cluster is registered in Argo CD by the cluster components (ArgoClusterRegistration,
    // named after the cluster), which wait for `argocd.release`.
    const platform: ClusterPlacement = { cluster, opts: platformOpts, argocd: argocd?.target(IN_CLUSTER) };
    const serving: ClusterPlacement = args.servingCluster
        ? { cluster: servingCluster, opts: placementOpts(servingCluster), argocd: argocd?.target(servingCluster.clusterName) }
        : platform;
    const base = { delivery, profile };

    // 3. The services.
    const certManager = new CertManager(`${cluster.clusterName}-cert-manager`, { ...base, argocd: platform.argocd }, platform.opts);
    const servingCertManager = args.servingCluster
        ? new CertManager(`${servingCluster.clusterName}-cert-manager`, { ...base, argocd: serving.argocd }, serving.opts)
        : certManager;
    const monitoring = new Monitoring(
        `${cluster.clusterName}-monitoring`,
        {
            ...base,
            argocd: platform.argocd,
            cluster,
            retention: config.platform.prometheusRetention,
            storage: config.platform.prometheusStorage,
            statefulNodeSelector: statefulNodeSelector(config),
            // Warning and critical alerts go to the alert analyst (stacks/data-platform.ts).
            alertWebhookUrl: analystWebhookUrl(),
            // hybrid: the edge's Prometheus agent remote-writes here (through the remote-write gate).
            remoteWriteReceiver: args.servingCluster !== undefined,
        },
        platform.opts,
    );
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
            storageClass: cluster.storageClass,
            otlpEndpoint: config.platform.otlpEndpoint,
        },
        platform.opts,
    );
    // The data platform: the object store, Kubeflow Pipelines, MLflow and the AIOps workloads (stacks/data-platform.ts).
    const data = deployDataPlatform(
        { config, platform, serving, oidcProviderArn: args.oidcProviderArn },
        {
            prometheus: { service: monitoring.prometheusService, namespace: monitoring.namespace },
            kagent: { namespace: kagent.namespace, modelConfigName: kagent.modelConfigName, crds: kagent.crds.resource },
            kserveCrds: kserve.crds.resource,
            monitoringCrds: monitoring.crds,
        },
        statefulNodeSelector(config),
    );

    // 4. The AppProject allows exactly the repositories and destinations declared above.
    if (argocd) {
        new ArgoProject(
            `${cluster.clusterName}-platform-project`,
            { scope: argocd.scope, extraRepos: [config.platform.gitopsRepoUrl] },
            { ...platformOpts, dependsOn: [argocd.release.resource] },
        );
    }
    assertPlanned(
        footprints.platform,
        [
            ...(argocd ? [argocd] : []),
            certManager,
            monitoring,
            kagent,
            ...(args.servingCluster ? [] : [kserve]),
            ...data.platformComponents,
        ],
        cluster.clusterName,
    );
    if (args.servingCluster)
        assertPlanned(footprints.serving, [servingCertManager, kserve, ...data.servingComponents], servingCluster.clusterName);

    return {
        delivery,
        profile,
        monitoring,
        kagent,
        kserve,
        argocd,
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
