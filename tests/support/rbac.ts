// Kubernetes' RBAC privilege-escalation prevention, as the API server applies it
// (kubernetes/kubernetes pkg/registry/rbac/validation/rule.go ConfirmNoEscalation and policy_comparator.go
// Covers; https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping):
// a subject may create or update a (Cluster)Role only if it already holds every permission in it, or it holds
// `escalate` on roles/clusterroles; it may bind a role it does not hold only with `bind`.

export interface PolicyRule {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly resourceNames?: readonly string[];
    readonly nonResourceURLs?: readonly string[];
    readonly verbs: readonly string[];
}

const has = (list: readonly string[] | undefined, value: string) => (list ?? []).includes("*") || (list ?? []).includes(value);

/** Resource match as policy_comparator.go ruleCovers: "*", the exact name, or "*\/sub" for any resource's subresource. */
function resourceMatches(owned: readonly string[] | undefined, resource: string): boolean {
    const list = owned ?? [];
    if (list.includes("*") || list.includes(resource)) return true;
    const slash = resource.indexOf("/");
    return slash >= 0 && list.includes(`*${resource.slice(slash)}`);
}

function urlMatches(owned: readonly string[] | undefined, url: string): boolean {
    return (owned ?? []).some((o) => o === "*" || o === url || (o.endsWith("*") && url.startsWith(o.slice(0, -1))));
}

/** One atomic permission: a verb on one group/resource (and name), or on one non-resource URL. */
type Atom = { verb: string } & ({ group: string; resource: string; name?: string } | { url: string });

function atoms(rule: PolicyRule): Atom[] {
    const out: Atom[] = [];
    for (const verb of rule.verbs) {
        for (const url of rule.nonResourceURLs ?? []) out.push({ verb, url });
        for (const group of rule.apiGroups ?? [])
            for (const resource of rule.resources ?? []) {
                const names = rule.resourceNames ?? [];
                if (names.length === 0) out.push({ verb, group, resource });
                for (const name of names) out.push({ verb, group, resource, name });
            }
    }
    return out;
}

function atomCovered(owned: readonly PolicyRule[], a: Atom): boolean {
    return owned.some((o) => {
        if (!has(o.verbs, a.verb)) return false;
        if ("url" in a) return urlMatches(o.nonResourceURLs, a.url);
        if (!has(o.apiGroups, a.group) || !resourceMatches(o.resources, a.resource)) return false;
        const names = o.resourceNames ?? [];
        return names.length === 0 || (a.name !== undefined && names.includes(a.name));
    });
}

/** Permissions in `wanted` that `owned` does not cover, as readable strings (empty: covered). */
export function uncovered(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): string[] {
    return wanted
        .flatMap(atoms)
        .filter((a) => !atomCovered(owned, a))
        .map((a) => ("url" in a ? `${a.verb} ${a.url}` : `${a.verb} ${a.group || "core"}/${a.resource}${a.name ? `/${a.name}` : ""}`));
}

/** Whether `owned` may create any Role/ClusterRole and binding regardless of its content. */
export function canEscalateAndBind(owned: readonly PolicyRule[]): boolean {
    const rbac = (verb: string, resource: string) => atomCovered(owned, { verb, group: "rbac.authorization.k8s.io", resource });
    return ["roles", "clusterroles"].every((r) => rbac("escalate", r) && rbac("bind", r));
}

/**
 * What the API server would refuse when `owned` applies `roles`: empty when every rule is covered or the
 * subject holds escalate + bind; otherwise "<role>: <permission>" per missing permission.
 */
export function escalationRefusals(
    owned: readonly PolicyRule[],
    roles: readonly { name: string; rules: readonly PolicyRule[] }[],
): string[] {
    if (canEscalateAndBind(owned)) return [];
    return roles.flatMap((r) => uncovered(owned, r.rules).map((p) => `${r.name}: ${p}`));
}
