// The contract every cluster component yields, so platform components never care which environment
// they run on: they get the provider through resource options and read only these plain facts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Arch, Taint } from "../shared/node";

/** A group of identical nodes. Capacity is per node, in cores and bytes, as the fit check needs it. */
export interface NodePool {
    readonly name: string;
    readonly arch: Arch;
    /** Nodes in the pool the platform may count on (EKS: desiredSize; k3s: 1 per configured node). */
    readonly count: number;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
    readonly allocatable: { readonly cpu: number; readonly memory: number };
    /** True for a control-plane node that keeps NoSchedule (not counted for platform workloads). */
    readonly controlPlane?: boolean;
}

export interface ClusterContract {
    /** Stable name used in resource names and Argo CD destinations. */
    readonly clusterName: string;
    readonly distribution: "eks" | "k3s" | "k3d";
    /** Admin kubeconfig; always a Pulumi secret. */
    readonly kubeconfig: pulumi.Output<string>;
    /** Provider for everything installed into this cluster. */
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    /** Name of the default StorageClass (gp3 on EKS, local-path on k3s). */
    readonly storageClass: string;
    /** IngressClass the platform should use, or undefined when ingresses are not created. */
    readonly ingressClass: string | undefined;
    /** Resources that must exist before workloads are installed (node groups, CSI driver, joins). */
    readonly readyResources: readonly pulumi.Resource[];
}

/** True when the cluster mixes architectures, so amd64-only images need a node selector. */
export function isMixedArch(cluster: Pick<ClusterContract, "nodePools">): boolean {
    return new Set(schedulablePools(cluster).map((p) => p.arch)).size > 1;
}

/** Pools that take platform workloads. */
export function schedulablePools(cluster: Pick<ClusterContract, "nodePools">): NodePool[] {
    return cluster.nodePools.filter((p) => !p.controlPlane);
}
