// Amazon S3 on aws: three private, encrypted buckets and one IAM role that the platform's service
// accounts assume through IRSA. No keys exist anywhere: consumers get a role annotation instead.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BucketNames, GrantArgs, ObjectStore, ObjectStoreGrant } from "./types";

/** A Kubernetes service account allowed to assume the bucket role. */
export interface ServiceAccountRef {
    readonly namespace: string;
    readonly name: string;
}

export interface S3ObjectStoreArgs {
    /** Prefix of the bucket names (the cluster name). */
    readonly namePrefix: string;
    readonly region: string;
    /** The EKS cluster's IAM OIDC provider ARN (IRSA); the issuer is read from it. Required. */
    readonly oidcProviderArn?: pulumi.Input<string>;
    /** Service accounts that may use the buckets; `grantAccess` refuses any other. */
    readonly serviceAccounts: readonly ServiceAccountRef[];
    readonly tags?: Record<string, string>;
}

/** Problems with the arguments, each naming the field and the fix. Pure, tested directly. */
export function validateS3Args(args: S3ObjectStoreArgs): string[] {
    const problems: string[] = [];
    if (args.oidcProviderArn === undefined) {
        problems.push(
            "objectStore s3 needs the EKS cluster's OIDC provider ARN (oidcProviderArn) for IRSA; it is only available on environment aws: use objectStore minio or seaweedfs elsewhere",
        );
    }
    if (args.serviceAccounts.length === 0)
        problems.push("objectStore s3 needs at least one entry in serviceAccounts (namespace and name of each consumer)");
    return problems;
}

/** "arn:aws:iam::123456789012:oidc-provider/oidc.eks.<region>.amazonaws.com/id/X" -> the issuer host/path. */
export function issuerFromProviderArn(arn: string): string {
    const m = /:oidc-provider\/(.+)$/.exec(arn);
    if (!m) throw new Error(`'${arn}' is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)`);
    return m[1];
}

/** The IRSA trust policy: only the listed service accounts of this cluster may assume the role. */
export function irsaTrustPolicy(oidcProviderArn: string, accounts: readonly ServiceAccountRef[]): string {
    const issuer = issuerFromProviderArn(oidcProviderArn);
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                        [`${issuer}:sub`]: accounts.map((a) => `system:serviceaccount:${a.namespace}:${a.name}`),
                    },
                },
            },
        ],
    });
}

export class S3ObjectStore extends pulumi.ComponentResource implements ObjectStore {
    readonly kind = "s3" as const;
    readonly inCluster = false;
    readonly endpoint: string;
    readonly endpointUrl: string;
    readonly region: string;
    readonly useHttps = true;
    readonly buckets: BucketNames;
    readonly roleArn: pulumi.Output<string>;
    private readonly accounts: readonly ServiceAccountRef[];

    constructor(name: string, args: S3ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:storage:S3ObjectStore", name, {}, opts);
        const problems = validateS3Args(args);
        if (problems.length > 0) throw new Error(`S3ObjectStore '${name}':\n  - ${problems.join("\n  - ")}`);
        this.region = args.region;
        this.endpoint = `s3.${args.region}.amazonaws.com`;
        this.endpointUrl = `https://${this.endpoint}`;
        this.accounts = args.serviceAccounts;
        const tags = { ...(args.tags ?? {}), "aiops.dev/component": "object-store" };

        const bucket = (role: keyof BucketNames) => {
            const b = new aws.s3.Bucket(
                `${name}-${role}`,
                { bucketPrefix: `${args.namePrefix}-${role}-`, forceDestroy: false, tags },
                { parent: this },
            );
            new aws.s3.BucketPublicAccessBlock(
                `${name}-${role}`,
                { bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
                { parent: this },
            );
            new aws.s3.BucketServerSideEncryptionConfiguration(
                `${name}-${role}`,
                { bucket: b.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] },
                { parent: this },
            );
            new aws.s3.BucketOwnershipControls(
                `${name}-${role}`,
                { bucket: b.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
                { parent: this },
            );
            return b;
        };
        const buckets = { pipelines: bucket("pipelines"), models: bucket("models"), mlflow: bucket("mlflow") };
        this.buckets = { pipelines: buckets.pipelines.bucket, models: buckets.models.bucket, mlflow: buckets.mlflow.bucket };

        const role = new aws.iam.Role(
            `${name}-irsa`,
            { assumeRolePolicy: pulumi.output(args.oidcProviderArn!).apply((arn) => irsaTrustPolicy(arn, args.serviceAccounts)), tags },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-irsa`,
            {
                role: role.id,
                policy: pulumi.all(Object.values(buckets).map((b) => b.arn)).apply((arns) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: arns },
                            {
                                Effect: "Allow",
                                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                                Resource: arns.map((a) => `${a}/*`),
                            },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }

    grantAccess(name: string, args: GrantArgs, _opts: pulumi.CustomResourceOptions): ObjectStoreGrant {
        const sa = args.serviceAccount;
        const check = (ns: string): void => {
            if (!sa || !this.accounts.some((a) => a.namespace === ns && a.name === sa)) {
                throw new Error(
                    `S3ObjectStore grant '${name}': service account '${ns}/${sa ?? "<none>"}' is not in serviceAccounts (${this.accounts.map((a) => `${a.namespace}/${a.name}`).join(", ")}); add it there so the IAM role trusts it`,
                );
            }
        };
        // Namespaces are plain strings in practice: fail at construction, not somewhere in an apply.
        if (typeof args.namespace === "string") check(args.namespace);
        return {
            secretName: undefined,
            secret: undefined,
            serviceAccountAnnotations: pulumi.all([args.namespace, this.roleArn]).apply(([ns, arn]): Record<string, string> => {
                check(ns);
                return { "eks.amazonaws.com/role-arn": arn };
            }),
        };
    }
}
