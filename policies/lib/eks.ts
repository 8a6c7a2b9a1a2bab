import { ResourceValidationArgs } from "@pulumi/policy";
import { asRecord, asString, asStrings, getPath } from "./values";

/** The @pulumi/eks component (one registration under mocks) and the raw cluster a real preview shows. */
export const EKS_COMPONENT_TYPE = "eks:index:Cluster";
export const EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster";

type Field = "endpointPublicAccess" | "endpointPrivateAccess" | "publicAccessCidrs" | "encryption" | "enabledClusterLogTypes";

/** One view over both shapes, with AWS's defaults applied and each field's path for messages. */
export interface EksClusterView {
    readonly endpointPublicAccess: boolean;
    readonly endpointPrivateAccess: boolean;
    /** undefined: not set, which AWS treats as 0.0.0.0/0. */
    readonly publicAccessCidrs: string[] | undefined;
    readonly secretsEncrypted: boolean;
    readonly enabledClusterLogTypes: string[];
    readonly path: Record<Field, string>;
}

export function eksClusterView(type: string, props: Record<string, unknown>): EksClusterView | undefined {
    if (type === EKS_COMPONENT_TYPE) {
        return {
            // AWS defaults: public endpoint on, private endpoint off.
            endpointPublicAccess: props.endpointPublicAccess !== false,
            endpointPrivateAccess: props.endpointPrivateAccess === true,
            publicAccessCidrs: props.publicAccessCidrs === undefined ? undefined : asStrings(props.publicAccessCidrs),
            secretsEncrypted: (asString(props.encryptionConfigKeyArn) ?? "") !== "",
            enabledClusterLogTypes: asStrings(props.enabledClusterLogTypes),
            path: {
                endpointPublicAccess: "endpointPublicAccess",
                endpointPrivateAccess: "endpointPrivateAccess",
                publicAccessCidrs: "publicAccessCidrs",
                encryption: "encryptionConfigKeyArn",
                enabledClusterLogTypes: "enabledClusterLogTypes",
            },
        };
    }
    if (type === EKS_CLUSTER_TYPE) {
        const vpc = asRecord(props.vpcConfig) ?? {};
        const encryption = asRecord(props.encryptionConfig);
        return {
            endpointPublicAccess: vpc.endpointPublicAccess !== false,
            endpointPrivateAccess: vpc.endpointPrivateAccess === true,
            publicAccessCidrs: vpc.publicAccessCidrs === undefined ? undefined : asStrings(vpc.publicAccessCidrs),
            secretsEncrypted:
                asStrings(encryption?.resources).includes("secrets") && (asString(getPath(encryption, "provider.keyArn")) ?? "") !== "",
            enabledClusterLogTypes: asStrings(props.enabledClusterLogTypes),
            path: {
                endpointPublicAccess: "vpcConfig.endpointPublicAccess",
                endpointPrivateAccess: "vpcConfig.endpointPrivateAccess",
                publicAccessCidrs: "vpcConfig.publicAccessCidrs",
                encryption: 'encryptionConfig (resources: ["secrets"], provider.keyArn)',
                enabledClusterLogTypes: "enabledClusterLogTypes",
            },
        };
    }
    return undefined;
}

/** Like validateResourceOfType, for both EKS cluster shapes. */
export function validateEksCluster(
    validate: (cluster: EksClusterView, args: ResourceValidationArgs, report: (message: string) => void) => void,
) {
    return (args: ResourceValidationArgs, report: (message: string) => void): void => {
        const cluster = eksClusterView(args.type, args.props);
        if (cluster === undefined) {
            args.notApplicable(`Policy only applies to '${EKS_COMPONENT_TYPE}' and '${EKS_CLUSTER_TYPE}'.`);
        }
        validate(cluster, args, report);
    };
}
