// Registers a cluster with an Argo CD that runs elsewhere: a dedicated ServiceAccount with a
// long-lived token on the managed cluster, and a declarative cluster Secret on Argo CD's cluster.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterContract } from "../contract";
import { ARGOCD_CLUSTER_LABEL, ARGOCD_MANAGER, ARGOCD_MANAGER_RULES, argoClusterConfig, decodeToken } from "./cluster-secret";

export interface ArgoClusterRegistrationArgs {
    /** The cluster Argo CD will manage; its provider creates the ServiceAccount and token. */
    readonly cluster: Pick<ClusterContract, "clusterName" | "provider" | "readyResources">;
    /** API URL Argo CD dials (on the tailnet for the edge). */
    readonly server: pulumi.Input<string>;
    /** Provider of the cluster Argo CD runs on. */
    readonly argocdProvider: k8s.Provider;
    /** Namespace Argo CD runs in. Default "argocd". */
    readonly argocdNamespace?: string;
    /** What must exist before the cluster Secret (e.g. Argo CD's namespace or release). Default []. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ArgoClusterRegistration extends pulumi.ComponentResource {
    /** Name of the cluster Secret in Argo CD's namespace. */
    readonly secretName: string;
    /** The cluster's name as Argo CD shows it (Application destinations use it). */
    readonly argoClusterName: string;

    constructor(name: string, args: ArgoClusterRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:ArgoClusterRegistration", name, {}, opts);
        const namespace = args.argocdNamespace ?? "argocd";
        const managed = { parent: this, provider: args.cluster.provider };
        this.argoClusterName = args.cluster.clusterName;
        this.secretName = `cluster-${args.cluster.clusterName}`;

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-manager`,
            { metadata: { name: ARGOCD_MANAGER.serviceAccount, namespace: ARGOCD_MANAGER.namespace } },
            { ...managed, dependsOn: [...args.cluster.readyResources] },
        );
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-manager`,
            { metadata: { name: ARGOCD_MANAGER.clusterRole }, rules: ARGOCD_MANAGER_RULES },
            managed,
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-manager`,
            {
                metadata: { name: ARGOCD_MANAGER.clusterRole },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ARGOCD_MANAGER.clusterRole },
                subjects: [{ kind: "ServiceAccount", name: ARGOCD_MANAGER.serviceAccount, namespace: ARGOCD_MANAGER.namespace }],
            },
            { ...managed, dependsOn: [role, sa] },
        );
        // Since Kubernetes 1.24 no token Secret is created automatically; this one is long-lived and
        // filled by the token controller (the provider waits for `data.token`).
        const token = new k8s.core.v1.Secret(
            `${name}-manager-token`,
            {
                metadata: {
                    name: ARGOCD_MANAGER.tokenSecret,
                    namespace: ARGOCD_MANAGER.namespace,
                    annotations: { "kubernetes.io/service-account.name": ARGOCD_MANAGER.serviceAccount },
                },
                type: "kubernetes.io/service-account-token",
            },
            { ...managed, dependsOn: [sa] },
        );

        const config = pulumi.secret(token.data.apply((d) => argoClusterConfig(decodeToken(d?.token), d?.["ca.crt"] ?? "")));
        new k8s.core.v1.Secret(
            `${name}-cluster`,
            {
                metadata: {
                    name: this.secretName,
                    namespace,
                    labels: { ...ARGOCD_CLUSTER_LABEL, "aiops.dev/cluster": args.cluster.clusterName },
                },
                type: "Opaque",
                stringData: { name: args.cluster.clusterName, server: args.server, config },
            },
            { parent: this, provider: args.argocdProvider, dependsOn: args.dependsOn ?? [] },
        );
        this.registerOutputs({ secretName: this.secretName });
    }
}
