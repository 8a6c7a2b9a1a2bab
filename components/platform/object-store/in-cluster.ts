// What MinIO and SeaweedFS share: the fixed in-cluster endpoint and buckets, and grants that copy the
// service identity's keys into the consumer's namespace once the server exists.
import * as pulumi from "@pulumi/pulumi";
import { NamespaceIngress, PLATFORM_NAMESPACES } from "../namespace";
import { KeyPair, keySecretGrant } from "./keys";
import { GrantArgs, IN_CLUSTER_CONNECTION, ObjectStore, ObjectStoreGrant, inClusterBuckets } from "./types";

/** Who reaches the store: pipeline steps, predictors (KServe's storage-initializer) and MLflow. */
export const IN_CLUSTER_STORE_INGRESS: NamespaceIngress = {
    fromNamespaces: [PLATFORM_NAMESPACES.kubeflow, PLATFORM_NAMESPACES.serving, PLATFORM_NAMESPACES.mlflow, PLATFORM_NAMESPACES.training],
};

export abstract class InClusterObjectStore extends pulumi.ComponentResource implements ObjectStore {
    abstract readonly kind: "minio" | "seaweedfs";
    readonly inCluster = IN_CLUSTER_CONNECTION.inCluster;
    readonly endpoint = IN_CLUSTER_CONNECTION.endpoint;
    readonly endpointUrl = IN_CLUSTER_CONNECTION.endpointUrl;
    readonly region = IN_CLUSTER_CONNECTION.region;
    readonly useHttps = IN_CLUSTER_CONNECTION.useHttps;
    readonly buckets = inClusterBuckets();
    /** The read/write identity every consumer gets; root credentials never leave the store's namespace. */
    protected abstract readonly serviceKeys: KeyPair;
    /** What a grant waits for: the server that creates the service identity. */
    protected abstract readonly server: pulumi.Resource;

    grantAccess(name: string, args: GrantArgs, opts: pulumi.CustomResourceOptions): ObjectStoreGrant {
        return keySecretGrant(name, args, this.serviceKeys, pulumi.mergeOptions(opts, { dependsOn: [this.server] }));
    }
}
