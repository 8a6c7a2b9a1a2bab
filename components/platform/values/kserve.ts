// KServe values for the lightweight "Standard" mode (plain Deployments: no Knative, no Istio). Pure.
import type { HelmSource } from "../../delivery/source";
import type { Footprint } from "../footprint";
import { Profile, Size, footprint, resources, size } from "../sizing";

/** kserve/kserve tag v0.20.0: charts/kserve-crd and charts/kserve-resources (both version "v0.20.0"). */
export const KSERVE_VERSION = "v0.20.0";
export const KSERVE_CRD_CHART: HelmSource = {
    kind: "helm",
    repo: "oci://ghcr.io/kserve/charts",
    chart: "kserve-crd",
    version: KSERVE_VERSION,
};
export const KSERVE_CHART: HelmSource = {
    kind: "helm",
    repo: "oci://ghcr.io/kserve/charts",
    chart: "kserve-resources",
    version: KSERVE_VERSION,
};

export interface KServeSizes {
    readonly manager: Size;
    readonly rbacProxy: Size;
    /** Default for InferenceService pods that set no resources (chart default: 1 CPU / 2Gi). */
    readonly inferenceService: Size;
    readonly storageInitializer: Size;
}

export const KSERVE_SIZES: Record<Profile, KServeSizes> = {
    standard: {
        manager: size("100m", "256Mi", "1", "512Mi"),
        rbacProxy: size("10m", "32Mi", "100m", "64Mi"),
        inferenceService: size("500m", "1Gi", "1", "2Gi"),
        storageInitializer: size("100m", "128Mi", "1", "1Gi"),
    },
    lean: {
        manager: size("50m", "128Mi", "500m", "256Mi"),
        rbacProxy: size("10m", "32Mi", "100m", "64Mi"),
        inferenceService: size("100m", "256Mi", "1", "512Mi"),
        storageInitializer: size("50m", "96Mi", "500m", "512Mi"),
    },
};

export interface KServeValuesArgs {
    readonly profile: Profile;
    /** The cluster's IngressClass; undefined, or one not in KSERVE_INGRESS_CLASSES, turns ingress creation off (call <isvc>-predictor.<ns>.svc). */
    readonly ingressClass: string | undefined;
    /** Domain of generated ingress hosts ({name}-{namespace}.{domain}). */
    readonly domain?: string;
}

/**
 * IngressClasses KServe may create Ingresses for: controllers that proxy to ClusterIP Services from
 * inside the cluster (traefik on k3s). Not `alb`: the AWS Load Balancer Controller's default target type
 * `instance` needs NodePort Services, and KServe's predictor Services are ClusterIP, so the Ingress would
 * never get a load balancer (a half-configured Ingress). On EKS KServe creates no Ingress; the detector is
 * reached in-cluster (`<isvc>-predictor.<ns>.svc`, which the MCP tool uses) or by port-forward, see
 * docs/inference-access.md.
 */
export const KSERVE_INGRESS_CLASSES: readonly string[] = ["traefik"];

/** The IngressClass KServe uses on a cluster with `clusterClass`, or undefined (ingress creation off). */
export function kserveIngressClass(clusterClass: string | undefined): string | undefined {
    return clusterClass !== undefined && KSERVE_INGRESS_CLASSES.includes(clusterClass) ? clusterClass : undefined;
}

export function kservePlan(args: KServeValuesArgs): { values: Record<string, unknown>; footprint: Footprint[] } {
    const s = KSERVE_SIZES[args.profile];
    const ingressClass = kserveIngressClass(args.ingressClass);
    const gateway =
        ingressClass === undefined
            ? { disableIngressCreation: true }
            : {
                  disableIngressCreation: false,
                  domain: args.domain ?? "example.com",
                  ingressGateway: { className: ingressClass, enableGatewayApi: false, createGateway: false },
              };
    return {
        values: {
            kserve: {
                controller: {
                    // Chart default is Knative (needs Knative Serving + Istio); Standard is the 0.16+ name of RawDeployment.
                    deploymentMode: "Standard",
                    gateway,
                    resources: resources(s.manager),
                    rbacProxy: { resources: resources(s.rbacProxy) },
                },
                inferenceservice: { resources: resources(s.inferenceService) },
                storage: { resources: resources(s.storageInitializer) },
            },
        },
        footprint: [footprint("kserve/controller", [s.manager, s.rbacProxy])],
    };
}
