// Argo CD, always installed by Pulumi with Helm: it is what delivers every other service when the
// stack's delivery is argocd. Also the `platform` AppProject. Remote clusters (the hybrid edge) are
// registered by the cluster components (ArgoClusterRegistration).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ArgoTarget, ProjectScope, ServiceRelease } from "../delivery";
import type { Footprint, HasFootprint, ServicePlan } from "./footprint";
import { PART_OF_LABEL, platformNamespace } from "./namespace";
import { ADMIN_PASSWORD_MTIME, ARGOCD_CHART, ARGOCD_SECRET, IN_CLUSTER, appProjectSpec } from "./values/argocd";

export const ARGOCD_NAMESPACE = "argocd";
export const PLATFORM_PROJECT = "platform";

export interface ArgoCdArgs {
    /** argocdPlan({ profile, ingress }) (components/platform/values/argocd.ts), computed once by the stack. */
    readonly plan: ServicePlan;
}

export class ArgoCd extends pulumi.ComponentResource implements HasFootprint {
    readonly namespace: string = ARGOCD_NAMESPACE;
    readonly footprint: readonly Footprint[];
    /** The `admin` password in plain text (a secret); Argo CD only stores its bcrypt hash. */
    readonly adminPassword: pulumi.Output<string>;
    readonly release: ServiceRelease;
    readonly serverService = "argocd-server";
    private readonly provider?: pulumi.ProviderResource;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:ArgoCd", name, {}, opts);
        this.provider = opts?.provider;
        const { plan } = args;
        this.footprint = plan.footprint;
        const ns = platformNamespace(`${name}-ns`, ARGOCD_NAMESPACE, "baseline", { parent: this });

        const password = new random.RandomPassword(`${name}-admin`, { length: 24, special: false }, { parent: this });
        this.adminPassword = pulumi.secret(password.result);
        // The chart's own argocd-secret is off (configs.secret.createSecret: false) so the hash never
        // passes through chart values; Argo CD adds server.secretkey to this Secret on first start.
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: {
                    name: ARGOCD_SECRET,
                    namespace: ARGOCD_NAMESPACE,
                    labels: { "app.kubernetes.io/name": ARGOCD_SECRET, "app.kubernetes.io/part-of": "argocd" },
                },
                type: "Opaque",
                stringData: { "admin.password": password.bcryptHash, "admin.passwordMtime": ADMIN_PASSWORD_MTIME },
            },
            { parent: this, dependsOn: [ns] },
        );
        this.release = new ServiceRelease(
            name,
            { delivery: "helm", source: ARGOCD_CHART, namespace: ARGOCD_NAMESPACE, releaseName: "argocd", values: plan.values },
            { parent: this, dependsOn: [ns, secret] },
        );
        this.registerOutputs({ adminPassword: this.adminPassword });
    }

    /** Where Applications for `cluster` go: created in Argo CD's cluster, after its CRDs exist. */
    target(cluster: string = IN_CLUSTER): ArgoTarget {
        return {
            namespace: ARGOCD_NAMESPACE,
            project: PLATFORM_PROJECT,
            cluster,
            provider: this.provider,
            dependsOn: [this.release.resource],
        };
    }
}

export interface ArgoProjectArgs {
    /** Every release of the stack; those delivered by Argo CD are what the project allows (others are skipped). */
    readonly releases: readonly ServiceRelease[];
    /** Repositories Argo CD may read besides the charts (e.g. the GitOps repository). */
    readonly extraRepos?: readonly string[];
}

/** The `platform` AppProject: allows exactly the sources and destinations of the releases it is given. */
export class ArgoProject extends pulumi.ComponentResource {
    readonly name = PLATFORM_PROJECT;

    constructor(name: string, args: ArgoProjectArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:ArgoProject", name, {}, opts);
        const scope = new ProjectScope();
        for (const r of args.releases)
            if (r.projectEntry) scope.add(r.projectEntry.source, r.projectEntry.cluster, r.projectEntry.namespace);
        for (const repo of args.extraRepos ?? []) scope.addRepo(repo);
        new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: { name: PLATFORM_PROJECT, namespace: ARGOCD_NAMESPACE, labels: { ...PART_OF_LABEL } },
                spec: appProjectSpec({ sourceRepos: scope.sourceRepos(), destinations: scope.destinations() }),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
