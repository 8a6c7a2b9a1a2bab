import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofTypes } from "../lib/graph";
import { asString, getPath } from "../lib/values";

export const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
export const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function isEmptySelector(selector: unknown): boolean {
    if (selector === undefined || selector === null) return false;
    if (typeof selector !== "object") return false;
    const s = selector as { matchLabels?: Record<string, unknown>; matchExpressions?: unknown[] };
    return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

/**
 * A NetworkPolicy that denies all ingress to every pod of its namespace: empty podSelector, Ingress among
 * its policyTypes (implied when policyTypes is absent) and no ingress rule. Allow rules live in other
 * policies; NetworkPolicies are additive, so this one is the floor.
 */
export function isDefaultDenyIngress(props: Record<string, unknown>): boolean {
    const spec = (props.spec ?? {}) as { podSelector?: unknown; policyTypes?: unknown; ingress?: unknown };
    const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : ["Ingress"];
    const rules = Array.isArray(spec.ingress) ? spec.ingress : [];
    return isEmptySelector(spec.podSelector) && types.includes("Ingress") && rules.length === 0;
}

function namespaceName(ns: PolicyResource): string {
    return asString(getPath(ns.props, "metadata.name")) ?? ns.name;
}

export const k8sNamespaceRequiresDefaultDenyIngress: StackValidationPolicy = {
    name: "k8s-namespace-requires-default-deny-ingress",
    description:
        "Every namespace the stack declares has a NetworkPolicy that denies all ingress by default (empty podSelector, policyTypes Ingress, no rules), so a pod is reachable only through the allow rules its service declares.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const namespaces = ofTypes(args.resources, [NAMESPACE_TYPE]);
        if (namespaces.length === 0) {
            args.notApplicable("The stack declares no Kubernetes namespaces.");
        }
        const policies = ofTypes(args.resources, [NETWORK_POLICY_TYPE]);
        for (const ns of namespaces) {
            const name = namespaceName(ns);
            const denies = policies.some((p) => asString(getPath(p.props, "metadata.namespace")) === name && isDefaultDenyIngress(p.props));
            if (!denies) {
                report(
                    `namespace '${name}' has no default-deny ingress NetworkPolicy; add one in it with podSelector: {}, ` +
                        `policyTypes: ["Ingress"] and no ingress rules, plus allow rules for the traffic its services need.`,
                    ns.urn,
                );
            }
        }
    },
};
