import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateEksCluster } from "../lib/eks";

export interface Config {
    readonly requiredLogTypes: string[];
}

export const eksClusterRequiresControlPlaneLogging: ResourceValidationPolicy = {
    name: "eks-cluster-requires-control-plane-logging",
    description:
        "An EKS cluster ships the api, audit and authenticator control-plane logs to CloudWatch, so who changed what in the cluster can be answered after the fact.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requiredLogTypes: {
                type: "array",
                items: { type: "string", enum: ["api", "audit", "authenticator", "controllerManager", "scheduler"] },
                default: ["api", "audit", "authenticator"],
                description: "Control-plane log types that must be enabled.",
            },
        },
    },
    validateResource: validateEksCluster((cluster, args, report) => {
        const missing = args.getConfig<Config>().requiredLogTypes.filter((t) => !cluster.enabledClusterLogTypes.includes(t));
        if (missing.length > 0) {
            report(`control-plane logging lacks ${missing.join(", ")}; add them to ${cluster.path.enabledClusterLogTypes}.`);
        }
    }),
};
