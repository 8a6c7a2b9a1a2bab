// MLflow tracking server and model registry (community-charts/mlflow) with its backend store in a
// PostgreSQL of our own and its artifacts in the platform's object store, proxied by the server so
// clients need no bucket credentials.
import * as pulumi from "@pulumi/pulumi";
import { HelmSource, ServiceRelease } from "../delivery";
import { PlatformServiceArgs, requireTarget } from "./service";
import type { Footprint } from "./footprint";
import { PLATFORM_NAMESPACES, platformNamespace } from "./namespace";
import type { ObjectStore } from "./object-store/types";
import { POSTGRES_SIZES, Postgres } from "./postgres";
import { Profile, Size, footprint, resources, size } from "./sizing";
import { handDown } from "../delivery";

/** Confirmed in community-charts/helm-charts (charts/mlflow/Chart.yaml: version 1.11.5, appVersion 3.15.1). */
export const MLFLOW_CHART: HelmSource = {
    kind: "helm",
    repo: "https://community-charts.github.io/helm-charts",
    chart: "mlflow",
    version: "1.11.5",
};
/** The chart's appVersion, pinned explicitly so a chart bump never changes the server silently (amd64 + arm64). */
export const MLFLOW_IMAGE = { repository: "docker.io/burakince/mlflow", tag: "3.15.1" } as const;
export const MLFLOW_NAMESPACE = "mlflow";
export const MLFLOW_SERVICE = "mlflow";
/** The chart's Service port (the container listens on 5000). */
export const MLFLOW_SERVICE_PORT = 80;
export const MLFLOW_SERVICE_ACCOUNT = "mlflow";
export const MLFLOW_S3_SECRET = "mlflow-s3";

export const MLFLOW_SIZES: Record<Profile, { server: Size; workers: number }> = {
    // Each uvicorn worker holds its own copy of the app; one is plenty for a homelab.
    lean: { server: size("50m", "384Mi", "500m", "1Gi"), workers: 1 },
    standard: { server: size("200m", "768Mi", "2", "2Gi"), workers: 2 },
};

/** MLflow's server and its database, as the capacity check counts them. Pure. */
export function mlflowFootprint(profile: Profile): Footprint[] {
    return [
        footprint("mlflow/server", [MLFLOW_SIZES[profile].server]),
        footprint("postgres/mlflow-postgres", [POSTGRES_SIZES[profile].server]),
    ];
}

/**
 * Host headers MLflow >= 3.5 accepts (its default allows only localhost and private IPs): the Service's
 * DNS names with and without the port, plus the ingress host. Pure, tested directly.
 */
export function mlflowAllowedHosts(namespace: string, ingressHost?: string): string[] {
    const names = [
        MLFLOW_SERVICE,
        `${MLFLOW_SERVICE}.${namespace}`,
        `${MLFLOW_SERVICE}.${namespace}.svc`,
        `${MLFLOW_SERVICE}.${namespace}.svc.cluster.local`,
    ];
    // Behind a port-mapped ingress (the local stack's http://mlflow.localhost:8080) the Host header carries the
    // port: MLflow matches patterns with fnmatch (mlflow/server/security_utils.py, 3.5+), so "host:*" admits it.
    return [...names.flatMap((n) => [n, `${n}:${MLFLOW_SERVICE_PORT}`]), ...(ingressHost ? [ingressHost, `${ingressHost}:*`] : [])];
}

export interface MlflowValuesArgs {
    readonly profile: Profile;
    readonly namespace: string;
    readonly postgres: {
        readonly host: pulumi.Input<string>;
        readonly port: number;
        readonly database: string;
        readonly secretName: string;
    };
    readonly store: Pick<ObjectStore, "kind" | "endpointUrl" | "region">;
    readonly bucket: pulumi.Input<string>;
    /** Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or undefined with workload identity. */
    readonly s3SecretName: string | undefined;
    readonly serviceAccountAnnotations: pulumi.Input<Record<string, string>>;
    readonly ingress?: { readonly className: string; readonly host: string };
    readonly serviceMonitorLabels: Record<string, string>;
    readonly nodeSelector: Record<string, string>;
}

/** The chart values: no credential appears here, only Secret names. Pure, tested directly. */
export function mlflowValues(args: MlflowValuesArgs): Record<string, unknown> {
    const sizes = MLFLOW_SIZES[args.profile];
    // Stores other than AWS S3 speak S3 at their own endpoint (MinIO, SeaweedFS, GCS interop).
    const endpointEnv = args.store.kind === "s3" ? {} : { MLFLOW_S3_ENDPOINT_URL: args.store.endpointUrl };
    return {
        fullnameOverride: MLFLOW_SERVICE,
        replicaCount: 1,
        image: { ...MLFLOW_IMAGE, pullPolicy: "IfNotPresent" },
        serviceAccount: { create: true, name: MLFLOW_SERVICE_ACCOUNT, automount: false, annotations: args.serviceAccountAnnotations },
        backendStore: {
            databaseMigration: true,
            databaseConnectionCheck: true,
            postgres: {
                enabled: true,
                host: args.postgres.host,
                port: args.postgres.port,
                database: args.postgres.database,
                user: "",
                password: "",
                driver: "",
            },
            existingDatabaseSecret: { name: args.postgres.secretName, usernameKey: "username", passwordKey: "password" },
        },
        postgresql: { enabled: false },
        mysql: { enabled: false },
        minio: { enabled: false },
        artifactRoot: {
            proxiedArtifactStorage: true,
            s3: {
                enabled: true,
                bucket: args.bucket,
                path: "",
                awsAccessKeyId: "",
                awsSecretAccessKey: "",
                existingSecret: args.s3SecretName
                    ? { name: args.s3SecretName, keyOfAccessKeyId: "AWS_ACCESS_KEY_ID", keyOfSecretAccessKey: "AWS_SECRET_ACCESS_KEY" }
                    : { name: "", keyOfAccessKeyId: "AWS_ACCESS_KEY_ID", keyOfSecretAccessKey: "AWS_SECRET_ACCESS_KEY" },
            },
        },
        extraEnvVars: { ...endpointEnv, AWS_DEFAULT_REGION: args.store.region },
        extraArgs: { workers: String(sizes.workers) },
        serverAllowedHosts: mlflowAllowedHosts(args.namespace, args.ingress?.host),
        ingress: args.ingress
            ? {
                  enabled: true,
                  className: args.ingress.className,
                  hosts: [{ host: args.ingress.host, paths: [{ path: "/", pathType: "Prefix" }] }],
              }
            : { enabled: false },
        resources: resources(sizes.server),
        serviceMonitor: {
            enabled: true,
            namespace: args.namespace,
            interval: "30s",
            telemetryPath: "/metrics",
            labels: args.serviceMonitorLabels,
        },
        nodeSelector: args.nodeSelector,
    };
}

/** Delivery, profile and Argo CD target come from PlatformServiceArgs. */
export interface MlflowArgs extends PlatformServiceArgs {
    /** StorageClass for the database volume. */
    readonly storageClass: string;
    readonly objectStore: ObjectStore;
    /** Ingress class and host; undefined creates no ingress. */
    readonly ingress?: { readonly className: string; readonly host: string };
    /** Labels the Prometheus ServiceMonitor selector wants. Default none (selector matches all). */
    readonly serviceMonitorLabels?: Record<string, string>;
    /** Where MLflow and its database run. Default: anywhere. */
    readonly nodeSelector?: Record<string, string>;
}

export class Mlflow extends pulumi.ComponentResource {
    /** In-cluster tracking URI. */
    readonly trackingUri = `http://${MLFLOW_SERVICE}.${MLFLOW_NAMESPACE}.svc.cluster.local:${MLFLOW_SERVICE_PORT}`;
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];
    readonly database: Postgres;

    constructor(name: string, args: MlflowArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:Mlflow", name, {}, opts);
        requireTarget("Mlflow", args);
        const ns = platformNamespace(
            `${name}-ns`,
            MLFLOW_NAMESPACE,
            "restricted",
            { parent: this },
            {
                // Pipeline steps (the trainer) log runs and register models.
                // Pipeline steps and the trainer record runs; the UI comes through Traefik (kube-system) where it has an Ingress.
                fromNamespaces: [PLATFORM_NAMESPACES.kubeflow, PLATFORM_NAMESPACES.training, PLATFORM_NAMESPACES.kubeSystem],
            },
        );
        this.database = new Postgres(
            `${name}-db`,
            {
                namespace: MLFLOW_NAMESPACE,
                serviceName: "mlflow-postgres",
                database: "mlflow",
                user: "mlflow",
                profile: args.profile,
                storageClass: args.storageClass,
                nodeSelector: args.nodeSelector,
            },
            { parent: this, dependsOn: [ns] },
        );
        const grant = args.objectStore.grantAccess(
            `${name}-s3`,
            { namespace: MLFLOW_NAMESPACE, secretName: MLFLOW_S3_SECRET, serviceAccount: MLFLOW_SERVICE_ACCOUNT },
            { parent: this, dependsOn: [ns] },
        );
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                argocd: args.argocd,
                source: MLFLOW_CHART,
                namespace: MLFLOW_NAMESPACE,
                releaseName: MLFLOW_SERVICE,
                values: pulumi
                    .all([this.database.host, args.objectStore.buckets.mlflow, grant.serviceAccountAnnotations])
                    .apply(([host, bucket, annotations]) =>
                        mlflowValues({
                            profile: args.profile,
                            namespace: MLFLOW_NAMESPACE,
                            postgres: {
                                host,
                                port: this.database.port,
                                database: this.database.database,
                                secretName: this.database.secretName,
                            },
                            store: args.objectStore,
                            bucket,
                            s3SecretName: grant.secretName,
                            serviceAccountAnnotations: annotations,
                            ingress: args.ingress,
                            serviceMonitorLabels: args.serviceMonitorLabels ?? {},
                            nodeSelector: args.nodeSelector ?? {},
                        }),
                    ),
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [ns, this.database, ...(grant.secret ? [grant.secret] : [])]) },
        );
        this.releases = [this.release];
        this.registerOutputs({ trackingUri: this.trackingUri });
    }
}
