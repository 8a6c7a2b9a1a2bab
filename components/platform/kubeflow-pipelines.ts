// Kubeflow Pipelines 2.17 standalone, from the committed kustomize overlays in ./kubeflow-pipelines
// (upstream ships no Helm chart). The same overlay serves both deliveries: Argo CD reads it from the
// GitOps repository the user named (config gitopsRepoUrl + gitopsRevision), otherwise Pulumi builds it
// from this checkout with kustomize.v2.Directory, even when the rest of the platform goes through Argo CD.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterContract } from "../cluster/contract";
import { isMixedArch, schedulablePools } from "../cluster/contract";
import { Delivery, KustomizeSource, ServiceRelease } from "../delivery";
import { PlatformServiceArgs, requireTarget } from "./service";
import type { Footprint } from "./footprint";
import { KFP_NAMESPACE, KFP_OVERLAY_ROOT, KFP_VERSION, KfpVariant, variantPath, workloadsOf } from "./kubeflow-pipelines/overlay";
import { PLATFORM_NAMESPACES, platformNamespace } from "./namespace";
import type { ObjectStore } from "./object-store/types";
import { Profile, footprint } from "./sizing";

export { KFP_VERSION, KFP_WORKLOADS, KFP_VARIANTS, kfpOverlayFiles, variantPath } from "./kubeflow-pipelines/overlay";

/** The Secret every KFP component reads object-store keys from, and its key names (upstream contract). */
export const KFP_ARTIFACT_SECRET = { name: "mlpipeline-minio-artifact", accessKeyKey: "accesskey", secretKeyKey: "secretkey" } as const;

/** Picks the overlay: amd64 pin on mixed clusters, the platform's store when it runs in-cluster. Pure. */
export function selectKfpVariant(args: {
    cluster: Pick<ClusterContract, "nodePools">;
    storeInCluster: boolean;
    profile: Profile;
}): KfpVariant {
    if (!schedulablePools(args.cluster).some((p) => p.arch === "amd64")) {
        throw new Error(
            `Kubeflow Pipelines needs a schedulable amd64 node pool (ml_metadata_store_server and kfp-metadata-writer have no arm64 build); got pools ${
                schedulablePools(args.cluster)
                    .map((p) => `${p.name}(${p.arch})`)
                    .join(", ") || "none"
            }`,
        );
    }
    return {
        arch: isMixedArch(args.cluster) ? "mixed-arch" : "default",
        store: args.storeInCluster ? "platform-store" : "bundled-store",
        profile: args.profile,
    };
}

/**
 * The delivery source of one overlay directory of this repository. Without `gitops` only the local
 * directory is meaningful (repoURL and targetRevision stay empty; ServiceRelease refuses them for Argo CD).
 */
export function kfpSource(relativePath: string, gitops: { repoUrl: string; revision: string } | undefined): KustomizeSource {
    const path = `${KFP_OVERLAY_ROOT}/${relativePath}`;
    return { kind: "kustomize", repoURL: gitops?.repoUrl ?? "", path, targetRevision: gitops?.revision ?? "", localDirectory: path };
}

/**
 * How the overlays are delivered. Argo CD only with a repository and revision the user named: the
 * project's own default repository at a fixed tag is unresolvable from a fresh fork (the fork has no such
 * tag, or a different history), and Argo CD would retry a sync that can never succeed. Pulumi applies the
 * very same overlay from the checkout it runs in, which always exists. Pure.
 */
export function kfpDelivery(delivery: Delivery, gitops: { repoUrl: string; revision: string } | undefined): Delivery {
    return delivery === "argocd" && gitops !== undefined ? "argocd" : "helm";
}

/** What each always-on KFP workload requests; on mixed clusters every one of them needs an amd64 node. */
export function kfpFootprint(variant: KfpVariant, amd64OnlyImages: readonly string[]): Footprint[] {
    return workloadsOf(variant).map(({ workload, replicas }) => {
        const amd64Only =
            variant.arch === "mixed-arch" || workload.images.some((i) => amd64OnlyImages.some((prefix) => i.startsWith(prefix)));
        return footprint(
            `kubeflow-pipelines/${workload.name}`,
            [workload.sizes[variant.profile]],
            replicas,
            amd64Only ? "amd64" : undefined,
        );
    });
}

/** Delivery, profile and Argo CD target come from PlatformServiceArgs. */
export interface KubeflowPipelinesArgs extends PlatformServiceArgs {
    /** Node pools of the target cluster (decides the amd64 pin). */
    readonly cluster: Pick<ClusterContract, "nodePools">;
    readonly objectStore: ObjectStore;
    /**
     * Repository and revision Argo CD reads the overlays from (config gitopsRepoUrl + gitopsRevision).
     * Default none: Pulumi applies the overlays from this checkout whatever the delivery (see kfpDelivery).
     */
    readonly gitops?: { readonly repoUrl: string; readonly revision: string };
}

export class KubeflowPipelines extends pulumi.ComponentResource {
    readonly version = KFP_VERSION;
    readonly variant: KfpVariant;
    /** In-cluster REST endpoint of the API server (v2beta1 under /apis). */
    readonly apiUrl = `http://ml-pipeline.${KFP_NAMESPACE}.svc.cluster.local:8888`;
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];

    constructor(name: string, args: KubeflowPipelinesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:KubeflowPipelines", name, {}, opts);
        requireTarget("KubeflowPipelines", args);
        this.variant = selectKfpVariant({ cluster: args.cluster, storeInCluster: args.objectStore.inCluster, profile: args.profile });
        // Baseline, as upstream labels it: pipeline step images are the user's and often run as root.
        const ns = platformNamespace(
            `${name}-ns`,
            KFP_NAMESPACE,
            "baseline",
            { parent: this },
            {
                // cache-server's mutating webhook (port 8443).
                webhookPorts: [8443],
                // The registration Job (aiops-training) calls the API server; the UI comes through Traefik (kube-system).
                fromNamespaces: [PLATFORM_NAMESPACES.training, PLATFORM_NAMESPACES.kubeSystem],
            },
        );
        const delivery = kfpDelivery(args.delivery, args.gitops);
        const crds = new ServiceRelease(
            `${name}-cluster`,
            { delivery, argocd: args.argocd, source: kfpSource("cluster-scoped", args.gitops), namespace: KFP_NAMESPACE },
            { parent: this, dependsOn: [ns] },
        );
        const ready: pulumi.Resource[] = [ns, crds];
        if (this.variant.store === "platform-store") {
            // The overlay deletes the bundled credentials; KFP reads the store's service keys from here.
            const grant = args.objectStore.grantAccess(
                `${name}-artifact-keys`,
                {
                    namespace: KFP_NAMESPACE,
                    secretName: KFP_ARTIFACT_SECRET.name,
                    accessKeyKey: KFP_ARTIFACT_SECRET.accessKeyKey,
                    secretKeyKey: KFP_ARTIFACT_SECRET.secretKeyKey,
                },
                { parent: this, dependsOn: [ns] },
            );
            if (grant.secret) ready.push(grant.secret);
        }
        this.release = new ServiceRelease(
            name,
            {
                delivery,
                argocd: args.argocd,
                source: kfpSource(variantPath(this.variant), args.gitops),
                namespace: KFP_NAMESPACE,
            },
            { parent: this, dependsOn: ready },
        );
        this.releases = [crds, this.release];
        this.registerOutputs({ apiUrl: this.apiUrl });
    }
}
