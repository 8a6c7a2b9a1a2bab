// Rules of the `aws` block (schema: awsSchema in schema.ts) that span fields: group sizes in order,
// architectures that match the instance types, unique names, a VPC range that fits its subnets.
import type { AwsConfig } from "./schema";
import { PROJECT, Problem, duplicates } from "./problems";
import { isPrivateCidr, planVpcSubnets } from "../../components/network/cidr";
import { unknownInstanceTypes } from "../../components/cluster/eks/allocatable";
import { CLUSTER_AUTOSCALER_IMAGE } from "../../components/cluster/eks/versions";

export function awsProblems(aws: AwsConfig): Problem[] {
    const problems: Problem[] = [];
    const add = (key: string, message: string, fix: string) => problems.push({ key, message, fix });
    aws.nodeGroups.forEach((g, i) => {
        if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
            add(
                `aws.nodeGroups[${i}]`,
                `sizes must satisfy minSize <= desiredSize <= maxSize; got ${g.minSize} <= ${g.desiredSize} <= ${g.maxSize}`,
                `pulumi config set --path '${PROJECT}:aws.nodeGroups[${i}].desiredSize' ${Math.max(g.minSize, Math.min(g.desiredSize, g.maxSize))}`,
            );
        }
        if (g.arch === "arm64" && !g.instanceTypes.every(isGravitonType)) {
            add(
                `aws.nodeGroups[${i}].instanceTypes`,
                `must all be Graviton (arm64) types for an arm64 group, such as m7g.large; got ${g.instanceTypes.join(", ")}`,
                `use arm64 types (m7g, c7g, r7g, t4g...) or set arch: amd64`,
            );
        }
        if (g.arch === "amd64" && g.instanceTypes.some(isGravitonType)) {
            add(
                `aws.nodeGroups[${i}].instanceTypes`,
                `contains Graviton (arm64) types in an amd64 group; got ${g.instanceTypes.join(", ")}`,
                `set arch: arm64 on this group or use amd64 types such as m7i.large`,
            );
        }
    });
    duplicates(aws.nodeGroups.map((g) => g.name)).forEach((n) =>
        add("aws.nodeGroups", `has duplicate name '${n}'`, "give each node group a unique name"),
    );
    if (!aws.nodeGroups.some((g) => g.arch === "amd64")) {
        add(
            "aws.nodeGroups",
            "needs at least one amd64 group: Kubeflow Pipelines' metadata images have no arm64 build",
            "add a group with arch: amd64 (e.g. m7i.large)",
        );
    }
    aws.nodeGroups.forEach((g, i) => {
        const unknown = g.allocatable ? [] : unknownInstanceTypes(g.instanceTypes);
        if (unknown.length > 0) {
            add(
                `aws.nodeGroups[${i}].instanceTypes`,
                `has no allocatable figures for ${unknown.join(", ")} (the cluster layer knows c/m/r 5-8th generation and t3/t3a/t4g types)`,
                `set aws.nodeGroups[${i}].allocatable: {cpu: <cores>, memory: <e.g. 14Gi>} per node, or use a known type such as m7i.large`,
            );
        }
    });
    if (!isPrivateCidr(aws.vpcCidr)) {
        add(
            "aws.vpcCidr",
            `must be a private (RFC 1918) range; got '${aws.vpcCidr}'`,
            `pulumi config set --path '${PROJECT}:aws.vpcCidr' 10.0.0.0/16`,
        );
    } else {
        try {
            planVpcSubnets(aws.vpcCidr, aws.availabilityZones);
        } catch (e) {
            add(
                "aws.vpcCidr",
                (e as Error).message.replace(/^VPC /, "is too small: VPC "),
                `pulumi config set --path '${PROJECT}:aws.vpcCidr' 10.0.0.0/16`,
            );
        }
    }
    if (aws.autoscaler === "cluster-autoscaler" && !(aws.kubernetesVersion in CLUSTER_AUTOSCALER_IMAGE)) {
        add(
            "aws.kubernetesVersion",
            `has no pinned cluster-autoscaler release; got '${aws.kubernetesVersion}' (pinned: ${Object.keys(CLUSTER_AUTOSCALER_IMAGE).join(", ")})`,
            `pick a pinned version, or set aws.autoscaler: karpenter`,
        );
    }
    duplicates(aws.accessEntries.map((e) => e.principalArn)).forEach((arn) =>
        add("aws.accessEntries", `lists '${arn}' more than once`, "keep one entry per principal"),
    );
    return problems;
}

function isGravitonType(t: string): boolean {
    return /^[a-z]+\d+g[a-z]*\./.test(t);
}
