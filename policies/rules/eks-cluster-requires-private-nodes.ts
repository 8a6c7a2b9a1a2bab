import { ResourceValidationPolicy } from "@pulumi/policy";
import { EKS_COMPONENT_TYPE } from "../lib/eks";
import { asArray } from "../lib/values";

export const eksClusterRequiresPrivateNodes: ResourceValidationPolicy = {
    name: "eks-cluster-requires-private-nodes",
    description:
        "An @pulumi/eks cluster places its worker nodes in private subnets without public IP addresses, so nodes are reachable only through the VPC.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        // The raw aws:eks/cluster:Cluster carries no node settings; its node groups are checked on their own.
        if (args.type !== EKS_COMPONENT_TYPE) {
            args.notApplicable(`Policy only applies to resources of type '${EKS_COMPONENT_TYPE}'.`);
        }
        // Entries may be ids not known until the subnets exist (null in a rendered graph): set is enough here.
        if (asArray(args.props.privateSubnetIds).length === 0) {
            report("privateSubnetIds is not set, so nodes may land in public subnets; pass the VPC's private subnets as privateSubnetIds.");
        }
        // nodeAssociatePublicIpAddress only configures @pulumi/eks's default node group (4.3:
        // nodejs/eks/cluster/cluster.ts builds nodeGroupOptions from it for that group alone), where it
        // defaults to true. Without a default group it does nothing; managed groups are checked on their own.
        // Skipped as in 4.3: `skipDefaultNodeGroup || fargate || autoMode?.enabled`.
        const p = args.props;
        const defaultGroup = !(
            p.skipDefaultNodeGroup === true ||
            (p.fargate !== undefined && p.fargate !== false) ||
            p.autoMode?.enabled === true
        );
        if (defaultGroup && p.nodeAssociatePublicIpAddress !== false) {
            report(
                "the default node group's nodes get public IP addresses (nodeAssociatePublicIpAddress defaults to true); set skipDefaultNodeGroup: true and use managed node groups in private subnets, or set nodeAssociatePublicIpAddress: false.",
            );
        }
    },
};
