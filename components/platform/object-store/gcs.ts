// Google Cloud Storage on hybrid. The clusters there are k3s/k3d, not GKE, so GKE Workload Identity is
// not available: a dedicated service account gets objectAdmin on the three buckets and an HMAC key,
// and every consumer speaks S3 to storage.googleapis.com (GCS's S3-compatible XML API). That keeps one
// code path for MLflow, KServe and KFP, and the edge cluster reaches the store without a tunnel.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { keySecretGrant } from "./keys";
import { BucketNames, GrantArgs, ObjectStore, ObjectStoreGrant } from "./types";

export interface GcsObjectStoreArgs {
    /** GCP project that owns the buckets. Required. */
    readonly project?: string;
    /** Bucket location, e.g. europe-west4. Required. */
    readonly location?: string;
    /** Prefix of the bucket and service account names (the cluster name). */
    readonly namePrefix: string;
    readonly labels?: Record<string, string>;
}

export function validateGcsArgs(args: GcsObjectStoreArgs): string[] {
    const problems: string[] = [];
    if (!args.project)
        problems.push(
            "objectStore gcs needs the GCP project (hybrid.gcp.project); it is only available on environment hybrid: use objectStore minio or seaweedfs elsewhere",
        );
    if (!args.location) problems.push("objectStore gcs needs a bucket location (hybrid.gcp.region), e.g. europe-west4");
    if (!/^[a-z][a-z0-9-]{1,20}$/.test(args.namePrefix))
        problems.push(
            `namePrefix must be 2-21 lowercase letters, digits or '-' (it prefixes a service account id); got '${args.namePrefix}'`,
        );
    return problems;
}

export class GcsObjectStore extends pulumi.ComponentResource implements ObjectStore {
    readonly kind = "gcs" as const;
    readonly inCluster = false;
    readonly endpoint = "storage.googleapis.com";
    readonly endpointUrl = "https://storage.googleapis.com";
    /** GCS ignores the region of S3 requests; "auto" is what its S3 interop documents. */
    readonly region = "auto";
    readonly useHttps = true;
    readonly buckets: BucketNames;
    readonly serviceAccountEmail: pulumi.Output<string>;
    private readonly hmac: gcp.storage.HmacKey;

    constructor(name: string, args: GcsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:storage:GcsObjectStore", name, {}, opts);
        const problems = validateGcsArgs(args);
        if (problems.length > 0) throw new Error(`GcsObjectStore '${name}':\n  - ${problems.join("\n  - ")}`);
        const labels = { ...(args.labels ?? {}), "aiops-component": "object-store" };
        const account = new gcp.serviceaccount.Account(
            `${name}-sa`,
            { accountId: `${args.namePrefix}-objects`, displayName: "AIOps platform object store access", project: args.project },
            { parent: this },
        );
        const member = pulumi.interpolate`serviceAccount:${account.email}`;
        const bucket = (role: keyof BucketNames) => {
            const b = new gcp.storage.Bucket(
                `${name}-${role}`,
                {
                    project: args.project,
                    location: args.location!,
                    uniformBucketLevelAccess: true,
                    publicAccessPrevention: "enforced",
                    forceDestroy: false,
                    labels,
                },
                { parent: this },
            );
            new gcp.storage.BucketIAMMember(
                `${name}-${role}`,
                { bucket: b.name, role: "roles/storage.objectAdmin", member },
                { parent: this },
            );
            return b.name;
        };
        this.buckets = { pipelines: bucket("pipelines"), models: bucket("models"), mlflow: bucket("mlflow") };
        this.hmac = new gcp.storage.HmacKey(
            `${name}-hmac`,
            { serviceAccountEmail: account.email, project: args.project },
            { parent: this },
        );
        this.serviceAccountEmail = account.email;
        this.registerOutputs({ serviceAccountEmail: this.serviceAccountEmail });
    }

    grantAccess(name: string, args: GrantArgs, opts: pulumi.CustomResourceOptions): ObjectStoreGrant {
        return keySecretGrant(name, args, { accessKey: this.hmac.accessId, secretKey: this.hmac.secret }, opts);
    }
}
