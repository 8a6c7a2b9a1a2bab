// What Argo CD needs to manage a remote cluster declaratively
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters).

export const ARGOCD_CLUSTER_LABEL = { "argocd.argoproj.io/secret-type": "cluster" } as const;
export const ARGOCD_MANAGER = {
    namespace: "kube-system",
    serviceAccount: "argocd-manager",
    clusterRole: "argocd-manager-role",
    tokenSecret: "argocd-manager-token",
} as const;

/** The `config` field of a cluster Secret: bearer-token auth with the cluster's CA pinned. */
export function argoClusterConfig(bearerToken: string, caData: string): string {
    if (!bearerToken) throw new Error("the edge service account token is empty; the token controller has not filled the Secret yet");
    return JSON.stringify({ bearerToken, tlsClientConfig: { insecure: false, caData } });
}

/**
 * RBAC for Argo CD's application controller on a managed cluster. It must be broad: Argo CD caches
 * every resource kind to compute diffs and health (get/list/watch on everything), and it applies
 * whatever manifests the Applications hold, CRDs and RBAC included, which needs write access to any
 * kind. It is still narrower than cluster-admin: no `impersonate`, `escalate` or `bind` beyond what
 * the wildcard verbs below list, and only GET on non-resource URLs (discovery, /version).
 * Scope it down per cluster once the set of deployed kinds is known.
 */
export const ARGOCD_MANAGER_RULES = [
    { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["*"], resources: ["*"], verbs: ["create", "update", "patch", "delete", "deletecollection"] },
    { nonResourceURLs: ["*"], verbs: ["get"] },
];

/** Decodes a Secret's base64 `data.token`. */
export function decodeToken(base64: string | undefined): string {
    return Buffer.from(base64 ?? "", "base64").toString("utf8");
}
