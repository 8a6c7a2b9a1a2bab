// From a config node group to what eks.ManagedNodeGroup and the cluster contract need: pure.
import type { Arch, Capacity, Taint } from "../../shared/node";
import { parseCapacity } from "../../shared/quantity";
import type { NodePool } from "../contract";
import { groupAllocatable } from "./allocatable";

/** One managed node group as the stack declares it (stacks/config/schema.ts is checked against this). */
export interface AwsNodeGroupConfig {
    readonly name: string;
    readonly instanceTypes: string[];
    readonly arch: Arch;
    readonly capacityType: "ON_DEMAND" | "SPOT";
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
    readonly diskSizeGiB: number;
    readonly labels: Record<string, string>;
    readonly taints: Taint[];
    /** Per-node allocatable override; without it the instance type is looked up in the table. */
    readonly allocatable?: Capacity;
}

/** AL2023 is the supported EKS AMI family; AL2 AMIs stop with Kubernetes 1.33. */
export function amiTypeFor(arch: AwsNodeGroupConfig["arch"]): "AL2023_x86_64_STANDARD" | "AL2023_ARM_64_STANDARD" {
    return arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

const EFFECTS: Record<Taint["effect"], "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE"> = {
    NoSchedule: "NO_SCHEDULE",
    NoExecute: "NO_EXECUTE",
    PreferNoSchedule: "PREFER_NO_SCHEDULE",
};

/** Kubernetes taint -> the EKS API's spelling of it. */
export function eksTaint(t: Taint): { key: string; value?: string; effect: string } {
    return t.value === undefined ? { key: t.key, effect: EFFECTS[t.effect] } : { key: t.key, value: t.value, effect: EFFECTS[t.effect] };
}

export interface ManagedNodeGroupSettings {
    nodeGroupName: string;
    instanceTypes: string[];
    amiType: string;
    capacityType: string;
    scalingConfig: { minSize: number; desiredSize: number; maxSize: number };
    labels: Record<string, string>;
    taints: { key: string; value?: string; effect: string }[];
    ignoreScalingChanges: boolean;
}

/** Instance metadata options of every node: IMDSv2 only, and a response hop limit of 1. */
export const NODE_METADATA_OPTIONS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } as const;

/** What aws.ec2.LaunchTemplate gets for one group (the root volume and the metadata options). */
export interface NodeLaunchTemplateSettings {
    namePrefix: string;
    metadataOptions: typeof NODE_METADATA_OPTIONS;
    blockDeviceMappings: {
        deviceName: string;
        ebs: { volumeSize: number; volumeType: string; encrypted: string; deleteOnTermination: string };
    }[];
    tagSpecifications: { resourceType: string; tags: Record<string, string> }[];
}

/**
 * The launch template of one managed node group. Why our own: @pulumi/eks 4.3's `enableIMDSv2` builds a
 * template with httpPutResponseHopLimit 2 (nodejs/eks/nodes/nodegroup.ts, createMNGCustomLaunchTemplate),
 * and a hop limit of 2 lets every pod (one network hop behind the node) fetch an IMDSv2 token and read the
 * node role's credentials. With hop limit 1 only host processes reach IMDS; pods get AWS access through
 * IRSA. The root volume moves here too: EKS refuses `diskSize` on a node group that has a launch template.
 * AL2023 AMIs boot from /dev/xvda. Pure.
 */
export function nodeLaunchTemplateSettings(
    clusterName: string,
    g: AwsNodeGroupConfig,
    tags: Record<string, string>,
): NodeLaunchTemplateSettings {
    return {
        namePrefix: `${clusterName}-${g.name}-`,
        metadataOptions: NODE_METADATA_OPTIONS,
        blockDeviceMappings: [
            {
                deviceName: "/dev/xvda",
                ebs: { volumeSize: g.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ],
        tagSpecifications: ["instance", "volume"].map((resourceType) => ({ resourceType, tags: { ...tags } })),
    };
}

/**
 * The plain settings of one managed node group. `autoscaled` groups leave desired size to
 * cluster-autoscaler after creation (`ignoreScalingChanges`), so `pulumi up` does not fight it.
 */
export function managedNodeGroupSettings(clusterName: string, g: AwsNodeGroupConfig, autoscaled: boolean): ManagedNodeGroupSettings {
    return {
        nodeGroupName: `${clusterName}-${g.name}`,
        instanceTypes: [...g.instanceTypes],
        amiType: amiTypeFor(g.arch),
        capacityType: g.capacityType,
        scalingConfig: { minSize: g.minSize, desiredSize: g.desiredSize, maxSize: g.maxSize },
        labels: { ...g.labels },
        taints: g.taints.map(eksTaint),
        ignoreScalingChanges: autoscaled,
    };
}

/** The contract's view of a node group: per-node allocatable from config, or from the instance table. */
export function eksNodePool(clusterName: string, g: AwsNodeGroupConfig): NodePool {
    const allocatable = g.allocatable ? parseCapacity(g.allocatable) : groupAllocatable(g.instanceTypes);
    return {
        name: g.name,
        arch: g.arch,
        count: g.desiredSize,
        labels: { ...g.labels, "eks.amazonaws.com/nodegroup": `${clusterName}-${g.name}` },
        taints: [...g.taints],
        allocatable,
    };
}
