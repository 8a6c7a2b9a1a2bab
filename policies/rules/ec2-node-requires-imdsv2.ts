import { ResourceValidationPolicy } from "@pulumi/policy";
import { getPath, show } from "../lib/values";

export const LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate";
export const INSTANCE_TYPE = "aws:ec2/instance:Instance";
export const MANAGED_NODE_GROUP_TYPE = "eks:index:ManagedNodeGroup";
export const AWS_NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup";

export const ec2NodeRequiresImdsv2: ResourceValidationPolicy = {
    name: "ec2-node-requires-imdsv2",
    description:
        "Every EC2 instance, launch template and EKS node group requires IMDSv2 session tokens, so a server-side request forgery cannot read the node's IAM credentials from the metadata service.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        switch (args.type) {
            case LAUNCH_TEMPLATE_TYPE:
            case INSTANCE_TYPE: {
                const tokens = getPath(args.props, "metadataOptions.httpTokens");
                if (tokens !== "required") {
                    report(`metadataOptions.httpTokens is ${show(tokens)}; set metadataOptions.httpTokens: "required".`);
                }
                return;
            }
            case MANAGED_NODE_GROUP_TYPE:
                // A custom launch template carries its own metadataOptions and is checked as a LaunchTemplate.
                if (args.props.launchTemplate === undefined && args.props.enableIMDSv2 !== true) {
                    report(
                        "enableIMDSv2 is not true (it defaults to false); set enableIMDSv2: true, or pass a launchTemplate that requires IMDSv2.",
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
            default:
                args.notApplicable("Policy only applies to EC2 instances, launch templates and EKS node groups.");
        }
    },
};
