// EKS through @pulumi/eks v4: a private-first control plane with envelope encryption and full
// control-plane logging, AL2023 managed node groups in private subnets, the EBS CSI driver with a
// default gp3 StorageClass, and the Blueprints-style add-ons (EksAddons).
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AwsNodeGroupConfig } from "./node-groups";
import type { ClusterContract, NodePool } from "../contract";
import { ADDON_SERVICE_ACCOUNTS } from "./addon-values";
import { EksAddons } from "./eks-addons";
import { ACCESS_POLICY_ARNS, EBS_CSI_POLICY_ARN, NODE_MANAGED_POLICIES, serviceTrustPolicy } from "./iam-policies";
import { IrsaRole } from "./irsa-role";
import { eksNodePool, managedNodeGroupSettings, nodeLaunchTemplateSettings } from "./node-groups";
import { CONTROL_PLANE_LOG_TYPES } from "./versions";

export interface EksClusterArgs {
    /** The cluster's name in AWS (also used for discovery tags). */
    readonly clusterName: string;
    /** AWS region of the cluster (the add-ons' region setting). */
    readonly region: string;
    /** EKS minor version, pinned (e.g. "1.33"); never left to the service's default. */
    readonly kubernetesVersion: string;
    /** VPC the cluster and its load balancers live in. */
    readonly vpcId: pulumi.Input<string>;
    /** Nodes, and the control plane's ENIs, live here. */
    readonly privateSubnetIds: pulumi.Input<string>[];
    /** Internet-facing load balancers live here. */
    readonly publicSubnetIds: pulumi.Input<string>[];
    /** CIDRs allowed to the public API endpoint; [] (default) turns the public endpoint off. */
    readonly publicAccessCidrs?: readonly string[];
    /** Managed node groups, one per entry, each named after its `name` (at least one). */
    readonly nodeGroups: readonly AwsNodeGroupConfig[];
    /** IAM principals and their access level, as EKS access entries. Default []. */
    readonly accessEntries?: readonly { principalArn: string; access: "admin" | "view" }[];
    /** Default "cluster-autoscaler". */
    readonly autoscaler?: "cluster-autoscaler" | "karpenter";
    /** Tags applied to every AWS resource. Default {}. */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Stable access-entry key from a principal ARN ("arn:...:role/platform-admins" -> "role-platform-admins"). */
export function accessEntryKey(principalArn: string): string {
    const tail = principalArn.split(":").pop() ?? principalArn;
    return tail
        .replace(/[^A-Za-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .toLowerCase();
}

export function accessEntries(
    entries: readonly { principalArn: string; access: "admin" | "view" }[],
): Record<string, eks.types.input.AccessEntryArgs> {
    const out: Record<string, eks.types.input.AccessEntryArgs> = {};
    for (const e of entries) {
        out[accessEntryKey(e.principalArn)] = {
            principalArn: e.principalArn,
            accessPolicies: { [e.access]: { policyArn: ACCESS_POLICY_ARNS[e.access], accessScope: { type: "cluster" } } },
        };
    }
    return out;
}

export class EksCluster extends pulumi.ComponentResource implements ClusterContract {
    readonly clusterName: string;
    readonly distribution = "eks" as const;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly nodePools: readonly NodePool[];
    readonly storageClass = "gp3";
    readonly ingressClass = "alb";
    readonly readyResources: readonly pulumi.Resource[];
    readonly oidcProviderArn: pulumi.Output<string>;
    readonly oidcIssuer: pulumi.Output<string>;
    readonly secretsKeyArn: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:EksCluster", name, {}, opts);
        const autoscaler = args.autoscaler ?? "cluster-autoscaler";
        const publicCidrs = [...(args.publicAccessCidrs ?? [])];
        const tags = args.tags ?? {};
        this.clusterName = args.clusterName;
        // Fail before declaring anything when a group has no allocatable figures.
        this.nodePools = args.nodeGroups.map((g) => eksNodePool(args.clusterName, g));

        const key = new aws.kms.Key(
            `${name}-secrets`,
            {
                description: `Envelope encryption of ${args.clusterName}'s Kubernetes secrets`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                tags,
            },
            { parent: this },
        );
        new aws.kms.Alias(`${name}-secrets`, { name: `alias/${args.clusterName}-eks-secrets`, targetKeyId: key.keyId }, { parent: this });
        this.secretsKeyArn = key.arn;

        const nodeRole = this.nodeRole(`${name}-node`, tags);
        const karpenterNodeRole = autoscaler === "karpenter" ? this.nodeRole(`${name}-karpenter-node`, tags) : undefined;
        const entries = accessEntries(args.accessEntries ?? []);
        // Managed node groups register their own role; Karpenter's nodes need an EC2_LINUX entry.
        if (karpenterNodeRole) entries["karpenter-nodes"] = { principalArn: karpenterNodeRole.arn, type: "EC2_LINUX" };

        const cluster = new eks.Cluster(
            name,
            {
                name: args.clusterName,
                version: args.kubernetesVersion,
                authenticationMode: eks.AuthenticationMode.Api,
                accessEntries: entries,
                endpointPrivateAccess: true,
                endpointPublicAccess: publicCidrs.length > 0,
                ...(publicCidrs.length > 0 ? { publicAccessCidrs: publicCidrs } : {}),
                encryptionConfigKeyArn: key.arn,
                enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
                // The platform isolates every namespace with NetworkPolicies; on EKS the VPC CNI's network
                // policy agent enforces them, and only when the add-on's enableNetworkPolicy is "true"
                // (@pulumi/eks 4.3 writes it into the vpc-cni add-on's configurationValues).
                vpcCniOptions: { enableNetworkPolicy: true },
                createOidcProvider: true,
                // No default node group, so no nodeAssociatePublicIpAddress: in @pulumi/eks 4.3 it only
                // configures the default group (nodejs/eks/cluster/cluster.ts, nodeGroupOptions). Managed
                // node groups join the private subnets (subnetIds below), which assign no public IPs.
                skipDefaultNodeGroup: true,
                vpcId: args.vpcId,
                privateSubnetIds: args.privateSubnetIds,
                publicSubnetIds: args.publicSubnetIds,
                tags,
            },
            { parent: this },
        );
        this.oidcProviderArn = cluster.oidcProviderArn;
        this.oidcIssuer = cluster.oidcIssuer;
        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        // @pulumi/eks v3+ no longer exposes a provider; build one from the kubeconfig.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });

        const nodeGroups = args.nodeGroups.map((g) => {
            const s = managedNodeGroupSettings(args.clusterName, g, autoscaler === "cluster-autoscaler");
            // IMDSv2 with hop limit 1 and the root volume come from our own launch template (see node-groups.ts).
            const lt = new aws.ec2.LaunchTemplate(
                `${name}-${g.name}`,
                { ...nodeLaunchTemplateSettings(args.clusterName, g, tags), tags },
                { parent: this },
            );
            return new eks.ManagedNodeGroup(
                `${name}-${g.name}`,
                {
                    ...s,
                    cluster,
                    nodeRole,
                    subnetIds: args.privateSubnetIds,
                    tags,
                    launchTemplate: { id: lt.id, version: lt.latestVersion.apply((v) => String(v)) },
                },
                { parent: this },
            );
        });

        const ebsSa = ADDON_SERVICE_ACCOUNTS.ebsCsi;
        const ebsRole = new IrsaRole(
            `${name}-ebs-csi`,
            {
                oidcProviderArn: cluster.oidcProviderArn,
                oidcIssuer: cluster.oidcIssuer,
                namespace: ebsSa.namespace,
                serviceAccount: ebsSa.name,
                managedPolicies: { ebs: EBS_CSI_POLICY_ARN },
                tags,
            },
            { parent: this },
        );
        // The add-on's pods need nodes to become ACTIVE, so it waits for the node groups.
        const ebsAddon = new aws.eks.Addon(
            `${name}-ebs-csi`,
            {
                clusterName: args.clusterName,
                addonName: "aws-ebs-csi-driver",
                serviceAccountRoleArn: ebsRole.arn,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "PRESERVE",
                tags,
            },
            { parent: this, dependsOn: [cluster, ...nodeGroups] },
        );
        const gp3 = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: this.storageClass, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: "Delete",
            },
            { parent: this, provider: this.provider, dependsOn: [ebsAddon] },
        );

        const identity = aws.getCallerIdentityOutput({}, { parent: this });
        const addons = new EksAddons(
            `${name}-addons`,
            {
                clusterName: args.clusterName,
                region: args.region,
                accountId: identity.accountId,
                kubernetesVersion: args.kubernetesVersion,
                vpcId: args.vpcId,
                oidcProviderArn: cluster.oidcProviderArn,
                oidcIssuer: cluster.oidcIssuer,
                autoscaler,
                karpenter: karpenterNodeRole
                    ? {
                          nodeRole: karpenterNodeRole,
                          securityGroupId: cluster.clusterSecurityGroupId,
                          arches: args.nodeGroups.map((g) => g.arch),
                          capacityTypes: args.nodeGroups.map((g) => g.capacityType),
                          cpuLimit: karpenterCpuLimit(args.nodeGroups),
                          diskSizeGiB: Math.max(...args.nodeGroups.map((g) => g.diskSizeGiB)),
                      }
                    : undefined,
                tags,
            },
            { parent: this, providers: [this.provider], dependsOn: nodeGroups },
        );
        this.readyResources = [...nodeGroups, ebsAddon, gp3, ...addons.ready];
        this.registerOutputs({ kubeconfig: this.kubeconfig, oidcProviderArn: this.oidcProviderArn, secretsKeyArn: this.secretsKeyArn });
    }

    private nodeRole(roleName: string, tags: Readonly<Record<string, string>>): aws.iam.Role {
        const role = new aws.iam.Role(
            roleName,
            { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com")), tags },
            { parent: this },
        );
        for (const [key, policyArn] of Object.entries(NODE_MANAGED_POLICIES)) {
            new aws.iam.RolePolicyAttachment(`${roleName}-${key}`, { role: role.name, policyArn }, { parent: this });
        }
        return role;
    }
}

/** Karpenter may launch up to as many cores as the managed groups' maximum sizes hold. */
export function karpenterCpuLimit(groups: readonly AwsNodeGroupConfig[]): number {
    return groups.reduce((sum, g) => sum + g.maxSize * Math.ceil(eksNodePool("", g).allocatable.cpu), 0);
}
