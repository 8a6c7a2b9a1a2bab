// TEMPORARY placeholder behind the cluster contract until the real cluster components land.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterContract, NodePool } from "./contract";

export interface StubClusterArgs {
    readonly distribution: ClusterContract["distribution"];
    readonly nodePools: NodePool[];
    readonly storageClass: string;
    readonly ingressClass?: string;
}

export class StubCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly clusterName: string;
    readonly distribution: ClusterContract["distribution"];
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    readonly storageClass: string;
    readonly ingressClass: string | undefined;
    readonly readyResources: readonly pulumi.Resource[] = [];

    constructor(name: string, args: StubClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:Stub", name, {}, opts);
        this.clusterName = name;
        this.distribution = args.distribution;
        this.kubeconfig = pulumi.secret(`apiVersion: v1\nkind: Config\nclusters: [{name: ${name}, cluster: {server: https://${name}.invalid:6443}}]\n`);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.nodePools = args.nodePools;
        this.storageClass = args.storageClass;
        this.ingressClass = args.ingressClass;
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
