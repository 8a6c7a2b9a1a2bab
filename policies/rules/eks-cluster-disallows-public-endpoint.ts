import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateEksCluster } from "../lib/eks";
import { isOpenToWorld } from "../lib/network";

export const eksClusterDisallowsPublicEndpoint: ResourceValidationPolicy = {
    name: "eks-cluster-disallows-public-endpoint",
    description:
        "An EKS cluster's API endpoint is either private only or public to an explicit list of CIDRs that excludes 0.0.0.0/0, so the control plane is not exposed to the whole internet.",
    enforcementLevel: "mandatory",
    validateResource: validateEksCluster((cluster, _args, report) => {
        if (!cluster.endpointPublicAccess) {
            return;
        }
        const cidrs = cluster.publicAccessCidrs;
        if (cidrs === undefined || cidrs.length === 0) {
            report(
                `the public API endpoint is on and ${cluster.path.publicAccessCidrs} is not set, so it is open to 0.0.0.0/0; ` +
                    `set ${cluster.path.endpointPublicAccess}: false, or list the admin CIDRs in ${cluster.path.publicAccessCidrs}.`,
            );
            return;
        }
        const open = cidrs.filter(isOpenToWorld);
        if (open.length > 0) {
            report(
                `${cluster.path.publicAccessCidrs} contains ${open.join(", ")}; replace it with the admin CIDRs, ` +
                    `or set ${cluster.path.endpointPublicAccess}: false.`,
            );
        }
    }),
};
