// The add-ons users of EKS Blueprints expect, each with its own IRSA role where it calls AWS:
// AWS Load Balancer Controller, metrics-server, and cluster-autoscaler (default) or Karpenter.
// cert-manager is not here: the platform layer installs it on every cluster.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Arch } from "../../shared/node";
import {
    ADDON_SERVICE_ACCOUNTS,
    clusterAutoscalerValues,
    ec2NodeClassSpec,
    karpenterValues,
    loadBalancerControllerValues,
    metricsServerValues,
    nodePoolSpec,
} from "./addon-values";
import {
    KARPENTER_INTERRUPTION_EVENTS,
    clusterAutoscalerPolicy,
    interruptionQueuePolicy,
    karpenterControllerPolicy,
    loadBalancerControllerPolicy,
} from "./iam-policies";
import { IrsaRole } from "./irsa-role";
import { EKS_CHARTS, clusterAutoscalerImageTag } from "./versions";

export interface KarpenterSettings {
    /** Role Karpenter's nodes run as (it has an EC2_LINUX access entry on the cluster). */
    readonly nodeRole: aws.iam.Role;
    /** Security group Karpenter's nodes join (the cluster security group). */
    readonly securityGroupId: pulumi.Input<string>;
    /** Architectures Karpenter may launch (the managed groups' arches). */
    readonly arches: readonly Arch[];
    /** ON_DEMAND and/or SPOT, as the managed groups use them. */
    readonly capacityTypes: readonly string[];
    /** Upper bound on the cores Karpenter may launch. */
    readonly cpuLimit: number;
    /** Root volume size of Karpenter's nodes. */
    readonly diskSizeGiB: number;
}

export interface EksAddonsArgs {
    /** The EKS cluster's name (as AWS knows it). */
    readonly clusterName: string;
    /** AWS region of the cluster. */
    readonly region: string;
    /** Account the cluster lives in (Karpenter's policy names it). */
    readonly accountId: pulumi.Input<string>;
    /** EKS minor version; picks the matching cluster-autoscaler image. */
    readonly kubernetesVersion: string;
    /** VPC the load balancer controller manages. */
    readonly vpcId: pulumi.Input<string>;
    /** The cluster's IAM OIDC provider, which every IRSA role trusts. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (with or without https://). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Who adds nodes: "cluster-autoscaler" (default) resizes the managed node groups; "karpenter" launches its own. */
    readonly autoscaler?: "cluster-autoscaler" | "karpenter";
    /** Required when autoscaler is "karpenter". */
    readonly karpenter?: KarpenterSettings;
    /** Tags applied to every AWS resource. Default {}. */
    readonly tags?: Readonly<Record<string, string>>;
}

export class EksAddons extends pulumi.ComponentResource {
    /** Everything installed; workloads should wait for these (the LBC webhook must serve before Services appear). */
    readonly ready: pulumi.Resource[];

    /** opts.provider must be the cluster's Kubernetes provider. */
    constructor(name: string, args: EksAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:EksAddons", name, {}, opts);
        const autoscaler = args.autoscaler ?? "cluster-autoscaler";
        const tags = args.tags ?? {};
        const oidc = { oidcProviderArn: args.oidcProviderArn, oidcIssuer: args.oidcIssuer, tags };
        const release = (
            key: string,
            chart: (typeof EKS_CHARTS)[keyof typeof EKS_CHARTS],
            values: pulumi.Inputs,
            extra: pulumi.CustomResourceOptions = {},
        ) =>
            new k8s.helm.v3.Release(
                `${name}-${key}`,
                {
                    name: chart.chart,
                    chart: chart.repo.startsWith("oci://") ? `${chart.repo}/${chart.chart}` : chart.chart,
                    version: chart.version,
                    repositoryOpts: chart.repo.startsWith("oci://") ? undefined : { repo: chart.repo },
                    namespace: "kube-system",
                    values,
                    atomic: true,
                    timeout: 600,
                },
                { parent: this, ...extra },
            );

        const lbcSa = ADDON_SERVICE_ACCOUNTS.loadBalancerController;
        const lbcRole = new IrsaRole(
            `${name}-lbc`,
            {
                ...oidc,
                namespace: lbcSa.namespace,
                serviceAccount: lbcSa.name,
                inlinePolicy: JSON.stringify(loadBalancerControllerPolicy()),
            },
            { parent: this },
        );
        const lbc = release(
            "lbc",
            EKS_CHARTS.awsLoadBalancerController,
            loadBalancerControllerValues({ clusterName: args.clusterName, region: args.region, vpcId: args.vpcId, roleArn: lbcRole.arn }),
            { dependsOn: [lbcRole] },
        );

        const metrics = release("metrics-server", EKS_CHARTS.metricsServer, metricsServerValues());
        this.ready = [lbc, metrics];

        if (autoscaler === "cluster-autoscaler") {
            const sa = ADDON_SERVICE_ACCOUNTS.clusterAutoscaler;
            const role = new IrsaRole(
                `${name}-cluster-autoscaler`,
                {
                    ...oidc,
                    namespace: sa.namespace,
                    serviceAccount: sa.name,
                    inlinePolicy: JSON.stringify(clusterAutoscalerPolicy(args.clusterName)),
                },
                { parent: this },
            );
            const ca = release(
                "cluster-autoscaler",
                EKS_CHARTS.clusterAutoscaler,
                clusterAutoscalerValues({
                    clusterName: args.clusterName,
                    region: args.region,
                    imageTag: clusterAutoscalerImageTag(args.kubernetesVersion),
                    roleArn: role.arn,
                }),
                { dependsOn: [role] },
            );
            this.ready.push(ca);
        } else {
            const k = args.karpenter;
            if (!k) throw new Error(`EksAddons ${name}: autoscaler "karpenter" needs the karpenter settings (node role, security group)`);
            this.ready.push(...this.karpenter(name, args, k, oidc, release));
        }
        this.registerOutputs({});
    }

    private karpenter(
        name: string,
        args: EksAddonsArgs,
        k: KarpenterSettings,
        oidc: { oidcProviderArn: pulumi.Input<string>; oidcIssuer: pulumi.Input<string>; tags: Readonly<Record<string, string>> },
        release: (
            key: string,
            chart: (typeof EKS_CHARTS)["karpenter"],
            values: pulumi.Inputs,
            extra?: pulumi.CustomResourceOptions,
        ) => k8s.helm.v3.Release,
    ): pulumi.Resource[] {
        const queue = new aws.sqs.Queue(
            `${name}-karpenter-interruption`,
            { name: `${args.clusterName}-karpenter`, messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags: oidc.tags },
            { parent: this },
        );
        new aws.sqs.QueuePolicy(
            `${name}-karpenter-interruption`,
            { queueUrl: queue.url, policy: queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))) },
            { parent: this },
        );
        for (const [key, pattern] of Object.entries(KARPENTER_INTERRUPTION_EVENTS)) {
            const rule = new aws.cloudwatch.EventRule(
                `${name}-karpenter-${key}`,
                { eventPattern: JSON.stringify(pattern), tags: oidc.tags },
                { parent: this },
            );
            new aws.cloudwatch.EventTarget(`${name}-karpenter-${key}`, { rule: rule.name, arn: queue.arn }, { parent: this });
        }
        const sa = ADDON_SERVICE_ACCOUNTS.karpenter;
        const policy = pulumi.all([args.accountId, k.nodeRole.arn, queue.arn]).apply(([accountId, nodeRoleArn, interruptionQueueArn]) =>
            JSON.stringify(
                karpenterControllerPolicy({
                    clusterName: args.clusterName,
                    region: args.region,
                    accountId,
                    nodeRoleArn,
                    interruptionQueueArn,
                }),
            ),
        );
        const role = new IrsaRole(
            `${name}-karpenter`,
            { ...oidc, namespace: sa.namespace, serviceAccount: sa.name, inlinePolicy: policy },
            { parent: this },
        );
        const chart = release(
            "karpenter",
            EKS_CHARTS.karpenter,
            karpenterValues({ clusterName: args.clusterName, interruptionQueue: queue.name, roleArn: role.arn }),
            { dependsOn: [role] },
        );
        // The chart ships the CRDs, so the node class and pool wait for it.
        const nodeClass = new k8s.apiextensions.CustomResource(
            `${name}-karpenter-nodeclass`,
            {
                apiVersion: "karpenter.k8s.aws/v1",
                kind: "EC2NodeClass",
                metadata: { name: "default" },
                spec: ec2NodeClassSpec({
                    clusterName: args.clusterName,
                    nodeRoleName: k.nodeRole.name,
                    securityGroupId: k.securityGroupId,
                    diskSizeGiB: k.diskSizeGiB,
                }),
            },
            { parent: this, dependsOn: [chart] },
        );
        const pool = new k8s.apiextensions.CustomResource(
            `${name}-karpenter-nodepool`,
            {
                apiVersion: "karpenter.sh/v1",
                kind: "NodePool",
                metadata: { name: "default" },
                spec: nodePoolSpec({ nodeClassName: "default", arches: k.arches, capacityTypes: k.capacityTypes, cpuLimit: k.cpuLimit }),
            },
            { parent: this, dependsOn: [nodeClass] },
        );
        return [chart, nodeClass, pool];
    }
}
