// A small single-instance PostgreSQL for MLflow's backend store. CloudNativePG would add an operator
// (~100 MiB, its CRDs and webhooks) for one database with no HA need on a homelab; a StatefulSet with
// a pinned official image is enough, and backups are a pg_dump away (README, "MLflow and its database").
import * as k8s from "@pulumi/kubernetes";
import type * as k8sTypes from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PART_OF_LABEL } from "./namespace";
import { Profile, Size, resources, size } from "./sizing";

/** Official image, Alpine variant (uid/gid 70 is `postgres` there). Confirmed in docker-library/official-images. */
export const POSTGRES_IMAGE = "docker.io/library/postgres:17.11-alpine3.24";
export const POSTGRES_UID = 70;
export const POSTGRES_PORT = 5432;

export const POSTGRES_SIZES: Record<Profile, { server: Size; storage: string }> = {
    lean: { server: size("50m", "128Mi", "500m", "384Mi"), storage: "5Gi" },
    standard: { server: size("100m", "256Mi", "1", "1Gi"), storage: "20Gi" },
};

export interface PostgresArgs {
    /** Namespace to run in; it must exist (the owning component creates it). */
    readonly namespace: pulumi.Input<string>;
    /** Name of the StatefulSet, Service and Secret. Default `postgres`. */
    readonly serviceName?: string;
    readonly database: string;
    /** Owner of the database. */
    readonly user: string;
    readonly profile: Profile;
    /** StorageClass of the data volume. */
    readonly storageClass: string;
    /** Size of the data volume. Default by profile: lean 5Gi, standard 20Gi. */
    readonly storageSize?: string;
    /** Where it runs (e.g. the homelab's stateful node). Default: anywhere. */
    readonly nodeSelector?: Record<string, string>;
}

/** The pod spec; pure so its security settings and probes are tested directly. */
export function postgresPodSpec(args: {
    secretName: string;
    database: string;
    server: Size;
    nodeSelector: Record<string, string>;
}): k8sTypes.core.v1.PodSpec {
    const ready = {
        exec: { command: ["/bin/sh", "-c", `pg_isready -h 127.0.0.1 -p ${POSTGRES_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] },
    };
    return {
        securityContext: {
            runAsNonRoot: true,
            runAsUser: POSTGRES_UID,
            runAsGroup: POSTGRES_UID,
            fsGroup: POSTGRES_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        },
        nodeSelector: args.nodeSelector,
        containers: [
            {
                name: "postgres",
                image: POSTGRES_IMAGE,
                ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                env: [
                    { name: "POSTGRES_DB", value: args.database },
                    { name: "POSTGRES_USER", valueFrom: { secretKeyRef: { name: args.secretName, key: "username" } } },
                    { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: args.secretName, key: "password" } } },
                    // A subdirectory, so the volume's lost+found does not upset initdb.
                    { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                ],
                startupProbe: { ...ready, periodSeconds: 5, failureThreshold: 30 },
                readinessProbe: { ...ready, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: { ...ready, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 4 },
                resources: resources(args.server),
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                    { name: "data", mountPath: "/var/lib/postgresql/data" },
                    // The only other paths postgres writes: its socket directory and temp files.
                    { name: "run", mountPath: "/var/run/postgresql" },
                    { name: "tmp", mountPath: "/tmp" },
                ],
            },
        ],
        volumes: [
            { name: "run", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
        ],
    };
}

export class Postgres extends pulumi.ComponentResource {
    /** Service DNS name clients connect to. */
    readonly host: pulumi.Output<string>;
    readonly port = POSTGRES_PORT;
    readonly database: string;
    /** Secret with keys `username` and `password`. */
    readonly secretName: string;
    readonly statefulSet: k8s.apps.v1.StatefulSet;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:Postgres", name, {}, opts);
        const serviceName = args.serviceName ?? "postgres";
        const sizes = POSTGRES_SIZES[args.profile];
        const labels = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": serviceName };
        this.secretName = `${serviceName}-credentials`;
        this.database = args.database;

        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { name: this.secretName, namespace: args.namespace, labels },
                type: "Opaque",
                stringData: { username: args.user, password: password.result },
            },
            { parent: this },
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: serviceName, namespace: args.namespace, labels: { ...labels, ...PART_OF_LABEL } },
                spec: { selector: labels, ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres" }] },
            },
            { parent: this },
        );
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: serviceName, namespace: args.namespace, labels: { ...labels, ...PART_OF_LABEL } },
                spec: {
                    serviceName,
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: postgresPodSpec({
                            secretName: this.secretName,
                            database: args.database,
                            server: sizes.server,
                            nodeSelector: args.nodeSelector ?? {},
                        }),
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data" },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: args.storageClass,
                                resources: { requests: { storage: args.storageSize ?? sizes.storage } },
                            },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: [secret, service] },
        );
        this.host = pulumi.interpolate`${serviceName}.${args.namespace}.svc.cluster.local`;
        this.registerOutputs({ host: this.host });
    }
}
