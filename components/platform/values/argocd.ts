// Argo CD values and the AppProject spec. Pure: tested directly.
import type { HelmSource } from "../../delivery/source";
import type { ProjectDestination } from "../../delivery/project-scope";
import type { Footprint } from "../footprint";
import { Profile, Size, footprint, resources, size } from "../sizing";

/** argoproj/argo-helm tag argo-cd-10.1.1 (appVersion v3.4.4). */
export const ARGOCD_CHART: HelmSource = { kind: "helm", repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" };

/** The chart's deployments read this Secret; with `configs.secret.createSecret: false` Pulumi owns it. */
export const ARGOCD_SECRET = "argocd-secret";
/** Argo CD's name for the cluster it runs in. */
export const IN_CLUSTER = "in-cluster";
/**
 * Sessions issued before this instant are invalid. Fixed (not "now") so the Secret does not change on
 * every `pulumi up`; bump it when replacing the password to log everyone out.
 */
export const ADMIN_PASSWORD_MTIME = "2026-01-01T00:00:00Z";

export interface ArgoCdSizes {
    readonly controller: Size;
    readonly repoServer: Size;
    readonly server: Size;
    readonly redis: Size;
    readonly applicationSet: Size;
    readonly notifications: Size;
    /** The redis-secret-init hook Job (short-lived). */
    readonly job: Size;
    readonly applicationSetReplicas: number;
    readonly notificationsEnabled: boolean;
}

export const ARGOCD_SIZES: Record<Profile, ArgoCdSizes> = {
    standard: {
        controller: size("250m", "512Mi", "2", "1536Mi"),
        repoServer: size("100m", "256Mi", "1", "1Gi"),
        server: size("50m", "128Mi", "500m", "256Mi"),
        redis: size("50m", "64Mi", "200m", "128Mi"),
        applicationSet: size("20m", "64Mi", "200m", "128Mi"),
        notifications: size("20m", "64Mi", "200m", "128Mi"),
        job: size("10m", "32Mi", "100m", "64Mi"),
        applicationSetReplicas: 1,
        notificationsEnabled: true,
    },
    lean: {
        controller: size("100m", "256Mi", "1", "768Mi"),
        repoServer: size("50m", "192Mi", "1", "768Mi"),
        server: size("25m", "64Mi", "250m", "192Mi"),
        redis: size("10m", "32Mi", "100m", "64Mi"),
        applicationSet: size("10m", "48Mi", "100m", "96Mi"),
        notifications: size("10m", "48Mi", "100m", "96Mi"),
        job: size("10m", "32Mi", "100m", "64Mi"),
        // The platform declares Applications directly; ApplicationSets and notifications are unused.
        applicationSetReplicas: 0,
        notificationsEnabled: false,
    },
};

export interface ArgoCdValuesArgs {
    readonly profile: Profile;
    /** Expose the UI through an Ingress (TLS terminated there, so the server runs insecure behind it). */
    readonly ingress?: { readonly className: string; readonly host: string };
}

export function argocdPlan(args: ArgoCdValuesArgs): { values: Record<string, unknown>; footprint: Footprint[] } {
    const s = ARGOCD_SIZES[args.profile];
    const ingress = args.ingress;
    return {
        values: {
            crds: { install: true, keep: true },
            ...(ingress ? { global: { domain: ingress.host } } : {}),
            configs: {
                // The admin password's bcrypt hash is in a Secret Pulumi creates, never in chart values.
                secret: { createSecret: false },
                params: { "server.insecure": ingress !== undefined },
            },
            dex: { enabled: false },
            "redis-ha": { enabled: false },
            controller: { resources: resources(s.controller) },
            repoServer: { resources: resources(s.repoServer) },
            server: {
                resources: resources(s.server),
                ingress: ingress
                    ? { enabled: true, ingressClassName: ingress.className, hostname: ingress.host, tls: false }
                    : { enabled: false },
            },
            redis: { resources: resources(s.redis) },
            redisSecretInit: { resources: resources(s.job) },
            applicationSet: { replicas: s.applicationSetReplicas, resources: resources(s.applicationSet) },
            notifications: { enabled: s.notificationsEnabled, resources: resources(s.notifications) },
        },
        footprint: [
            footprint("argo-cd/application-controller", [s.controller]),
            footprint("argo-cd/repo-server", [s.repoServer]),
            footprint("argo-cd/server", [s.server]),
            footprint("argo-cd/redis", [s.redis]),
            footprint("argo-cd/applicationset-controller", [s.applicationSet], s.applicationSetReplicas),
            footprint("argo-cd/notifications-controller", [s.notifications], s.notificationsEnabled ? 1 : 0),
        ].filter((f) => f.cpu > 0 || f.memory > 0),
    };
}

export interface AppProjectSpecArgs {
    readonly sourceRepos: readonly string[];
    readonly destinations: readonly ProjectDestination[];
}

/**
 * The `platform` AppProject: only the repositories and (cluster, namespace) pairs the platform's
 * Applications use. Cluster-scoped kinds stay allowed: the charts install CRDs, ClusterRoles and webhooks.
 */
export function appProjectSpec(args: AppProjectSpecArgs): Record<string, unknown> {
    if (args.sourceRepos.length === 0) throw new Error("the platform AppProject needs at least one source repository");
    return {
        description: "Platform services of aiops-mlops-platform, declared by Pulumi.",
        sourceRepos: [...args.sourceRepos],
        destinations: args.destinations.map((d) => ({ name: d.name, namespace: d.namespace })),
        clusterResourceWhitelist: [{ group: "*", kind: "*" }],
        orphanedResources: { warn: true },
    };
}
