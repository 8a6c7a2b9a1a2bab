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
 * RBAC for Argo CD's application controller on a managed cluster: `*` on `*`, the same as the
 * argocd-application-controller ClusterRole Argo CD gives itself in-cluster (argo-helm charts/argo-cd
 * 10.1.1, templates/argocd-application-controller/clusterrole.yaml) and as `argocd cluster add` creates.
 *
 * Why not a narrower list: Argo CD applies whatever the charts it syncs contain, ClusterRoles included,
 * and the API server lets a subject create a (Cluster)Role only if it already holds every permission in
 * it, or holds `escalate` and `bind` (RBAC privilege-escalation prevention). cert-manager's roles carry
 * `approve` on cert-manager.io/signers and `sign` on certificates.k8s.io/signers, KServe's its own set, and
 * each chart bump can add more; an explicit list would have to track every verb of every chart, and a
 * manager allowed `escalate` + `bind` (needed anyway) can grant itself anything, so it is no safer than `*`.
 * tests/cluster/argocd-manager-rbac.spec.ts checks the rules against the roles those charts ship.
 */
export const ARGOCD_MANAGER_RULES = [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
];

/** Decodes a Secret's base64 `data.token`. */
export function decodeToken(base64: string | undefined): string {
    return Buffer.from(base64 ?? "", "base64").toString("utf8");
}
