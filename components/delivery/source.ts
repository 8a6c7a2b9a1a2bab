// One description of what to install, delivered either by Pulumi (Helm/kustomize) or by Argo CD.
import * as pulumi from "@pulumi/pulumi";

export type Delivery = "helm" | "argocd";

/** A Helm chart from an HTTPS repository or an OCI registry ("oci://ghcr.io/kserve/charts"). */
export interface HelmSource {
    readonly kind: "helm";
    readonly repo: string;
    readonly chart: string;
    /** Exact chart version; never a range. */
    readonly version: string;
}

/** A kustomize directory in a Git repository at a pinned revision. */
export interface KustomizeSource {
    readonly kind: "kustomize";
    readonly repoURL: string;
    readonly path: string;
    readonly targetRevision: string;
    /** What Pulumi applies for delivery "helm": a local directory or a remote kustomize URL. */
    readonly localDirectory: string;
}

export type ServiceSource = HelmSource | KustomizeSource;

/** Where Argo CD delivers an Application, when delivery is "argocd". */
export interface ArgoTarget {
    /** Namespace Argo CD runs in (Applications live there). */
    readonly namespace: string;
    /** AppProject the Application belongs to. */
    readonly project: string;
    /** Destination cluster name as registered in Argo CD ("in-cluster" for its own). */
    readonly cluster: string;
    /** Provider of the cluster Argo CD runs in (Applications are created there, whatever their destination). */
    readonly provider?: pulumi.ProviderResource;
    /** What every Application waits for: the Argo CD release that installs the Application CRD. */
    readonly dependsOn?: readonly pulumi.Resource[];
}

/** Argo CD reads OCI charts as "ghcr.io/org/charts" (no scheme) with `chart` set separately. */
export function argoRepoUrl(repo: string): string {
    return repo.replace(/^oci:\/\//, "");
}

/** Helm (through Pulumi) takes OCI charts as a full "oci://registry/path/chart" reference. */
export function helmChartRef(source: HelmSource): { chart: string; repositoryOpts?: { repo: string } } {
    return source.repo.startsWith("oci://")
        ? { chart: `${source.repo.replace(/\/$/, "")}/${source.chart}` }
        : { chart: source.chart, repositoryOpts: { repo: source.repo } };
}

export const SYNC_OPTIONS = [
    "CreateNamespace=false",
    // KServe's and kagent's CRDs exceed the 256 KiB last-applied annotation of client-side apply.
    "ServerSideApply=true",
    // Custom resources whose CRD another Application installs are dry-run only once the CRD exists.
    "SkipDryRunOnMissingResource=true",
    "PruneLast=true",
] as const;

/**
 * Webhook CA bundles are injected after install (cert-manager's cainjector, kube-prometheus-stack's
 * patch Job); without this, self-heal would strip them again and every admission call would fail.
 */
export const WEBHOOK_CA_BUNDLE_DIFFERENCES: readonly Record<string, unknown>[] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
].map((kind) => ({
    group: "admissionregistration.k8s.io",
    kind,
    jqPathExpressions: [".webhooks[]?.clientConfig.caBundle"],
}));

export interface ApplicationSpecArgs {
    readonly releaseName: string;
    readonly namespace: string;
    readonly source: ServiceSource;
    readonly values: Record<string, unknown>;
    readonly target: ArgoTarget;
    /** Extra sync options (e.g. RespectIgnoreDifferences=true). */
    readonly syncOptions?: readonly string[];
    readonly ignoreDifferences?: readonly Record<string, unknown>[];
}

/** The Application `spec`, with automated prune + self-heal and server-side apply. Pure, tested directly. */
export function applicationSpec(args: ApplicationSpecArgs): Record<string, unknown> {
    const source =
        args.source.kind === "helm"
            ? {
                  repoURL: argoRepoUrl(args.source.repo),
                  chart: args.source.chart,
                  targetRevision: args.source.version,
                  helm: { releaseName: args.releaseName, valuesObject: args.values },
              }
            : { repoURL: args.source.repoURL, path: args.source.path, targetRevision: args.source.targetRevision };
    return {
        project: args.target.project,
        source,
        destination: { name: args.target.cluster, namespace: args.namespace },
        syncPolicy: {
            automated: { prune: true, selfHeal: true, allowEmpty: false },
            // Ignored differences are also left alone while syncing, not only in the diff.
            syncOptions: [
                ...new Set([
                    ...SYNC_OPTIONS,
                    ...(args.ignoreDifferences ? ["RespectIgnoreDifferences=true"] : []),
                    ...(args.syncOptions ?? []),
                ]),
            ],
            // Applications depend on each other (KServe's webhook on cert-manager, KFP on the object store): keep retrying for ~25 min.
            retry: { limit: 10, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
        },
        ...(args.ignoreDifferences ? { ignoreDifferences: args.ignoreDifferences } : {}),
    };
}

export type Values = pulumi.Input<Record<string, unknown>>;
