// k3s on your own machines over SSH: preflight each host, install a pinned server, read its
// kubeconfig back (secret, server address rewritten), join each agent with the server's token, then
// apply labels and taints with kubectl. Every child is named after its node, never an index.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Arch, Capacity, Taint } from "../../shared/node";
import { parseCapacity } from "../../shared/quantity";
import type { ClusterContract, NodePool } from "../contract";
import { hostKubeconfig } from "../kubeconfig";
import {
    CONTROL_PLANE_TAINT,
    STATEFUL_LABEL,
    WORKER_ROLE_LABEL,
    applyLabelsCommand,
    drainAndDeleteCommand,
    installCommand,
    k3sAgentArgs,
    k3sServerArgs,
    preflightScript,
    readKubeconfigCommand,
    removeLabelsCommand,
    uninstallCommand,
    waitReadyCommand,
} from "./scripts";

/** One machine of the cluster, reached over SSH (stacks/config/schema.ts is checked against this). */
export interface HomelabNodeConfig {
    readonly name: string;
    readonly address: string;
    readonly sshUser: string;
    readonly sshPort: number;
    readonly arch: Arch;
    readonly role: "server" | "agent";
    readonly labels: Record<string, string>;
    readonly taints: Taint[];
    /** What the node offers to pods (after the OS and k3s take their share). */
    readonly allocatable: Capacity;
}

export interface K3sClusterArgs {
    /** Name of the cluster in the kubeconfig and in the platform. */
    readonly clusterName: string;
    /** Pinned k3s release, e.g. "v1.35.5+k3s1". Changing it upgrades every node in place. */
    readonly k3sVersion: string;
    /** Exactly one node with role "server"; the rest are agents. */
    readonly nodes: readonly HomelabNodeConfig[];
    /** Address clients reach the API on (a TLS SAN, and the kubeconfig's server). Default: the server's address. */
    readonly apiAddress?: string;
    /** Keep k3s's bundled Traefik ingress. Default false. */
    readonly traefik?: boolean;
    /** Taint the server NoSchedule so workloads land on agents. Default true. */
    readonly taintServer?: boolean;
    /** Node that gets `aiops.dev/stateful=true`, where stateful services are pinned. Default none. */
    readonly statefulNode?: string;
    /** SSH private key for every node (a secret). */
    readonly sshPrivateKey: pulumi.Input<string>;
}

/** Labels kubectl manages on a node: its configured labels plus role and stateful markers. */
export function managedLabels(node: HomelabNodeConfig, statefulNode: string | undefined): Record<string, string> {
    return {
        ...node.labels,
        ...(node.role === "agent" ? { [WORKER_ROLE_LABEL]: "true" } : {}),
        ...(node.name === statefulNode ? { [STATEFUL_LABEL]: "true" } : {}),
    };
}

export function k3sNodePool(node: HomelabNodeConfig, taintServer: boolean, statefulNode: string | undefined): NodePool {
    const controlPlane = node.role === "server" && taintServer;
    return {
        name: node.name,
        arch: node.arch,
        count: 1,
        labels: managedLabels(node, statefulNode),
        taints: controlPlane ? [CONTROL_PLANE_TAINT, ...node.taints] : [...node.taints],
        allocatable: parseCapacity(node.allocatable),
        ...(controlPlane ? { controlPlane: true } : {}),
    };
}

export class K3sCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly clusterName: string;
    readonly distribution = "k3s" as const;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    readonly storageClass = "local-path";
    readonly ingressClass: string | undefined;
    readonly readyResources: readonly pulumi.Resource[];
    /** The API server URL in the kubeconfig. */
    readonly apiServerUrl: string;

    constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:K3sCluster", name, {}, opts);
        const traefik = args.traefik ?? false;
        const taintServer = args.taintServer ?? true;
        const servers = args.nodes.filter((n) => n.role === "server");
        if (servers.length !== 1) throw new Error(`K3sCluster ${name}: needs exactly one node with role server; got ${servers.length}`);
        const server = servers[0];
        const agents = args.nodes.filter((n) => n.role === "agent");
        const apiAddress = args.apiAddress ?? server.address;
        this.clusterName = args.clusterName;
        this.apiServerUrl = `https://${apiAddress}:6443`;
        this.ingressClass = traefik ? "traefik" : undefined;
        this.nodePools = args.nodes.map((n) => k3sNodePool(n, taintServer, args.statefulNode));

        const connection = (n: HomelabNodeConfig): command.types.input.remote.ConnectionArgs => ({
            host: n.address,
            user: n.sshUser,
            port: n.sshPort,
            privateKey: args.sshPrivateKey,
        });
        const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });

        const preflight = new Map<string, command.remote.Command>();
        for (const n of args.nodes) {
            preflight.set(
                n.name,
                new command.remote.Command(
                    `${name}-${n.name}-preflight`,
                    { connection: connection(n), create: preflightScript(n), triggers: [args.k3sVersion] },
                    { parent: this },
                ),
            );
        }

        const serverInstallText = installCommand({
            k3sVersion: args.k3sVersion,
            args: k3sServerArgs({
                name: server.name,
                labels: server.labels,
                taints: server.taints,
                tlsSans: [apiAddress, server.address],
                traefik,
                taintControlPlane: taintServer,
            }),
        });
        // `update` re-runs the idempotent installer, so a version bump upgrades in place instead of uninstalling.
        const serverInstall = new command.remote.Command(
            `${name}-${server.name}-k3s-server`,
            {
                connection: connection(server),
                create: serverInstallText,
                update: serverInstallText,
                delete: uninstallCommand("server", server.sshUser),
                stdin: pulumi.secret(token.result),
            },
            { parent: this, dependsOn: [preflight.get(server.name)!] },
        );
        const serverReady = new command.remote.Command(
            `${name}-${server.name}-ready`,
            { connection: connection(server), create: waitReadyCommand(server.sshUser, server.name), triggers: [args.k3sVersion] },
            { parent: this, dependsOn: [serverInstall] },
        );

        const kubeconfigRead = new command.remote.Command(
            `${name}-kubeconfig`,
            { connection: connection(server), create: readKubeconfigCommand(server.sshUser), triggers: [args.k3sVersion] },
            { parent: this, dependsOn: [serverReady], additionalSecretOutputs: ["stdout"] },
        );
        this.kubeconfig = hostKubeconfig(kubeconfigRead.stdout, this.apiServerUrl, args.clusterName);

        const readyByNode = new Map<string, pulumi.Resource>([[server.name, serverReady]]);
        for (const agent of agents) {
            const text = installCommand({
                k3sVersion: args.k3sVersion,
                serverUrl: `https://${server.address}:6443`,
                args: k3sAgentArgs({ name: agent.name, labels: agent.labels, taints: agent.taints }),
            });
            const install = new command.remote.Command(
                `${name}-${agent.name}-k3s-agent`,
                {
                    connection: connection(agent),
                    create: text,
                    update: text,
                    delete: uninstallCommand("agent", agent.sshUser),
                    stdin: pulumi.secret(token.result),
                },
                { parent: this, dependsOn: [serverInstall, preflight.get(agent.name)!] },
            );
            // Runs on the server; its delete drains and removes the node before the agent uninstalls
            // (Pulumi deletes dependents first).
            const registration = new command.remote.Command(
                `${name}-${agent.name}-registration`,
                {
                    connection: connection(server),
                    create: waitReadyCommand(server.sshUser, agent.name),
                    delete: drainAndDeleteCommand(server.sshUser, agent.name),
                },
                { parent: this, dependsOn: [install] },
            );
            readyByNode.set(agent.name, registration);
        }

        const labelled = args.nodes.map((n) => {
            const labels = managedLabels(n, args.statefulNode);
            const ready = readyByNode.get(n.name)!;
            // Triggers are this node's labels and taints only: a change replaces just this command. The old
            // one's delete removes its labels first (deleteBeforeReplace), then the new one applies the set.
            return new command.remote.Command(
                `${name}-${n.name}-labels`,
                {
                    connection: connection(server),
                    create: applyLabelsCommand(server.sshUser, n.name, labels, n.taints),
                    delete: removeLabelsCommand(server.sshUser, n.name, labels, n.taints),
                    triggers: [JSON.stringify({ labels: Object.entries(labels).sort(), taints: n.taints })],
                },
                { parent: this, dependsOn: [ready], deleteBeforeReplace: true },
            );
        });

        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.readyResources = [...readyByNode.values(), ...labelled];
        this.registerOutputs({ kubeconfig: this.kubeconfig, apiServerUrl: this.apiServerUrl });
    }
}
