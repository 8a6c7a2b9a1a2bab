import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateEksCluster } from "../lib/eks";

export const eksClusterRequiresPrivateEndpoint: ResourceValidationPolicy = {
    name: "eks-cluster-requires-private-endpoint",
    description:
        "An EKS cluster enables its private API endpoint, so nodes and in-VPC tooling reach the control plane without leaving the VPC.",
    enforcementLevel: "mandatory",
    validateResource: validateEksCluster((cluster, _args, report) => {
        if (!cluster.endpointPrivateAccess) {
            report(`the private API endpoint is off (AWS's default); set ${cluster.path.endpointPrivateAccess}: true.`);
        }
    }),
};
