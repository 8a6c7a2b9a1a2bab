// Delivers one platform service the way the stack asks: a Helm release (or kustomize directory)
// applied by Pulumi, or an Argo CD Application that Argo CD syncs with prune + self-heal.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { handDown } from "./depends-on";
import type { ProjectEntry } from "./project-scope";
import { ArgoTarget, Delivery, ServiceSource, applicationSpec, helmChartRef } from "./source";

export interface ServiceReleaseArgs {
    /**
     * helm: Pulumi installs it; argocd: an Application in `argocd.namespace`. Usually the stack's mode, but
     * a component passes "helm" for a chart whose CRDs Pulumi's own custom resources need (kserve-crd,
     * kagent-crds, prometheus-operator-crds): Argo CD would sync it only after `pulumi up` has failed with
     * "no matches for kind". `argocd` is then ignored.
     */
    readonly delivery: Delivery;
    /** The pinned Helm chart or kustomize directory. */
    readonly source: ServiceSource;
    /** Namespace the service runs in; it must already exist (the owning component creates it). */
    readonly namespace: string;
    /** Helm release name; defaults to the resource name. */
    readonly releaseName?: string;
    /** Chart values, default {}. Never put secrets here: reference Secrets the component creates instead. */
    readonly values?: pulumi.Input<Record<string, unknown>>;
    /** Required when delivery is "argocd". */
    readonly argocd?: ArgoTarget;
    /** Extra Argo CD sync options for this service. Default none (SYNC_OPTIONS always apply). */
    readonly syncOptions?: readonly string[];
    /** Argo CD ignoreDifferences entries (e.g. WEBHOOK_CA_BUNDLE_DIFFERENCES). Default none. */
    readonly ignoreDifferences?: readonly Record<string, unknown>[];
    /** Helm: wait for resources to become ready (default true); off for charts whose hooks wait themselves. */
    readonly waitForReady?: boolean;
    /** Helm: skip the chart's crds/ directory (default false: the CRDs are installed). */
    readonly skipCrds?: boolean;
}

export class ServiceRelease extends pulumi.ComponentResource {
    /** The Helm release, kustomize directory or Argo CD Application that carries the service. */
    readonly resource: pulumi.Resource;
    readonly releaseName: string;
    /** With delivery argocd: the source and destination the AppProject must allow (ArgoProject reads it). */
    readonly projectEntry?: ProjectEntry;

    constructor(name: string, args: ServiceReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:delivery:ServiceRelease", name, {}, opts);
        this.releaseName = args.releaseName ?? name;
        const values = args.values ?? {};

        // A component's dependsOn does not order its children, so it is handed down explicitly.
        const waitFor = opts?.dependsOn;

        if (args.delivery === "argocd") {
            if (!args.argocd) throw new Error(`ServiceRelease '${name}': delivery argocd needs args.argocd (namespace, project, cluster)`);
            const target = args.argocd;
            if (args.source.kind === "kustomize" && (!args.source.repoURL || !args.source.targetRevision))
                throw new Error(
                    `ServiceRelease '${name}': delivery argocd needs the kustomize source's repoURL and targetRevision (got '${args.source.repoURL}' at '${args.source.targetRevision}')`,
                );
            this.projectEntry = { source: args.source, cluster: target.cluster, namespace: args.namespace };
            this.resource = new k8s.apiextensions.CustomResource(
                name,
                {
                    apiVersion: "argoproj.io/v1alpha1",
                    kind: "Application",
                    metadata: {
                        name,
                        namespace: target.namespace,
                        // Deleting the Application deletes what it deployed.
                        finalizers: ["resources-finalizer.argocd.argoproj.io"],
                        labels: { "app.kubernetes.io/part-of": "aiops-mlops-platform" },
                    },
                    spec: pulumi.output(values).apply((v) =>
                        applicationSpec({
                            releaseName: this.releaseName,
                            namespace: args.namespace,
                            source: args.source,
                            values: v,
                            target,
                            syncOptions: args.syncOptions,
                            ignoreDifferences: args.ignoreDifferences,
                        }),
                    ),
                },
                {
                    parent: this,
                    // The Application lives where Argo CD runs, whichever cluster it deploys to.
                    ...(target.provider ? { provider: target.provider } : {}),
                    dependsOn: handDown(waitFor, target.dependsOn),
                },
            );
        } else if (args.source.kind === "helm") {
            this.resource = new k8s.helm.v3.Release(
                name,
                {
                    name: this.releaseName,
                    ...helmChartRef(args.source),
                    version: args.source.version,
                    namespace: args.namespace,
                    createNamespace: false,
                    values,
                    atomic: true,
                    cleanupOnFail: true,
                    skipCrds: args.skipCrds ?? false,
                    skipAwait: !(args.waitForReady ?? true),
                    timeout: 900,
                },
                { parent: this, dependsOn: handDown(waitFor) },
            );
        } else {
            this.resource = new k8s.kustomize.v2.Directory(
                name,
                { directory: args.source.localDirectory, namespace: args.namespace },
                { parent: this, dependsOn: handDown(waitFor) },
            );
        }
        this.registerOutputs({});
    }
}
