// What every platform component is told about delivery: helm (Pulumi installs the chart) or argocd
// (an Application that Argo CD syncs), plus the sizing profile.
import type { ArgoTarget, Delivery } from "../delivery";
import type { Profile } from "./sizing";

export interface PlatformServiceArgs {
    /** helm: Pulumi installs the chart; argocd: an Application Argo CD syncs (needs `argocd`). */
    readonly delivery: Delivery;
    /** Sizing profile: standard, or lean for small clusters. */
    readonly profile: Profile;
    /** Where Applications go; required when delivery is "argocd". */
    readonly argocd?: ArgoTarget;
}

/** Fails early, naming the component, when argocd delivery has no target. */
export function requireTarget(component: string, args: PlatformServiceArgs): void {
    if (args.delivery === "argocd" && args.argocd === undefined) {
        throw new Error(`${component}: delivery argocd needs args.argocd (the Argo CD namespace, project and destination cluster)`);
    }
}
