// SeaweedFS as the in-cluster S3 store: one `weed server -s3` pod, the same image and layout KFP 2.17
// bundles, so users who want one store for everything (and no MinIO fork) can pick it. It is a plain
// StatefulSet applied by Pulumi in both delivery modes: a single process needs no chart.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PART_OF_LABEL, platformNamespace } from "../namespace";
import { Profile, Size, resources, size } from "../sizing";
import { IN_CLUSTER_STORE_INGRESS, InClusterObjectStore } from "./in-cluster";
import type { KeyPair } from "./keys";
import { IN_CLUSTER_STORE } from "./types";

/** The tag KFP 2.17.0 pins in third-party/seaweedfs (multi-arch). */
export const SEAWEEDFS_IMAGE = "ghcr.io/chrislusf/seaweedfs:4.34";
export const SEAWEEDFS_SECRET = "object-store-keys";
const S3_PORT = 8333;

export const SEAWEEDFS_SIZES: Record<Profile, { server: Size; storage: string }> = {
    lean: { server: size("50m", "192Mi", "500m", "512Mi"), storage: "20Gi" },
    standard: { server: size("100m", "512Mi", "1", "1Gi"), storage: "50Gi" },
};

/** Creates the buckets and the two identities once the server answers (idempotent on restarts). */
export function seaweedfsInitScript(buckets: readonly string[]): string {
    return [
        "set -e",
        `until wget -q --spider http://127.0.0.1:${S3_PORT}/status; do sleep 2; done`,
        ...buckets.map((b) => `echo "s3.bucket.create --name ${b}" | weed shell || true`),
        // Admin for the root identity, read/write only for the service identity consumers get.
        'echo "s3.configure -user root -access_key $ROOT_ACCESS_KEY -secret_key $ROOT_SECRET_KEY -actions Admin -apply" | weed shell',
        'echo "s3.configure -user aiops-platform -access_key $SERVICE_ACCESS_KEY -secret_key $SERVICE_SECRET_KEY -actions Read,Write,List,Tagging -apply" | weed shell',
        "touch /tmp/initialized",
    ].join("\n");
}

export interface SeaweedfsObjectStoreArgs {
    /** Sizing: requests/limits and volume size from SEAWEEDFS_SIZES. */
    readonly profile: Profile;
    /** StorageClass of the data volume (the cluster contract's). */
    readonly storageClass: string;
    /** Where the server runs. Default: anywhere. */
    readonly nodeSelector?: Record<string, string>;
}

export class SeaweedfsObjectStore extends InClusterObjectStore {
    readonly kind = "seaweedfs" as const;
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    protected readonly serviceKeys: KeyPair;
    protected readonly server: pulumi.Resource;

    constructor(name: string, args: SeaweedfsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:SeaweedfsObjectStore", name, {}, opts);
        const namespace = IN_CLUSTER_STORE.namespace;
        const sizes = SEAWEEDFS_SIZES[args.profile];
        const labels = { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/instance": IN_CLUSTER_STORE.service };
        const ns = platformNamespace(`${name}-ns`, namespace, "restricted", { parent: this }, IN_CLUSTER_STORE_INGRESS);
        const key = (role: string, length: number) =>
            new random.RandomPassword(`${name}-${role}`, { length, special: false }, { parent: this }).result;
        const root = { accessKey: key("root-access-key", 20), secretKey: key("root-secret-key", 40) };
        this.serviceKeys = { accessKey: key("service-access-key", 20), secretKey: key("service-secret-key", 40) };
        const secret = new k8s.core.v1.Secret(
            `${name}-keys`,
            {
                metadata: { name: SEAWEEDFS_SECRET, namespace },
                type: "Opaque",
                stringData: {
                    ROOT_ACCESS_KEY: root.accessKey,
                    ROOT_SECRET_KEY: root.secretKey,
                    SERVICE_ACCESS_KEY: this.serviceKeys.accessKey,
                    SERVICE_SECRET_KEY: this.serviceKeys.secretKey,
                },
            },
            { parent: this, dependsOn: [ns] },
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: IN_CLUSTER_STORE.service, namespace, labels: { ...labels, ...PART_OF_LABEL } },
                spec: { selector: labels, ports: [{ name: "s3", port: IN_CLUSTER_STORE.port, targetPort: S3_PORT }] },
            },
            { parent: this, dependsOn: [ns] },
        );
        const probe = { httpGet: { path: "/status", port: S3_PORT } };
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: IN_CLUSTER_STORE.service, namespace, labels: { ...labels, ...PART_OF_LABEL } },
                spec: {
                    serviceName: IN_CLUSTER_STORE.service,
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: 1000,
                                runAsGroup: 1000,
                                fsGroup: 1000,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            nodeSelector: args.nodeSelector ?? {},
                            containers: [
                                {
                                    name: "seaweedfs",
                                    image: SEAWEEDFS_IMAGE,
                                    args: [
                                        "server",
                                        "-dir=/data",
                                        "-s3",
                                        `-s3.port=${S3_PORT}`,
                                        "-filer",
                                        "-master.volumePreallocate=false",
                                    ],
                                    envFrom: [{ secretRef: { name: SEAWEEDFS_SECRET } }],
                                    ports: [{ name: "s3", containerPort: S3_PORT }],
                                    lifecycle: {
                                        postStart: {
                                            exec: {
                                                command: ["/bin/sh", "-c", seaweedfsInitScript(Object.values(IN_CLUSTER_STORE.buckets))],
                                            },
                                        },
                                    },
                                    startupProbe: {
                                        exec: { command: ["test", "-f", "/tmp/initialized"] },
                                        periodSeconds: 5,
                                        failureThreshold: 36,
                                    },
                                    readinessProbe: { ...probe, periodSeconds: 10 },
                                    livenessProbe: { ...probe, periodSeconds: 30, timeoutSeconds: 10 },
                                    resources: resources(sizes.server),
                                    securityContext: {
                                        allowPrivilegeEscalation: false,
                                        readOnlyRootFilesystem: true,
                                        capabilities: { drop: ["ALL"] },
                                    },
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: {} }],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data" },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: args.storageClass,
                                resources: { requests: { storage: sizes.storage } },
                            },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: [secret, service] },
        );
        this.server = this.statefulSet;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}
