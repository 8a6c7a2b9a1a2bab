// Picks the object store the stack's `objectStore` setting names. Everything downstream sees only
// the `ObjectStore` interface.
import * as pulumi from "@pulumi/pulumi";
import type { Footprint } from "../footprint";
import { Profile, footprint } from "../sizing";
import { MINIO_SIZES } from "./minio";
import { SEAWEEDFS_SIZES } from "./seaweedfs";
import { GcsObjectStore, GcsObjectStoreArgs } from "./gcs";
import { MinioObjectStore, MinioObjectStoreArgs } from "./minio";
import { S3ObjectStore, S3ObjectStoreArgs } from "./s3";
import { SeaweedfsObjectStore, SeaweedfsObjectStoreArgs } from "./seaweedfs";
import type { ObjectStore, ObjectStoreKind } from "./types";

export * from "./types";
export { GcsObjectStore, validateGcsArgs } from "./gcs";
export type { GcsObjectStoreArgs } from "./gcs";
export { MINIO_CHART, MINIO_IMAGE, MINIO_MC_IMAGE, MINIO_SIZES, MinioObjectStore, minioValues } from "./minio";
export type { MinioObjectStoreArgs } from "./minio";
export { InClusterObjectStore } from "./in-cluster";
export { S3ObjectStore, irsaTrustPolicy, issuerFromProviderArn, validateS3Args } from "./s3";
export type { S3ObjectStoreArgs, ServiceAccountRef } from "./s3";
export { SEAWEEDFS_IMAGE, SEAWEEDFS_SIZES, SeaweedfsObjectStore, seaweedfsInitScript } from "./seaweedfs";
export type { SeaweedfsObjectStoreArgs } from "./seaweedfs";
/** What the store runs in the cluster (cloud stores: nothing). Pure; the components report the same. */
export function objectStoreFootprint(kind: ObjectStoreKind, profile: Profile): Footprint[] {
    if (kind === "minio") return [footprint("minio/server", [MINIO_SIZES[profile].server])];
    if (kind === "seaweedfs") return [footprint("seaweedfs/server", [SEAWEEDFS_SIZES[profile].server])];
    return [];
}

export type ObjectStoreArgs =
    | { readonly kind: "minio"; readonly minio: MinioObjectStoreArgs }
    | { readonly kind: "seaweedfs"; readonly seaweedfs: SeaweedfsObjectStoreArgs }
    | { readonly kind: "s3"; readonly s3: S3ObjectStoreArgs }
    | { readonly kind: "gcs"; readonly gcs: GcsObjectStoreArgs };

/** Constructs the chosen store under `name`. Cloud stores take their cloud provider through opts. */
export function createObjectStore(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions): ObjectStore {
    switch (args.kind) {
        case "minio":
            return new MinioObjectStore(name, args.minio, opts);
        case "seaweedfs":
            return new SeaweedfsObjectStore(name, args.seaweedfs, opts);
        case "s3":
            return new S3ObjectStore(name, args.s3, opts);
        case "gcs":
            return new GcsObjectStore(name, args.gcs, opts);
    }
}
