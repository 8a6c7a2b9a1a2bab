// MLflow: values (PostgreSQL backend, proxied artifacts in the object store, allowed hosts, metrics),
// no secret in values, and both delivery modes on the homelab stack.
import { expect } from "chai";
import { MLFLOW_CHART, MLFLOW_IMAGE, mlflowAllowedHosts, mlflowFootprint, mlflowValues } from "../../components/platform/mlflow";
import { IN_CLUSTER_HOST } from "../../components/platform/object-store";
import { containsSecret } from "../harness";
import { APPLICATION, RELEASE, one, platformRun } from "./runs";

const base = {
    profile: "lean" as const,
    namespace: "mlflow",
    postgres: {
        host: "mlflow-postgres.mlflow.svc.cluster.local",
        port: 5432,
        database: "mlflow",
        secretName: "mlflow-postgres-credentials",
    },
    store: { kind: "minio" as const, endpointUrl: `http://${IN_CLUSTER_HOST}:9000`, region: "us-east-1" },
    bucket: "mlflow",
    s3SecretName: "mlflow-s3",
    serviceAccountAnnotations: {},
    serviceMonitorLabels: {},
    nodeSelector: {},
};

describe("MLflow values", () => {
    it("pins the chart and the image, one small uvicorn worker in lean", () => {
        expect(MLFLOW_CHART).to.deep.equal({
            kind: "helm",
            repo: "https://community-charts.github.io/helm-charts",
            chart: "mlflow",
            version: "1.11.5",
        });
        const v = mlflowValues(base) as Record<string, any>;
        expect(v.image).to.include({ repository: "docker.io/burakince/mlflow", tag: MLFLOW_IMAGE.tag });
        expect(v.extraArgs).to.deep.equal({ workers: "1" });
        expect(v.resources).to.deep.equal({ requests: { cpu: "50m", memory: "384Mi" }, limits: { cpu: "500m", memory: "1Gi" } });
    });

    it("keeps tracking data in PostgreSQL (never the chart's in-memory SQLite), credentials from the Secret", () => {
        const v = mlflowValues(base) as Record<string, any>;
        expect(v.backendStore.postgres).to.include({
            enabled: true,
            host: base.postgres.host,
            port: 5432,
            database: "mlflow",
            user: "",
            password: "",
        });
        expect(v.backendStore.existingDatabaseSecret).to.deep.equal({
            name: "mlflow-postgres-credentials",
            usernameKey: "username",
            passwordKey: "password",
        });
        expect(v.backendStore).to.include({ databaseMigration: true, databaseConnectionCheck: true });
        expect(v.postgresql.enabled).to.equal(false);
        expect(v.minio.enabled).to.equal(false);
    });

    it("proxies artifacts to the object store bucket, with the in-cluster endpoint and keys by Secret name", () => {
        const v = mlflowValues(base) as Record<string, any>;
        expect(v.artifactRoot.proxiedArtifactStorage).to.equal(true);
        expect(v.artifactRoot.s3).to.deep.include({ enabled: true, bucket: "mlflow", awsAccessKeyId: "", awsSecretAccessKey: "" });
        expect(v.artifactRoot.s3.existingSecret).to.deep.equal({
            name: "mlflow-s3",
            keyOfAccessKeyId: "AWS_ACCESS_KEY_ID",
            keyOfSecretAccessKey: "AWS_SECRET_ACCESS_KEY",
        });
        expect(v.extraEnvVars).to.deep.equal({
            MLFLOW_S3_ENDPOINT_URL: "http://object-store.object-store.svc.cluster.local:9000",
            AWS_DEFAULT_REGION: "us-east-1",
        });
    });

    it("on S3 with IRSA: no endpoint override, no key Secret, the role on the ServiceAccount", () => {
        const v = mlflowValues({
            ...base,
            store: { kind: "s3", endpointUrl: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1" },
            s3SecretName: undefined,
            serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r" },
        }) as Record<string, any>;
        expect(v.extraEnvVars).to.deep.equal({ AWS_DEFAULT_REGION: "eu-west-1" });
        expect(v.artifactRoot.s3.existingSecret.name).to.equal("");
        expect(v.serviceAccount.annotations).to.deep.equal({ "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r" });
    });

    it("accepts in-cluster Host headers: the Service names with and without port, plus the ingress host", () => {
        expect(mlflowAllowedHosts("mlflow")).to.deep.equal([
            "mlflow",
            "mlflow:80",
            "mlflow.mlflow",
            "mlflow.mlflow:80",
            "mlflow.mlflow.svc",
            "mlflow.mlflow.svc:80",
            "mlflow.mlflow.svc.cluster.local",
            "mlflow.mlflow.svc.cluster.local:80",
        ]);
        const v = mlflowValues({ ...base, ingress: { className: "traefik", host: "mlflow.lab.example" } }) as Record<string, any>;
        expect(v.serverAllowedHosts).to.include("mlflow.lab.example").and.to.include("mlflow.mlflow.svc.cluster.local:80");
        expect(v.ingress).to.deep.include({ enabled: true, className: "traefik" });
    });

    it("turns the chart's ServiceMonitor on, next to the Service", () => {
        const v = mlflowValues({ ...base, serviceMonitorLabels: { release: "kps" } }) as Record<string, any>;
        expect(v.serviceMonitor).to.include({ enabled: true, namespace: "mlflow", telemetryPath: "/metrics" });
        expect(v.serviceMonitor.labels).to.deep.equal({ release: "kps" });
    });

    it("counts the server and its database", () => {
        expect(mlflowFootprint("lean").map((f) => f.workload)).to.deep.equal(["mlflow/server", "postgres/mlflow-postgres"]);
    });
});

describe("MLflow on the homelab stack", () => {
    it("delivery helm: a Helm release of the pinned chart whose values hold no secret", async () => {
        const { run } = await platformRun("homelab", "helm");
        const release = one(run, RELEASE, "homelab-mlflow");
        expect(release.inputs).to.include({ chart: "mlflow", version: "1.11.5", namespace: "mlflow", name: "mlflow" });
        expect(release.inputs.repositoryOpts).to.deep.equal({ repo: "https://community-charts.github.io/helm-charts" });
        expect(containsSecret(release.inputs.values)).to.equal(false);
        const values = release.inputs.values as Record<string, any>;
        expect(values.backendStore.postgres.host).to.equal("mlflow-postgres.mlflow.svc.cluster.local");
        expect(values.artifactRoot.s3.bucket).to.equal("mlflow");
        // The S3 keys MLflow reads are the object store's service user, copied into MLflow's namespace.
        const s3 = one(run, "kubernetes:core/v1:Secret", "homelab-mlflow-s3");
        expect(s3.inputs.metadata as Record<string, unknown>).to.include({ name: "mlflow-s3", namespace: "mlflow" });
        expect(containsSecret(s3.inputs.stringData)).to.equal(true);
    });

    it("delivery argocd: an Application of the same chart and values", async () => {
        const { run } = await platformRun("homelab", "argocd");
        const app = one(run, APPLICATION, "homelab-mlflow");
        const spec = app.inputs.spec as Record<string, any>;
        expect(spec.source).to.deep.include({
            repoURL: "https://community-charts.github.io/helm-charts",
            chart: "mlflow",
            targetRevision: "1.11.5",
        });
        expect(spec.source.helm.valuesObject.serverAllowedHosts).to.include("mlflow.mlflow.svc.cluster.local");
        expect(containsSecret(spec)).to.equal(false);
        expect(spec.destination).to.deep.equal({ name: "in-cluster", namespace: "mlflow" });
        expect(run.registrations.some((r) => r.type === RELEASE && r.name === "homelab-mlflow")).to.equal(false);
    });
});
