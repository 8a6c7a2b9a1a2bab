import { ResourceValidationPolicy } from "@pulumi/policy";
import { WORKLOAD_TYPES } from "../lib/k8s";
import { asString, getPath } from "../lib/values";

/** Namespaced objects the platform declares, keyed by type token, with where each keeps its namespace. */
export const NAMESPACED_TYPES: ReadonlyMap<string, string> = new Map([
    ...Object.values(WORKLOAD_TYPES).map((type) => [type, "metadata.namespace"] as const),
    ...[
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:policy/v1:PodDisruptionBudget",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:argoproj.io/v1alpha1:Application",
    ].map((type) => [type, "metadata.namespace"] as const),
    // Helm takes the release namespace as an argument, not in metadata.
    ["kubernetes:helm.sh/v3:Release", "namespace"],
    ["kubernetes:helm.sh/v4:Chart", "namespace"],
]);

export const k8sResourceDisallowsDefaultNamespace: ResourceValidationPolicy = {
    name: "k8s-resource-disallows-default-namespace",
    description:
        "No namespaced Kubernetes object lands in the default namespace, because the default namespace has no quotas, network policies or RBAC boundaries of its own.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const path = NAMESPACED_TYPES.get(args.type);
        if (path === undefined) {
            return args.notApplicable("Policy only applies to namespaced Kubernetes objects.");
        }
        // Without an explicit namespace the object goes to the provider's namespace, if it sets one.
        const namespace = asString(getPath(args.props, path)) ?? asString(args.provider?.props.namespace);
        if (namespace === undefined || namespace === "" || namespace === "default") {
            report(
                `${path} is ${namespace === undefined || namespace === "" ? "not set" : "'default'"}, so the object ` +
                    `lands in the default namespace; set ${path} to the component's own namespace.`,
            );
        }
    },
};
