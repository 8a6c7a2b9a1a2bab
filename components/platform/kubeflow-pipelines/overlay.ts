// The committed kustomize overlays for Kubeflow Pipelines, generated from one table so the YAML Argo CD
// and Pulumi apply, the footprint the capacity check adds up and the amd64 proof can never disagree.
// Regenerate after editing: `npx ts-node --transpile-only components/platform/kubeflow-pipelines/write-overlays.ts`
// (tests/platform/kubeflow-pipelines.spec.ts fails when the committed files drift from this module).
import { stringify } from "yaml";
import type { Profile, Size } from "../sizing";
import { size } from "../sizing";
import { IN_CLUSTER_HOST } from "../object-store/types";

export const KFP_VERSION = "2.17.0";
/** Remote bases as the upstream install docs write them (kustomize fetches them at build time). */
export const KFP_REMOTE = {
    platformAgnostic: `github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=${KFP_VERSION}`,
    clusterScoped: `github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=${KFP_VERSION}`,
} as const;
export const KFP_NAMESPACE = "kubeflow";
/** Where this directory sits in the repository (Argo CD's `path`, Pulumi's directory). */
export const KFP_OVERLAY_ROOT = "components/platform/kubeflow-pipelines";

export interface KfpWorkload {
    /** Deployment name in env/platform-agnostic. */
    readonly name: string;
    readonly container: string;
    /** Image repositories of its containers (init containers included), tags stripped. */
    readonly images: readonly string[];
    readonly sizes: Record<Profile, Size>;
    /** Replicas per profile (lean turns optional pieces off); default 1. */
    readonly replicas?: Partial<Record<Profile, number>>;
    /** Only present while KFP bundles its own store. */
    readonly bundledStoreOnly?: boolean;
}

const ALPINE = "docker.io/alpine";
/**
 * Every Deployment env/platform-agnostic creates at 2.17.0 with its images, read from the release's
 * manifests (`git show 2.17.0:manifests/kustomize/...`). The amd64 proof checks config against this.
 */
export const KFP_WORKLOADS: readonly KfpWorkload[] = [
    {
        name: "ml-pipeline",
        container: "ml-pipeline-api-server",
        images: ["ghcr.io/kubeflow/kfp-api-server", ALPINE],
        sizes: { lean: size("100m", "256Mi", "500m", "512Mi"), standard: size("250m", "500Mi", "1", "1Gi") },
    },
    {
        name: "ml-pipeline-persistenceagent",
        container: "ml-pipeline-persistenceagent",
        images: ["ghcr.io/kubeflow/kfp-persistence-agent", ALPINE],
        sizes: { lean: size("20m", "64Mi", "200m", "128Mi"), standard: size("120m", "500Mi", "500m", "1Gi") },
    },
    {
        name: "ml-pipeline-scheduledworkflow",
        container: "ml-pipeline-scheduledworkflow",
        images: ["ghcr.io/kubeflow/kfp-scheduled-workflow-controller", ALPINE],
        sizes: { lean: size("20m", "64Mi", "200m", "128Mi"), standard: size("50m", "128Mi", "500m", "256Mi") },
    },
    {
        name: "ml-pipeline-ui",
        container: "ml-pipeline-ui",
        images: ["ghcr.io/kubeflow/kfp-frontend"],
        sizes: { lean: size("20m", "96Mi", "200m", "256Mi"), standard: size("50m", "128Mi", "500m", "512Mi") },
    },
    {
        name: "ml-pipeline-viewer-crd",
        container: "ml-pipeline-viewer-crd",
        images: ["ghcr.io/kubeflow/kfp-viewer-crd-controller"],
        sizes: { lean: size("10m", "32Mi", "100m", "64Mi"), standard: size("20m", "64Mi", "200m", "128Mi") },
    },
    // Renders v1 visualizations only; off in lean (500 MiB of Python for a feature v2 pipelines don't use).
    {
        name: "ml-pipeline-visualizationserver",
        container: "ml-pipeline-visualizationserver",
        images: ["ghcr.io/kubeflow/kfp-visualization-server"],
        sizes: { lean: size("30m", "256Mi", "500m", "1Gi"), standard: size("30m", "500Mi", "500m", "1Gi") },
        replicas: { lean: 0 },
    },
    {
        name: "cache-server",
        container: "server",
        images: ["ghcr.io/kubeflow/kfp-cache-server"],
        sizes: { lean: size("20m", "64Mi", "200m", "128Mi"), standard: size("50m", "128Mi", "500m", "256Mi") },
    },
    {
        name: "cache-deployer-deployment",
        container: "main",
        images: ["ghcr.io/kubeflow/kfp-cache-deployer"],
        sizes: { lean: size("10m", "32Mi", "100m", "64Mi"), standard: size("10m", "32Mi", "100m", "64Mi") },
    },
    {
        name: "metadata-envoy-deployment",
        container: "container",
        images: ["ghcr.io/kubeflow/kfp-metadata-envoy"],
        sizes: { lean: size("10m", "32Mi", "100m", "128Mi"), standard: size("20m", "64Mi", "200m", "256Mi") },
    },
    {
        name: "metadata-grpc-deployment",
        container: "container",
        images: ["gcr.io/tfx-oss-public/ml_metadata_store_server", ALPINE],
        sizes: { lean: size("20m", "64Mi", "200m", "256Mi"), standard: size("50m", "128Mi", "500m", "512Mi") },
    },
    {
        name: "metadata-writer",
        container: "main",
        images: ["ghcr.io/kubeflow/kfp-metadata-writer", ALPINE],
        sizes: { lean: size("10m", "96Mi", "100m", "256Mi"), standard: size("20m", "128Mi", "200m", "512Mi") },
    },
    {
        name: "workflow-controller",
        container: "workflow-controller",
        images: ["quay.io/argoproj/workflow-controller"],
        sizes: { lean: size("50m", "128Mi", "500m", "256Mi"), standard: size("100m", "256Mi", "1", "512Mi") },
    },
    {
        name: "mysql",
        container: "mysql",
        images: ["mysql"],
        sizes: { lean: size("100m", "512Mi", "1", "1Gi"), standard: size("100m", "800Mi", "1", "2Gi") },
    },
    {
        name: "seaweedfs",
        container: "seaweedfs",
        images: ["ghcr.io/chrislusf/seaweedfs"],
        sizes: { lean: size("50m", "192Mi", "500m", "512Mi"), standard: size("64m", "256Mi", "1", "1Gi") },
        bundledStoreOnly: true,
    },
];

/**
 * Images in the platform's amd64-only list that env/platform-agnostic does not deploy (the inverse
 * proxy agent belongs to env/gcp). Listed so a new entry in config is a conscious decision.
 */
export const KFP_IMAGES_NOT_DEPLOYED: readonly string[] = ["ghcr.io/kubeflow/kfp-inverse-proxy-agent"];

export type ArchPlacement = "default" | "mixed-arch";
export type StoreMode = "platform-store" | "bundled-store";

export interface KfpVariant {
    readonly arch: ArchPlacement;
    readonly store: StoreMode;
    readonly profile: Profile;
}

export const KFP_VARIANTS: readonly KfpVariant[] = (["default", "mixed-arch"] as const).flatMap((arch) =>
    (["platform-store", "bundled-store"] as const).flatMap((store) =>
        (["lean", "standard"] as const).map((profile) => ({ arch, store, profile })),
    ),
);

/** Overlay directory of a variant, relative to this directory. */
export function variantPath(v: KfpVariant): string {
    return `overlays/${v.arch}/${v.store}/${v.profile}`;
}

/** Workloads a variant runs, with their replicas. */
export function workloadsOf(v: Pick<KfpVariant, "store" | "profile">): { workload: KfpWorkload; replicas: number }[] {
    return KFP_WORKLOADS.filter((w) => !(w.bundledStoreOnly && v.store === "platform-store")).map((w) => ({
        workload: w,
        replicas: w.replicas?.[v.profile] ?? 1,
    }));
}

const HEADER = "# Generated by components/platform/kubeflow-pipelines/overlay.ts; edit that file and run write-overlays.ts.\n";
const COMPONENT = { apiVersion: "kustomize.config.k8s.io/v1alpha1", kind: "Component" };
const KUSTOMIZATION = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization" };

function doc(comment: string, body: Record<string, unknown>): string {
    return (
        HEADER +
        comment
            .split("\n")
            .map((l) => `# ${l}`.trimEnd())
            .join("\n") +
        "\n" +
        stringify(body, { lineWidth: 0 })
    );
}

function smp(obj: Record<string, unknown>): string {
    return stringify(obj, { lineWidth: 0 });
}

/** Every file of the overlay directory, path -> content. Pure. */
export function kfpOverlayFiles(): Record<string, string> {
    const files: Record<string, string> = {};

    files["cluster-scoped/kustomization.yaml"] = doc(
        "CRDs, RBAC and the namespace of KFP. Pulumi creates the `kubeflow` namespace itself (with the platform's\nPod Security labels) before anything that lives in it, so the upstream Namespace is dropped here.",
        {
            ...KUSTOMIZATION,
            resources: [KFP_REMOTE.clusterScoped],
            patches: [{ patch: smp({ $patch: "delete", apiVersion: "v1", kind: "Namespace", metadata: { name: KFP_NAMESPACE } }) }],
        },
    );

    // Every Deployment, not only the two whose images are amd64-only: the set changed in each release
    // (all amd64 up to 2.16, 11 of 13 multi-arch in 2.17) and a miss shows only at runtime as
    // `exec format error`. On the homelab the only schedulable node is amd64 anyway.
    files["components/amd64-nodes/kustomization.yaml"] = doc(
        "Pins every KFP Deployment to amd64 nodes (used on mixed-architecture clusters).",
        {
            ...COMPONENT,
            patches: [
                {
                    target: { group: "apps", version: "v1", kind: "Deployment" },
                    patch: smp({
                        apiVersion: "apps/v1",
                        kind: "Deployment",
                        metadata: { name: "any" },
                        spec: { template: { spec: { nodeSelector: { "kubernetes.io/arch": "amd64" } } } },
                    }),
                },
            ],
        },
    );

    files["components/platform-object-store/kustomization.yaml"] = doc(
        `Points KFP at the platform's in-cluster object store instead of its bundled SeaweedFS.\nEvery KFP client (API server, UI, launcher, Argo's artifact repository) dials seaweedfs.kubeflow:9000 with the\nSecret mlpipeline-minio-artifact; the Service becomes an ExternalName for ${IN_CLUSTER_HOST}\n(which serves S3 on 9000) and Pulumi writes that Secret with the store's service keys.`,
        {
            ...COMPONENT,
            patches: [
                ...(
                    [
                        ["apps/v1", "Deployment", "seaweedfs"],
                        ["v1", "PersistentVolumeClaim", "seaweedfs-pvc"],
                        ["v1", "ServiceAccount", "seaweedfs"],
                        ["networking.k8s.io/v1", "NetworkPolicy", "seaweedfs"],
                        ["v1", "Secret", "mlpipeline-minio-artifact"],
                    ] as const
                ).map(([apiVersion, kind, name]) => ({
                    patch: smp({ $patch: "delete", apiVersion, kind, metadata: { name, namespace: KFP_NAMESPACE } }),
                })),
                {
                    patch: smp({
                        apiVersion: "v1",
                        kind: "Service",
                        metadata: { name: "seaweedfs", namespace: KFP_NAMESPACE },
                        spec: { type: "ExternalName", externalName: IN_CLUSTER_HOST, selector: null },
                    }),
                },
            ],
        },
    );

    for (const profile of ["lean", "standard"] as const) {
        files[`components/resources-${profile}/kustomization.yaml`] = doc(
            `Requests and limits of every KFP workload for the ${profile} profile.`,
            {
                ...COMPONENT,
                patches: KFP_WORKLOADS.map((w) => ({
                    patch: smp({
                        apiVersion: "apps/v1",
                        kind: "Deployment",
                        metadata: { name: w.name, namespace: KFP_NAMESPACE },
                        spec: {
                            ...(w.replicas?.[profile] !== undefined ? { replicas: w.replicas[profile] } : {}),
                            template: {
                                spec: {
                                    containers: [
                                        {
                                            name: w.container,
                                            resources: {
                                                requests: { cpu: w.sizes[profile].cpu, memory: w.sizes[profile].memory },
                                                limits: { cpu: w.sizes[profile].limitCpu, memory: w.sizes[profile].limitMemory },
                                            },
                                        },
                                    ],
                                },
                            },
                        },
                    }),
                })),
            },
        );
    }

    for (const v of KFP_VARIANTS) {
        // Sizes first: they patch the bundled SeaweedFS, which the store component may then delete.
        const components = [
            `resources-${v.profile}`,
            ...(v.store === "platform-store" ? ["platform-object-store"] : []),
            ...(v.arch === "mixed-arch" ? ["amd64-nodes"] : []),
        ];
        files[`${variantPath(v)}/kustomization.yaml`] = doc(`KFP ${KFP_VERSION}: ${v.arch} placement, ${v.store}, ${v.profile} profile.`, {
            ...KUSTOMIZATION,
            resources: [KFP_REMOTE.platformAgnostic],
            components: components.map((c) => `../../../../components/${c}`),
        });
    }
    return files;
}
