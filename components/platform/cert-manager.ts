// cert-manager, on every cluster: KServe's webhook certificates are issued by it.
import * as pulumi from "@pulumi/pulumi";
import { ServiceRelease, WEBHOOK_CA_BUNDLE_DIFFERENCES } from "../delivery";
import type { Footprint, HasFootprint, ServicePlan } from "./footprint";
import { platformNamespace } from "./namespace";
import { PlatformServiceArgs, requireTarget } from "./service";
import { CERT_MANAGER_CHART } from "./values/cert-manager";

export const CERT_MANAGER_NAMESPACE = "cert-manager";

export interface CertManagerArgs extends PlatformServiceArgs {
    /** certManagerPlan(profile) (components/platform/values/cert-manager.ts), computed once by the stack. */
    readonly plan: ServicePlan;
}

export class CertManager extends pulumi.ComponentResource implements HasFootprint {
    readonly namespace: string = CERT_MANAGER_NAMESPACE;
    readonly footprint: readonly Footprint[];
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:CertManager", name, {}, opts);
        requireTarget("CertManager", args);
        const { plan } = args;
        this.footprint = plan.footprint;
        const ns = platformNamespace(
            `${name}-ns`,
            CERT_MANAGER_NAMESPACE,
            "restricted",
            { parent: this },
            {
                // The webhook's securePort (chart default 10250).
                webhookPorts: [10250],
            },
        );
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                source: CERT_MANAGER_CHART,
                namespace: CERT_MANAGER_NAMESPACE,
                releaseName: "cert-manager",
                values: plan.values,
                argocd: args.argocd,
                ignoreDifferences: WEBHOOK_CA_BUNDLE_DIFFERENCES,
            },
            { parent: this, dependsOn: [ns] },
        );
        this.releases = [this.release];
        this.registerOutputs({});
    }
}
