// MinIO as the default in-cluster S3 store, through the legacy minio/minio chart (single node).
// Upstream MinIO is archived and its images were withdrawn from Docker Hub (quay.io tags are frozen
// with an unpatched CVE, GHSA-jjjj-jwhf-8rgr); the images below are the maintained community fork
// pgsty/minio (drop-in, same binary and entrypoint), see the README, "Object store".
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { HelmSource, ServiceRelease } from "../../delivery";
import { PlatformServiceArgs, requireTarget } from "../service";
import { platformNamespace } from "../namespace";
import { Profile, Size, resources, size } from "../sizing";
import { IN_CLUSTER_STORE_INGRESS, InClusterObjectStore } from "./in-cluster";
import type { KeyPair } from "./keys";
import { IN_CLUSTER_STORE } from "./types";

/** Keys used below checked against helm/minio (version 5.4.0) in the fork's repository (pgsty/minio). */
export const MINIO_CHART: HelmSource = { kind: "helm", repo: "https://charts.min.io/", chart: "minio", version: "5.4.0" };
export const MINIO_IMAGE = { repository: "docker.io/pgsty/minio", tag: "RELEASE.2026-08-04T00-00-00Z" } as const;
export const MINIO_MC_IMAGE = { repository: "docker.io/pgsty/mc", tag: "RELEASE.2026-09-16T00-00-00Z" } as const;

/** The service user every consumer gets (readwrite); root credentials never leave the root Secret. */
export const MINIO_SERVICE_USER = "aiops-platform";
export const MINIO_ROOT_SECRET = "object-store-root";
export const MINIO_SERVICE_SECRET = "object-store-service-user";

export const MINIO_SIZES: Record<Profile, { server: Size; storage: string }> = {
    lean: { server: size("50m", "256Mi", "500m", "512Mi"), storage: "20Gi" },
    standard: { server: size("100m", "512Mi", "1", "1Gi"), storage: "50Gi" },
};

export interface MinioValuesArgs {
    readonly profile: Profile;
    readonly storageClass: string;
    readonly nodeSelector: Record<string, string>;
}

/** The chart values. Credentials are referenced by Secret name only. Pure, tested directly. */
export function minioValues(args: MinioValuesArgs): Record<string, unknown> {
    const sizes = MINIO_SIZES[args.profile];
    const jobResources = { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } };
    return {
        fullnameOverride: IN_CLUSTER_STORE.service,
        mode: "standalone",
        replicas: 1,
        image: { ...MINIO_IMAGE, pullPolicy: "IfNotPresent" },
        mcImage: { ...MINIO_MC_IMAGE, pullPolicy: "IfNotPresent" },
        existingSecret: MINIO_ROOT_SECRET,
        rootUser: "",
        rootPassword: "",
        persistence: { enabled: true, storageClass: args.storageClass, accessMode: "ReadWriteOnce", size: sizes.storage },
        resources: resources(sizes.server),
        service: { type: "ClusterIP", port: String(IN_CLUSTER_STORE.port) },
        consoleService: { type: "ClusterIP" },
        securityContext: { enabled: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch" },
        containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        // With a read-only root, the only paths MinIO writes besides its data: the certs dir (-S) and /tmp.
        extraVolumes: [
            { name: "certs", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
        ],
        extraVolumeMounts: [
            { name: "certs", mountPath: "/etc/minio/certs" },
            { name: "tmp", mountPath: "/tmp" },
        ],
        buckets: Object.values(IN_CLUSTER_STORE.buckets).map((name) => ({ name, policy: "none", purge: false, versioning: false })),
        users: [
            { accessKey: MINIO_SERVICE_USER, existingSecret: MINIO_SERVICE_SECRET, existingSecretKey: "secretKey", policy: "readwrite" },
        ],
        policies: [],
        makeBucketJob: { resources: jobResources },
        makeUserJob: { resources: jobResources },
        makePolicyJob: { resources: jobResources },
        // Metrics without a bearer token, so the ServiceMonitor needs no credentials.
        metrics: { serviceMonitor: { enabled: true, public: true, includeNode: false } },
        nodeSelector: args.nodeSelector,
    };
}

/** Delivery, profile and Argo CD target come from PlatformServiceArgs. */
export interface MinioObjectStoreArgs extends PlatformServiceArgs {
    /** StorageClass of the data volume (the cluster contract's). */
    readonly storageClass: string;
    /** Where the server runs (e.g. the homelab's stateful node). Default: anywhere. */
    readonly nodeSelector?: Record<string, string>;
}

export class MinioObjectStore extends InClusterObjectStore {
    readonly kind = "minio" as const;
    readonly release: ServiceRelease;
    readonly releases: readonly ServiceRelease[];
    protected readonly serviceKeys: KeyPair;
    protected readonly server: pulumi.Resource;

    constructor(name: string, args: MinioObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:MinioObjectStore", name, {}, opts);
        requireTarget("MinioObjectStore", args);
        const ns = platformNamespace(`${name}-ns`, IN_CLUSTER_STORE.namespace, "baseline", { parent: this }, IN_CLUSTER_STORE_INGRESS);
        const rootPassword = new random.RandomPassword(`${name}-root-password`, { length: 32, special: false }, { parent: this });
        const servicePassword = new random.RandomPassword(`${name}-service-password`, { length: 32, special: false }, { parent: this });
        const rootSecret = new k8s.core.v1.Secret(
            `${name}-root`,
            {
                metadata: { name: MINIO_ROOT_SECRET, namespace: IN_CLUSTER_STORE.namespace },
                type: "Opaque",
                stringData: { rootUser: "aiops-root", rootPassword: rootPassword.result },
            },
            { parent: this, dependsOn: [ns] },
        );
        const serviceSecret = new k8s.core.v1.Secret(
            `${name}-service-user`,
            {
                metadata: { name: MINIO_SERVICE_SECRET, namespace: IN_CLUSTER_STORE.namespace },
                type: "Opaque",
                stringData: { secretKey: servicePassword.result },
            },
            { parent: this, dependsOn: [ns] },
        );
        this.serviceKeys = { accessKey: MINIO_SERVICE_USER, secretKey: servicePassword.result };
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                argocd: args.argocd,
                source: MINIO_CHART,
                namespace: IN_CLUSTER_STORE.namespace,
                releaseName: IN_CLUSTER_STORE.service,
                values: minioValues({ profile: args.profile, storageClass: args.storageClass, nodeSelector: args.nodeSelector ?? {} }),
            },
            { parent: this, dependsOn: [ns, rootSecret, serviceSecret] },
        );
        this.server = this.release;
        this.releases = [this.release];
        this.registerOutputs({ endpoint: this.endpoint });
    }
}
