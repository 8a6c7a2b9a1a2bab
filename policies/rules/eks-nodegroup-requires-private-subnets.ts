import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { EKS_COMPONENT_TYPE } from "../lib/eks";
import { ofTypes } from "../lib/graph";
import { asArray, asRecord, asStrings } from "../lib/values";

export const NODE_GROUP_TYPES = ["eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"];
const SUBNET_TYPE = "aws:ec2/subnet:Subnet";

export const eksNodegroupRequiresPrivateSubnets: StackValidationPolicy = {
    name: "eks-nodegroup-requires-private-subnets",
    description:
        "Every EKS node group names its subnets explicitly, and none of them is a public subnet (one listed in a cluster's publicSubnetIds, tagged kubernetes.io/role/elb, or mapping public IPs); when a cluster declares privateSubnetIds, node groups use only those.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const groups = ofTypes(args.resources, NODE_GROUP_TYPES);
        if (groups.length === 0) {
            args.notApplicable("The stack has no EKS node groups.");
        }
        const clusters = ofTypes(args.resources, [EKS_COMPONENT_TYPE]);
        const publicIds = new Set(clusters.flatMap((c) => asStrings(c.props.publicSubnetIds)));
        const privateIds = new Set(clusters.flatMap((c) => asStrings(c.props.privateSubnetIds)));
        const publicSubnets = ofTypes(args.resources, [SUBNET_TYPE]).filter(isPublicSubnet);
        for (const group of groups) {
            for (const problem of subnetProblems(group, publicIds, privateIds, publicSubnets)) {
                report(problem, group.urn);
            }
        }
    },
};

/** Public by EKS's own tag convention (load balancers go there), or because it hands out public IPs. */
export function isPublicSubnet(subnet: PolicyResource): boolean {
    return subnet.props.mapPublicIpOnLaunch === true || asRecord(subnet.props.tags)?.["kubernetes.io/role/elb"] === "1";
}

function subnetProblems(
    group: PolicyResource,
    publicIds: ReadonlySet<string>,
    privateIds: ReadonlySet<string>,
    publicSubnets: PolicyResource[],
): string[] {
    const fix = "use the VPC's private subnets (the cluster's privateSubnetIds)";
    const dependencies = group.propertyDependencies.subnetIds ?? [];
    const dependsOnPublic = dependencies.filter((dep) => publicSubnets.some((s) => s.urn === dep.urn));
    if (dependsOnPublic.length > 0) {
        return [`subnetIds includes public subnet ${dependsOnPublic.map((s) => s.name).join(", ")}; ${fix}.`];
    }
    // Ids computed from subnets in the stack are judged by those subnets: in a real preview they are
    // unknown, and reading them would abort the policy.
    if (dependencies.length > 0) {
        return [];
    }
    if (asArray(group.props.subnetIds).length === 0) {
        // ManagedNodeGroup then falls back to the cluster's subnetIds, which include public ones in a mixed VPC.
        return [`subnetIds is not set, so the group may land in public subnets; set subnetIds and ${fix}.`];
    }
    // Ids not known yet (null in a rendered graph) cannot be compared.
    const ids = asStrings(group.props.subnetIds);
    const problems: string[] = [];
    const publicOnes = ids.filter((id) => publicIds.has(id));
    if (publicOnes.length > 0) {
        problems.push(`subnetIds includes public subnet ${publicOnes.join(", ")}; ${fix}.`);
    }
    const unknown = privateIds.size === 0 ? [] : ids.filter((id) => !privateIds.has(id) && !publicIds.has(id));
    if (unknown.length > 0) {
        problems.push(`subnetIds includes ${unknown.join(", ")}, which no cluster declares as private; ${fix}.`);
    }
    return problems;
}
