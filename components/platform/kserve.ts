// KServe in Standard mode (Deployments, no Knative or Istio): the CRD chart first, then the controller.
import * as pulumi from "@pulumi/pulumi";
import { ServiceRelease, WEBHOOK_CA_BUNDLE_DIFFERENCES } from "../delivery";
import type { Footprint, HasFootprint, ServicePlan } from "./footprint";
import { platformNamespace } from "./namespace";
import { PlatformServiceArgs, requireTarget } from "./service";
import { KSERVE_CHART, KSERVE_CRD_CHART } from "./values/kserve";

export const KSERVE_NAMESPACE = "kserve";

export interface KServeArgs extends PlatformServiceArgs {
    /** kservePlan({ profile, ingressClass, domain }) (components/platform/values/kserve.ts), computed once by the stack. */
    readonly plan: ServicePlan;
    /** cert-manager must be running first (the controller's webhook certificate). */
    readonly certManager: pulumi.Resource;
}

export class KServe extends pulumi.ComponentResource implements HasFootprint {
    readonly namespace: string = KSERVE_NAMESPACE;
    readonly footprint: readonly Footprint[];
    /** The kserve-crd chart, always installed by Pulumi (see below); InferenceServices depend on `crds.resource`. */
    readonly crds: ServiceRelease;
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];

    constructor(name: string, args: KServeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:KServe", name, {}, opts);
        requireTarget("KServe", args);
        const { plan } = args;
        this.footprint = plan.footprint;
        const ns = platformNamespace(
            `${name}-ns`,
            KSERVE_NAMESPACE,
            "baseline",
            { parent: this },
            {
                // kserve-controller-manager's webhook-server container port (charts/kserve-resources v0.20.0).
                webhookPorts: [9443],
            },
        );
        // Always a Helm release, whatever the delivery: Pulumi declares InferenceServices (the detector) in the
        // same `pulumi up`, so the CRDs must exist before it returns, not whenever Argo CD syncs them.
        this.crds = new ServiceRelease(
            `${name}-crd`,
            { delivery: "helm", source: KSERVE_CRD_CHART, namespace: KSERVE_NAMESPACE, releaseName: "kserve-crd", values: {} },
            { parent: this, dependsOn: [ns] },
        );
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                source: KSERVE_CHART,
                namespace: KSERVE_NAMESPACE,
                releaseName: "kserve",
                values: plan.values,
                argocd: args.argocd,
                ignoreDifferences: WEBHOOK_CA_BUNDLE_DIFFERENCES,
            },
            { parent: this, dependsOn: [ns, this.crds.resource, args.certManager] },
        );
        this.releases = [this.crds, this.release];
        this.registerOutputs({});
    }
}
