// The hybrid control plane: a Shielded VM with its own least-privilege service account, no external
// IP and OS Login, running k3s from its startup script and reachable over Tailscale only.
import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Capacity } from "../../shared/node";
import { parseCapacity } from "../../shared/quantity";
import type { ClusterContract, NodePool } from "../contract";
import { hostKubeconfig } from "../kubeconfig";
import { K3S_KUBECONFIG_PATH, asRoot, readKubeconfigCommand } from "../k3s/scripts";
import { gcpMachineArch, startupScript, ubuntuImage, upgradeScript } from "./startup-script";

export interface GcpK3sClusterArgs {
    /** Name of the cluster in the kubeconfig and the platform; also the VM's and node's name. */
    readonly clusterName: string;
    /** GCP project the VM, its service account and the auth-key secret live in. */
    readonly project: string;
    /** Zone of the VM. */
    readonly zone: string;
    /** Default "e2-standard-2"; Arm types (t2a-, c4a-) get the arm64 image. */
    readonly machineType?: string;
    /** Boot disk size in GB. Default 40. */
    readonly diskSizeGb?: number;
    /** Subnet the VM's only interface joins (no external IP: Cloud NAT for egress). */
    readonly subnetId: pulumi.Input<string>;
    /** Network tag the firewall rules target. */
    readonly networkTag: string;
    /** Pinned k3s release, e.g. "v1.35.5+k3s1". Changing it upgrades k3s on the running VM over SSH. */
    readonly k3sVersion: string;
    /** MagicDNS name of the VM; also a TLS SAN and the kubeconfig's server. */
    readonly tailnetHostname: string;
    /** Tailscale auth key (secret); stored in Secret Manager, never in metadata. */
    readonly tailscaleAuthKey: pulumi.Input<string>;
    /** SSH user and key for reading the kubeconfig over Tailscale SSH. */
    readonly sshUser: string;
    readonly sshPrivateKey: pulumi.Input<string>;
    /** What the VM offers to pods. */
    readonly allocatable: Capacity;
    /** Keep k3s's Traefik (the platform's UIs use it). Default true. */
    readonly traefik?: boolean;
    /** Resources the VM must wait for (e.g. Cloud NAT, without which it cannot download anything). */
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * The VM service account's id: GCP wants 6-30 characters that end in a letter or digit, so a long
 * cluster name is cut and any dash left at the cut is dropped (a bare slice could end in "-").
 */
export function vmServiceAccountId(clusterName: string): string {
    return `${clusterName}-vm`.slice(0, 30).replace(/-+$/, "");
}

/** Project roles of the VM's service account: write logs and metrics, nothing else. */
export const CONTROL_VM_ROLES = ["roles/logging.logWriter", "roles/monitoring.metricWriter"] as const;

export class GcpK3sCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly clusterName: string;
    readonly distribution = "k3s" as const;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    readonly storageClass = "local-path";
    readonly ingressClass: string | undefined;
    readonly readyResources: readonly pulumi.Resource[];
    readonly apiServerUrl: string;
    readonly serviceAccountEmail: pulumi.Output<string>;

    constructor(name: string, args: GcpK3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:GcpK3sCluster", name, {}, opts);
        const machineType = args.machineType ?? "e2-standard-2";
        const arch = gcpMachineArch(machineType);
        const traefik = args.traefik ?? true;
        this.clusterName = args.clusterName;
        this.apiServerUrl = `https://${args.tailnetHostname}:6443`;
        this.ingressClass = traefik ? "traefik" : undefined;
        this.nodePools = [{ name: "control", arch, count: 1, labels: {}, taints: [], allocatable: parseCapacity(args.allocatable) }];

        const sa = new gcp.serviceaccount.Account(
            `${name}-vm`,
            { project: args.project, accountId: vmServiceAccountId(args.clusterName), displayName: `${args.clusterName} control-plane VM` },
            { parent: this },
        );
        this.serviceAccountEmail = sa.email;
        const member = pulumi.interpolate`serviceAccount:${sa.email}`;
        const grants = CONTROL_VM_ROLES.map(
            (role) =>
                new gcp.projects.IAMMember(
                    `${name}-${role.split("/")[1].replace(/\./g, "-")}`,
                    { project: args.project, role, member },
                    { parent: this },
                ),
        );

        const secretId = `${args.clusterName}-tailscale-authkey`;
        const secret = new gcp.secretmanager.Secret(
            `${name}-tailscale-authkey`,
            { project: args.project, secretId, replication: { auto: {} } },
            { parent: this },
        );
        const version = new gcp.secretmanager.SecretVersion(
            `${name}-tailscale-authkey`,
            { secret: secret.id, secretData: pulumi.secret(args.tailscaleAuthKey) },
            { parent: this },
        );
        const accessor = new gcp.secretmanager.SecretIamMember(
            `${name}-tailscale-authkey-accessor`,
            { project: args.project, secretId: secret.secretId, role: "roles/secretmanager.secretAccessor", member },
            { parent: this },
        );

        const instance = new gcp.compute.Instance(
            name,
            {
                project: args.project,
                zone: args.zone,
                name: args.clusterName,
                machineType,
                tags: [args.networkTag],
                bootDisk: { initializeParams: { image: ubuntuImage(arch), size: args.diskSizeGb ?? 40, type: "pd-balanced" } },
                // No accessConfigs: no external IP. Egress goes through Cloud NAT; admin access through Tailscale or IAP.
                networkInterfaces: [{ subnetwork: args.subnetId }],
                // A dedicated account: the broad OAuth scope is Google's recommendation, as its IAM roles bound what it can do.
                serviceAccount: { email: sa.email, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
                shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
                metadata: {
                    "enable-oslogin": "TRUE",
                    "block-project-ssh-keys": "TRUE",
                    "startup-script": startupScript({
                        authKeySecretId: secretId,
                        tailnetHostname: args.tailnetHostname,
                        k3sVersion: args.k3sVersion,
                        nodeName: args.clusterName,
                        traefik,
                    }),
                },
                allowStoppingForUpdate: true,
                labels: { "aiops-dev-cluster": args.clusterName },
            },
            { parent: this, dependsOn: [version, accessor, ...grants, ...(args.dependsOn ?? [])] },
        );

        // Over Tailscale SSH (enabled by `tailscale up --ssh`): the tailnet ACL decides who may log in.
        // The dial limit covers the VM's first boot (tailnet join and k3s install take minutes).
        const connection = {
            host: args.tailnetHostname,
            user: args.sshUser,
            privateKey: args.sshPrivateKey,
            dialErrorLimit: 60,
            perDialTimeout: 10,
        };
        // GCP applies a new `startup-script` in place and does not re-run it on a running VM, so a
        // `k3sVersion` bump alone never upgraded k3s. This step is keyed on the version (a change replaces
        // it, and the replacement runs the pinned installer over SSH), and on the instance (a new VM gets
        // it again, as a no-op once its first boot installed that release). Re-creating the VM instead
        // would lose the cluster's state, which a platform engineer would not expect from a patch bump.
        const upgrade = new command.remote.Command(
            `${name}-k3s-version`,
            {
                connection,
                create: upgradeScript(
                    { nodeName: args.clusterName, tailnetHostname: args.tailnetHostname, traefik, k3sVersion: args.k3sVersion },
                    args.sshUser,
                ),
                triggers: [instance.instanceId, args.k3sVersion],
            },
            { parent: this, dependsOn: [instance] },
        );
        // Read after the upgrade step, and again whenever it re-runs (same triggers).
        const read = new command.remote.Command(
            `${name}-kubeconfig`,
            {
                connection,
                create: `set -eu\nfor i in $(seq 1 90); do ${asRoot(args.sshUser)}test -s ${K3S_KUBECONFIG_PATH} && break; sleep 10; done\n${readKubeconfigCommand(args.sshUser)}`,
                triggers: [instance.instanceId, args.k3sVersion],
            },
            { parent: this, dependsOn: [instance, upgrade], additionalSecretOutputs: ["stdout"] },
        );
        this.kubeconfig = hostKubeconfig(read.stdout, this.apiServerUrl, args.clusterName);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.readyResources = [instance, upgrade, read];
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            apiServerUrl: this.apiServerUrl,
            serviceAccountEmail: this.serviceAccountEmail,
        });
    }
}
