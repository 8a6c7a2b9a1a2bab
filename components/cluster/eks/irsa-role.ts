// An IAM role that one Kubernetes service account assumes through the cluster's OIDC provider (IRSA).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrustPolicy } from "./iam-policies";

export interface IrsaRoleArgs {
    /** The cluster's IAM OIDC provider, the only federated principal trusted. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (with or without https://). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Namespace of the one service account allowed to assume the role. */
    readonly namespace: string;
    /** Name of that service account. */
    readonly serviceAccount: string;
    /** Managed policy ARNs to attach, keyed by a stable name. Default {}. */
    readonly managedPolicies?: Readonly<Record<string, pulumi.Input<string>>>;
    /** An inline policy document (JSON) for the role. Default none. */
    readonly inlinePolicy?: pulumi.Input<string>;
    /** Tags on the role and policy. Default none. */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Role + attachments; the role ARN is what the service account's annotation carries. */
export class IrsaRole extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:IrsaRole", name, {}, opts);
        const trust = pulumi
            .all([args.oidcProviderArn, args.oidcIssuer])
            .apply(([oidcProviderArn, oidcIssuer]) =>
                JSON.stringify(
                    irsaTrustPolicy({ oidcProviderArn, oidcIssuer, namespace: args.namespace, serviceAccount: args.serviceAccount }),
                ),
            );
        this.role = new aws.iam.Role(
            name,
            { assumeRolePolicy: trust, description: `IRSA for ${args.namespace}/${args.serviceAccount}`, tags: args.tags },
            { parent: this },
        );
        for (const [key, policyArn] of Object.entries(args.managedPolicies ?? {})) {
            new aws.iam.RolePolicyAttachment(`${name}-${key}`, { role: this.role.name, policyArn }, { parent: this });
        }
        if (args.inlinePolicy !== undefined) {
            const policy = new aws.iam.Policy(
                name,
                { policy: args.inlinePolicy, description: `Permissions of ${args.namespace}/${args.serviceAccount}`, tags: args.tags },
                { parent: this },
            );
            new aws.iam.RolePolicyAttachment(`${name}-policy`, { role: this.role.name, policyArn: policy.arn }, { parent: this });
        }
        this.arn = this.role.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
