// The one shape every object store takes, so pipelines, MLflow and the detector never care whether the
// bytes live in MinIO, SeaweedFS, S3 or GCS. Pick one with the stack's `objectStore` setting.
// Type tokens: in-cluster stores are platform services (`aiops:platform:*`); the cloud ones are cloud
// infrastructure next to the network and cluster (`aiops:storage:*`), declared with no cluster at all.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceRelease } from "../../delivery";

export const OBJECT_STORE_KINDS = ["minio", "seaweedfs", "s3", "gcs"] as const;
export type ObjectStoreKind = (typeof OBJECT_STORE_KINDS)[number];

/** Buckets the platform uses: KFP's pipeline root, trained models (KServe reads them), MLflow's artifacts. */
export interface BucketNames {
    readonly pipelines: pulumi.Output<string>;
    readonly models: pulumi.Output<string>;
    readonly mlflow: pulumi.Output<string>;
}

export interface GrantArgs {
    /** Namespace the consumer runs in. */
    readonly namespace: pulumi.Input<string>;
    /** Name of the Secret created there (key-based stores). Default `object-store-credentials`. */
    readonly secretName?: string;
    /** Key of the access key id in that Secret. Default `AWS_ACCESS_KEY_ID`. */
    readonly accessKeyKey?: string;
    /** Key of the secret access key in that Secret. Default `AWS_SECRET_ACCESS_KEY`. */
    readonly secretKeyKey?: string;
    /** Extra annotations on the Secret (KServe reads its s3-* annotations from there). Default none. */
    readonly annotations?: Record<string, string>;
    /** Service account the consumer runs as; workload-identity stores must have been told about it. */
    readonly serviceAccount?: string;
}

/** What a consumer gets: a Secret holding keys, or annotations for its ServiceAccount, or both. */
export interface ObjectStoreGrant {
    /** Name of the Secret with the keys, or undefined when the store uses workload identity (IRSA). */
    readonly secretName: string | undefined;
    readonly secret: k8s.core.v1.Secret | undefined;
    /** Annotations the consumer's ServiceAccount needs (e.g. `eks.amazonaws.com/role-arn`); may be empty. */
    readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
}

export interface ObjectStore {
    readonly kind: ObjectStoreKind;
    /** True when the store runs in the platform cluster (KFP can then replace its bundled SeaweedFS). */
    readonly inCluster: boolean;
    /** host[:port], no scheme (KServe's `s3-endpoint` annotation takes this form). */
    readonly endpoint: string;
    /** The endpoint with its scheme, for S3 SDKs (`MLFLOW_S3_ENDPOINT_URL`). */
    readonly endpointUrl: string;
    readonly region: string;
    readonly useHttps: boolean;
    readonly buckets: BucketNames;
    /** Releases the store declares (the AppProject allows the Argo CD ones); none for cloud stores. */
    readonly releases?: readonly ServiceRelease[];
    /**
     * Gives one namespace access to the buckets. Resources it creates take `opts` (pass the consumer as
     * parent and the consumer's cluster provider), so a detector on another cluster gets its own copy.
     */
    grantAccess(name: string, args: GrantArgs, opts: pulumi.CustomResourceOptions): ObjectStoreGrant;
}

/** Where every in-cluster store answers, so the static KFP overlay can point at it (see kubeflow-pipelines/). */
export const IN_CLUSTER_STORE = {
    namespace: "object-store",
    service: "object-store",
    /** S3 port: MinIO's own; SeaweedFS maps it to 8333 as KFP's bundled copy does. */
    port: 9000,
    region: "us-east-1",
    /** `mlpipeline` is KFP's default bucket name, baked into its manifests. */
    buckets: { pipelines: "mlpipeline", models: "models", mlflow: "mlflow" },
} as const;

export const IN_CLUSTER_HOST = `${IN_CLUSTER_STORE.service}.${IN_CLUSTER_STORE.namespace}.svc.cluster.local`;

export const DEFAULT_GRANT_SECRET = "object-store-credentials";

/** The connection fields every in-cluster store (MinIO, SeaweedFS) shares: plain HTTP on IN_CLUSTER_HOST. */
export const IN_CLUSTER_CONNECTION = {
    inCluster: true,
    endpoint: `${IN_CLUSTER_HOST}:${IN_CLUSTER_STORE.port}`,
    endpointUrl: `http://${IN_CLUSTER_HOST}:${IN_CLUSTER_STORE.port}`,
    region: IN_CLUSTER_STORE.region,
    useHttps: false,
} as const;

/** The fixed bucket names of the in-cluster stores, as the ObjectStore interface wants them. */
export function inClusterBuckets(): BucketNames {
    const b = IN_CLUSTER_STORE.buckets;
    return { pipelines: pulumi.output(b.pipelines), models: pulumi.output(b.models), mlflow: pulumi.output(b.mlflow) };
}
