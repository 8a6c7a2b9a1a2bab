// cert-manager values (KServe's webhook certificates come from it). Pure: tested directly.
import type { HelmSource } from "../../delivery/source";
import type { Footprint } from "../footprint";
import { Profile, Size, footprint, resources, size } from "../sizing";

/** Jetstack chart v1.21.1 (tag v1.21.1 of cert-manager/cert-manager, 2026-07-29; newest release in the snapshot). */
export const CERT_MANAGER_CHART: HelmSource = {
    kind: "helm",
    repo: "https://charts.jetstack.io",
    chart: "cert-manager",
    version: "v1.21.1",
};

export interface CertManagerSizes {
    readonly controller: Size;
    readonly webhook: Size;
    readonly cainjector: Size;
    /** The post-install check Job (short-lived, not counted as always-on). */
    readonly startupapicheck: Size;
}

export const CERT_MANAGER_SIZES: Record<Profile, CertManagerSizes> = {
    standard: {
        controller: size("20m", "96Mi", "500m", "256Mi"),
        webhook: size("10m", "48Mi", "200m", "128Mi"),
        cainjector: size("20m", "96Mi", "500m", "256Mi"),
        startupapicheck: size("10m", "32Mi", "100m", "64Mi"),
    },
    lean: {
        controller: size("10m", "64Mi", "200m", "128Mi"),
        webhook: size("10m", "32Mi", "100m", "64Mi"),
        cainjector: size("10m", "64Mi", "200m", "128Mi"),
        startupapicheck: size("10m", "32Mi", "100m", "64Mi"),
    },
};

export function certManagerPlan(profile: Profile): { values: Record<string, unknown>; footprint: Footprint[] } {
    const s = CERT_MANAGER_SIZES[profile];
    return {
        values: {
            // CRDs are templates of the chart (so Helm upgrades them) and survive an uninstall.
            crds: { enabled: true, keep: true },
            resources: resources(s.controller),
            webhook: { resources: resources(s.webhook) },
            cainjector: { resources: resources(s.cainjector) },
            startupapicheck: { resources: resources(s.startupapicheck) },
        },
        footprint: [
            footprint("cert-manager/controller", [s.controller]),
            footprint("cert-manager/webhook", [s.webhook]),
            footprint("cert-manager/cainjector", [s.cainjector]),
        ],
    };
}
