// The hybrid edge: a k3d cluster on a host of yours (here, or over SSH), reachable on its Tailscale
// address. k3d cannot change a cluster in place, so any spec change recreates it.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Arch, Capacity } from "../../shared/node";
import { parseCapacity } from "../../shared/quantity";
import type { ClusterContract, NodePool } from "../contract";
import { hostKubeconfig } from "../kubeconfig";
import { K3dClusterSpec, k3dCreateCommand, k3dDeleteCommand, k3dKubeconfigCommand, k3dServerUrl } from "./commands";

export interface K3dClusterArgs extends Omit<K3dClusterSpec, "name"> {
    /** Name of the k3d cluster, and of the cluster in the kubeconfig and the platform. */
    readonly clusterName: string;
    /** "local": run k3d where `pulumi up` runs; otherwise SSH to this host. */
    readonly host: "local" | { address: string; sshUser: string; sshPort: number };
    /** Required when host is not "local". */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** Architecture of the edge host (k3d's nodes are containers on it). */
    readonly arch: Arch;
    /** What the whole edge offers to pods (its nodes share one host). */
    readonly allocatable: Capacity;
    /**
     * A bash script run where k3d runs before the cluster is created (host "local" only), e.g. the local
     * stack's preflight; with its environment. Default none.
     */
    readonly preflight?: { readonly script: string; readonly environment: Record<string, string> };
    /** Name of the node pool the platform sees (default "edge"). */
    readonly poolName?: string;
}

export class K3dCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly clusterName: string;
    readonly distribution = "k3d" as const;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    readonly storageClass = "local-path";
    readonly ingressClass = undefined;
    readonly readyResources: readonly pulumi.Resource[];
    readonly apiServerUrl: string;

    constructor(name: string, args: K3dClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:K3dCluster", name, {}, opts);
        const spec: K3dClusterSpec = {
            name: args.clusterName,
            k3dVersion: args.k3dVersion,
            k3sImage: args.k3sImage,
            ...(args.tailscaleAddress !== undefined ? { tailscaleAddress: args.tailscaleAddress } : {}),
            apiPort: args.apiPort,
            agents: args.agents,
            ...(args.tailnetNodePorts?.length ? { tailnetNodePorts: args.tailnetNodePorts } : {}),
            // Only set keys enter the spec: the hybrid edge's triggers (and so its cluster) stay unchanged.
            ...(args.apiBindAddress !== undefined ? { apiBindAddress: args.apiBindAddress } : {}),
            ...(args.k3dVersionMatch !== undefined ? { k3dVersionMatch: args.k3dVersionMatch } : {}),
            ...(args.traefik !== undefined ? { traefik: args.traefik } : {}),
            ...(args.loadBalancerPorts?.length ? { loadBalancerPorts: args.loadBalancerPorts } : {}),
        };
        this.clusterName = args.clusterName;
        this.apiServerUrl = k3dServerUrl(spec);
        // k3d's nodes are containers on one host: the platform counts the host's capacity once.
        this.nodePools = [
            {
                name: args.poolName ?? "edge",
                arch: args.arch,
                count: 1,
                labels: {},
                taints: [],
                allocatable: parseCapacity(args.allocatable),
            },
        ];

        // Triggers hold the whole spec: a change deletes the old cluster first (same name), then creates.
        const triggers = [JSON.stringify(spec)];
        if (args.preflight !== undefined && args.host !== "local")
            throw new Error(`K3dCluster ${args.clusterName}: preflight runs only with host "local"`);
        // The preflight has no delete: `pulumi destroy` removes the cluster and nothing else.
        const preflight = args.preflight
            ? new command.local.Command(
                  `${name}-preflight`,
                  { create: args.preflight.script, environment: args.preflight.environment, interpreter: ["/bin/bash", "-c"], triggers },
                  { parent: this },
              )
            : undefined;
        const cluster = this.command(
            `${name}-cluster`,
            args,
            { create: k3dCreateCommand(spec), delete: k3dDeleteCommand(spec.name), triggers },
            { deleteBeforeReplace: true, ...(preflight ? { dependsOn: [preflight] } : {}) },
        );
        const read = this.command(
            `${name}-kubeconfig`,
            args,
            { create: k3dKubeconfigCommand(spec.name), triggers },
            { dependsOn: [cluster], additionalSecretOutputs: ["stdout"] },
        );
        this.kubeconfig = hostKubeconfig(read.stdout, this.apiServerUrl, args.clusterName);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.readyResources = [cluster, read];
        this.registerOutputs({ kubeconfig: this.kubeconfig, apiServerUrl: this.apiServerUrl });
    }

    private command(
        name: string,
        args: K3dClusterArgs,
        c: { create: string; delete?: string; triggers: unknown[] },
        opts: pulumi.CustomResourceOptions,
    ): command.local.Command | command.remote.Command {
        if (args.host === "local")
            return new command.local.Command(name, { ...c, interpreter: ["/bin/sh", "-c"] }, { parent: this, ...opts });
        if (args.sshPrivateKey === undefined)
            throw new Error(
                `K3dCluster ${this.clusterName}: a remote edge host needs the secret edgeSshPrivateKey (pulumi config set --secret edgeSshPrivateKey < ~/.ssh/id_ed25519)`,
            );
        const connection = { host: args.host.address, user: args.host.sshUser, port: args.host.sshPort, privateKey: args.sshPrivateKey };
        return new command.remote.Command(name, { connection, ...c }, { parent: this, ...opts });
    }
}
