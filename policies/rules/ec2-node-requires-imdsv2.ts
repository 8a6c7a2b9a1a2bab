import { ResourceValidationPolicy } from "@pulumi/policy";
import { getPath, show } from "../lib/values";

export const LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate";
export const INSTANCE_TYPE = "aws:ec2/instance:Instance";
export const MANAGED_NODE_GROUP_TYPE = "eks:index:ManagedNodeGroup";
export const AWS_NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup";
/** Karpenter's node class (a custom resource: `kubernetes:<apiVersion>:<kind>`). */
export const EC2_NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";

export const ec2NodeRequiresImdsv2: ResourceValidationPolicy = {
    name: "ec2-node-requires-imdsv2",
    description:
        "Every EC2 instance, launch template and EKS node group requires IMDSv2 session tokens with a response hop limit of 1, so neither a server-side request forgery nor a pod (one hop behind the node) can read the node's IAM credentials from the metadata service.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        switch (args.type) {
            case LAUNCH_TEMPLATE_TYPE:
            case INSTANCE_TYPE: {
                const tokens = getPath(args.props, "metadataOptions.httpTokens");
                if (tokens !== "required") {
                    report(`metadataOptions.httpTokens is ${show(tokens)}; set metadataOptions.httpTokens: "required".`);
                }
                // Unset is not 1: AMIs registered for IMDSv2 (AL2023 EKS AMIs) default the hop limit to 2.
                const hops = getPath(args.props, "metadataOptions.httpPutResponseHopLimit");
                if (hops !== 1) {
                    report(
                        `metadataOptions.httpPutResponseHopLimit is ${show(hops)}; set it to 1, so pods (one hop behind the node) cannot fetch an IMDSv2 token.`,
                    );
                }
                return;
            }
            case MANAGED_NODE_GROUP_TYPE:
                // A custom launch template carries its own metadataOptions and is checked as a LaunchTemplate.
                // enableIMDSv2 is not enough: @pulumi/eks 4.3 builds its template with httpPutResponseHopLimit 2
                // (nodejs/eks/nodes/nodegroup.ts, createMNGCustomLaunchTemplate).
                if (args.props.launchTemplate === undefined) {
                    report(
                        args.props.enableIMDSv2 === true
                            ? 'enableIMDSv2 sets httpPutResponseHopLimit 2 (@pulumi/eks 4.3), so pods can read the node role\'s credentials; pass a launchTemplate with metadataOptions httpTokens "required" and httpPutResponseHopLimit 1.'
                            : 'enableIMDSv2 is not true (it defaults to false); pass a launchTemplate with metadataOptions httpTokens "required" and httpPutResponseHopLimit 1.',
                    );
                }
                return;
            case AWS_NODE_GROUP_TYPE:
                // EKS's generated launch template leaves IMDSv1 enabled.
                if (args.props.launchTemplate === undefined) {
                    report(
                        'the node group uses EKS\'s default launch template, which allows IMDSv1; pass a launchTemplate whose metadataOptions.httpTokens is "required".',
                    );
                }
                return;
            case EC2_NODE_CLASS_TYPE: {
                // Karpenter v1 defaults an omitted field to httpTokens "required" and hop limit 1
                // (karpenter.k8s.aws/v1 EC2NodeClass spec.metadataOptions); only explicit weaker values fail.
                const tokens = getPath(args.props, "spec.metadataOptions.httpTokens");
                if (tokens !== undefined && tokens !== "required") {
                    report(`spec.metadataOptions.httpTokens is ${show(tokens)}; set it to "required" (or leave it unset).`);
                }
                const hops = getPath(args.props, "spec.metadataOptions.httpPutResponseHopLimit");
                if (hops !== undefined && hops !== 1) {
                    report(
                        `spec.metadataOptions.httpPutResponseHopLimit is ${show(hops)}; set it to 1 (or leave it unset), so pods cannot fetch an IMDSv2 token.`,
                    );
                }
                return;
            }
            default:
                args.notApplicable("Policy only applies to EC2 instances, launch templates and EKS node groups.");
        }
    },
};
