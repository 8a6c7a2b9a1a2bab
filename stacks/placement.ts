// Where a service goes: one cluster, its provider options and its Argo CD target. Shared by
// stacks/platform.ts and stacks/data-platform.ts (its own file, so neither imports the other).
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterContract } from "../components/cluster/contract";
import type { ArgoTarget } from "../components/delivery";

/** What a service component needs to be placed on one cluster. */
export interface ClusterPlacement {
    readonly cluster: ClusterContract;
    /** Provider of that cluster, and a wait for its readiness on every Kubernetes object. */
    readonly opts: pulumi.ComponentResourceOptions;
    /** Application target for that cluster when delivery is argocd. */
    readonly argocd?: ArgoTarget;
}
