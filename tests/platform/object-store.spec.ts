// The object store: each implementation's values and resources, the interface's grants, the
// per-environment rule, and the switch by config on real stacks.
import { expect } from "chai";
import {
    GcsObjectStore,
    IN_CLUSTER_HOST,
    MINIO_IMAGE,
    MINIO_MC_IMAGE,
    MinioObjectStore,
    ObjectStore,
    S3ObjectStore,
    SeaweedfsObjectStore,
    irsaTrustPolicy,
    issuerFromProviderArn,
    minioValues,
    objectStoreFootprint,
    seaweedfsInitScript,
    validateGcsArgs,
    validateS3Args,
} from "../../components/platform/object-store";
import { containsSecret, runStack } from "../harness";
import { ofType, only, plain, runComponents } from "../workloads/support/components";
import { ConfigError } from "../../stacks/config";
import { objectStoreProblem } from "../../stacks/config/object-store";

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123";

describe("object store: MinIO", () => {
    it("pins the maintained fork's images and runs one small standalone server", () => {
        const v = minioValues({ profile: "lean", storageClass: "local-path", nodeSelector: { "aiops.dev/stateful": "true" } }) as Record<
            string,
            any
        >;
        expect(v.image).to.include({ repository: "docker.io/pgsty/minio", tag: MINIO_IMAGE.tag });
        expect(v.mcImage).to.include({ repository: "docker.io/pgsty/mc", tag: MINIO_MC_IMAGE.tag });
        expect(MINIO_IMAGE.tag).to.match(/^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);
        expect(v).to.include({ mode: "standalone", replicas: 1, fullnameOverride: "object-store" });
        expect(v.persistence).to.deep.equal({ enabled: true, storageClass: "local-path", accessMode: "ReadWriteOnce", size: "20Gi" });
        expect(v.resources).to.deep.equal({ requests: { cpu: "50m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        expect(v.nodeSelector).to.deep.equal({ "aiops.dev/stateful": "true" });
        expect(v.buckets.map((b: { name: string }) => b.name)).to.deep.equal(["mlpipeline", "models", "mlflow"]);
        expect(v.service.port).to.equal("9000");
        expect(v.containerSecurityContext).to.include({ readOnlyRootFilesystem: true });
        expect(v.extraVolumeMounts.map((m: { mountPath: string }) => m.mountPath)).to.deep.equal(["/etc/minio/certs", "/tmp"]);
    });

    it("references credentials only by Secret name: root and the service user", () => {
        const v = minioValues({ profile: "standard", storageClass: "gp3", nodeSelector: {} }) as Record<string, any>;
        expect(v).to.include({ existingSecret: "object-store-root", rootUser: "", rootPassword: "" });
        expect(v.users).to.deep.equal([
            {
                accessKey: "aiops-platform",
                existingSecret: "object-store-service-user",
                existingSecretKey: "secretKey",
                policy: "readwrite",
            },
        ]);
        expect(JSON.stringify(v)).to.not.match(/password"\s*:\s*"[^"]/i);
        expect(v.persistence.size).to.equal("50Gi");
    });

    it("generates root and service credentials into Secrets, and grants consumers the service user only", async () => {
        const regs = await runComponents(() => {
            const store = new MinioObjectStore("store", { delivery: "helm", profile: "lean", storageClass: "local-path" });
            store.grantAccess("mlflow-keys", { namespace: "mlflow", secretName: "mlflow-s3" }, { parent: store });
        });
        expect(ofType(regs, "random:index/randomPassword:RandomPassword").map((r) => r.name)).to.have.members([
            "store-root-password",
            "store-service-password",
        ]);
        const root = only(regs, "kubernetes:core/v1:Secret", "store-root");
        expect(containsSecret(root.inputs.stringData)).to.equal(true);
        expect(plain(root).metadata).to.include({ name: "object-store-root", namespace: "object-store" });
        const release = only(regs, "kubernetes:helm.sh/v3:Release", "store");
        expect(release.inputs).to.include({ chart: "minio", version: "5.4.0", namespace: "object-store" });
        expect(containsSecret(release.inputs.values)).to.equal(false);
        const grant = plain(only(regs, "kubernetes:core/v1:Secret", "mlflow-keys"));
        expect(grant.metadata).to.include({ name: "mlflow-s3", namespace: "mlflow" });
        expect(grant.stringData.AWS_ACCESS_KEY_ID).to.equal("aiops-platform");
        expect(grant.stringData.AWS_SECRET_ACCESS_KEY).to.equal("mock-password-store-service-password");
        expect(only(regs, "kubernetes:core/v1:Secret", "mlflow-keys").dependsOn).to.include("kubernetes:helm.sh/v3:Release::store");
    });
});

describe("object store: SeaweedFS", () => {
    it("runs one hardened weed server with a volume on the contract's storage class, S3 on port 9000", async () => {
        const regs = await runComponents(() => {
            new SeaweedfsObjectStore("store", { profile: "lean", storageClass: "longhorn" });
        });
        const sts = plain(only(regs, "kubernetes:apps/v1:StatefulSet"));
        const pod = sts.spec.template.spec;
        expect(pod.containers[0].image).to.equal("ghcr.io/chrislusf/seaweedfs:4.34");
        expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 1000 });
        expect(pod.containers[0].securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(pod.containers[0].resources.requests).to.deep.equal({ cpu: "50m", memory: "192Mi" });
        expect(sts.spec.volumeClaimTemplates[0].spec).to.include({ storageClassName: "longhorn" });
        const svc = plain(only(regs, "kubernetes:core/v1:Service"));
        expect(svc.metadata).to.include({ name: "object-store", namespace: "object-store" });
        expect(svc.spec.ports).to.deep.equal([{ name: "s3", port: 9000, targetPort: 8333 }]);
        expect(containsSecret(only(regs, "kubernetes:core/v1:Secret").inputs.stringData)).to.equal(true);
    });

    it("creates every bucket and gives the service identity no admin rights", () => {
        const script = seaweedfsInitScript(["mlpipeline", "models"]);
        expect(script).to.contain("s3.bucket.create --name mlpipeline").and.to.contain("s3.bucket.create --name models");
        expect(script).to.match(/-user aiops-platform .* -actions Read,Write,List,Tagging -apply/);
        expect(script).to.not.match(/aiops-platform[^\n]*Admin/);
    });
});

describe("object store: S3 (aws, IRSA)", () => {
    const args = {
        namePrefix: "aiops",
        region: "eu-west-1",
        oidcProviderArn: OIDC_ARN,
        serviceAccounts: [{ namespace: "mlflow", name: "mlflow" }],
    };

    it("needs the cluster's OIDC provider, and says where it exists", () => {
        expect(validateS3Args({ ...args, oidcProviderArn: undefined })).to.deep.equal([
            "objectStore s3 needs the EKS cluster's OIDC provider ARN (oidcProviderArn) for IRSA; it is only available on environment aws: use objectStore minio or seaweedfs elsewhere",
        ]);
        expect(validateS3Args({ ...args, serviceAccounts: [] })).to.have.length(1);
        expect(validateS3Args(args)).to.deep.equal([]);
    });

    it("trusts exactly the listed service accounts of this cluster's issuer", () => {
        expect(issuerFromProviderArn(OIDC_ARN)).to.equal("oidc.eks.eu-west-1.amazonaws.com/id/ABC123");
        expect(() => issuerFromProviderArn("arn:aws:iam::1:role/x")).to.throw("is not an IAM OIDC provider ARN");
        const policy = JSON.parse(
            irsaTrustPolicy(OIDC_ARN, [
                { namespace: "mlflow", name: "mlflow" },
                { namespace: "aiops-serving", name: "anomaly-detector" },
            ]),
        );
        const st = policy.Statement[0];
        expect(st.Principal).to.deep.equal({ Federated: OIDC_ARN });
        expect(st.Condition.StringEquals).to.deep.equal({
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub": [
                "system:serviceaccount:mlflow:mlflow",
                "system:serviceaccount:aiops-serving:anomaly-detector",
            ],
        });
    });

    it("refuses to grant a service account the role does not trust, naming the trusted ones", async () => {
        let error: Error | undefined;
        await runComponents(() => {
            const store = new S3ObjectStore("s3", args);
            store
                .grantAccess("other", { namespace: "default", serviceAccount: "intruder" }, { parent: store })
                .serviceAccountAnnotations.apply(() => undefined);
        }).catch((e: Error) => (error = e));
        expect(error?.message).to.contain(
            "S3ObjectStore grant 'other': service account 'default/intruder' is not in serviceAccounts (mlflow/mlflow)",
        );
    });

    it("creates three private, KMS-encrypted buckets and one role; grants are role annotations, never keys", async () => {
        let arn: string | undefined;
        const regs = await runComponents(() => {
            const store = new S3ObjectStore("s3", args);
            store
                .grantAccess("mlflow", { namespace: "mlflow", serviceAccount: "mlflow" }, { parent: store })
                .serviceAccountAnnotations.apply((a) => (arn = a["eks.amazonaws.com/role-arn"]));
        });
        expect(ofType(regs, "aws:s3/bucket:Bucket").map((r) => r.inputs.bucketPrefix)).to.have.members([
            "aiops-pipelines-",
            "aiops-models-",
            "aiops-mlflow-",
        ]);
        for (const pab of ofType(regs, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) {
            expect(pab.inputs).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        }
        for (const sse of ofType(regs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
            expect((sse.inputs.rules as any[])[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
        }
        expect(ofType(regs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")).to.have.length(3);
        expect(arn).to.equal("arn:aws:iam::123456789012:role/s3-irsa");
        expect(ofType(regs, "kubernetes:core/v1:Secret")).to.have.length(0);
    });

    it("fails construction without the OIDC provider", async () => {
        let error: Error | undefined;
        await runComponents(() => {
            new S3ObjectStore("s3", { ...args, oidcProviderArn: undefined });
        }).catch((e: Error) => (error = e));
        expect(error?.message).to.contain("S3ObjectStore 's3':").and.to.contain("oidcProviderArn");
    });
});

describe("object store: GCS (hybrid)", () => {
    it("names what is missing", () => {
        expect(validateGcsArgs({ namePrefix: "hybrid" })).to.have.length(2);
        expect(validateGcsArgs({ namePrefix: "hybrid", project: "p-123456", location: "europe-west4" })).to.deep.equal([]);
        expect(validateGcsArgs({ namePrefix: "Bad_Prefix", project: "p", location: "l" })[0]).to.contain("got 'Bad_Prefix'");
    });

    it("creates uniform-access buckets with public access prevented, one account and an HMAC key in a Secret", async () => {
        const regs = await runComponents(() => {
            const store = new GcsObjectStore("gcs", { namePrefix: "hybrid", project: "demo-project", location: "europe-west4" });
            store.grantAccess("detector", { namespace: "aiops-serving", secretName: "s3" }, { parent: store });
        });
        const buckets = ofType(regs, "gcp:storage/bucket:Bucket");
        expect(buckets).to.have.length(3);
        for (const b of buckets)
            expect(b.inputs).to.include({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", location: "europe-west4" });
        expect(ofType(regs, "gcp:storage/bucketIAMMember:BucketIAMMember").map((r) => r.inputs.role)).to.deep.equal(
            Array(3).fill("roles/storage.objectAdmin"),
        );
        expect(ofType(regs, "gcp:storage/hmacKey:HmacKey")).to.have.length(1);
        expect(plain(only(regs, "kubernetes:core/v1:Secret")).metadata).to.include({ name: "s3", namespace: "aiops-serving" });
    });
});

describe("object store: the switch", () => {
    it("allows each store only where the environment can provide it", () => {
        expect(objectStoreProblem("minio", "homelab")).to.equal(undefined);
        expect(objectStoreProblem("s3", "aws")).to.equal(undefined);
        expect(objectStoreProblem("gcs", "hybrid")).to.equal(undefined);
        expect(objectStoreProblem("s3", "homelab")).to.equal(
            "objectStore 's3' is only available on aws; environment homelab supports minio, seaweedfs",
        );
        expect(objectStoreProblem("minio", "hybrid")).to.equal(
            "objectStore 'minio' is only available on aws, homelab, local; environment hybrid supports gcs",
        );
        expect(objectStoreProblem("gcs", "aws")).to.contain("environment aws supports minio, seaweedfs, s3");
    });

    it("counts in-cluster stores only", () => {
        expect(objectStoreFootprint("minio", "lean")).to.deep.equal([{ workload: "minio/server", cpu: 0.05, memory: 256 * 2 ** 20 }]);
        expect(objectStoreFootprint("s3", "standard")).to.deep.equal([]);
    });

    it("homelab: objectStore picks MinIO or SeaweedFS, and consumers point at the same endpoint", async () => {
        for (const [kind, type] of [
            ["minio", "aiops:platform:MinioObjectStore"],
            ["seaweedfs", "aiops:platform:SeaweedfsObjectStore"],
        ] as const) {
            const run = await runStack("homelab", { objectStore: kind });
            expect(run.registrations.filter((r) => r.type.endsWith("ObjectStore")).map((r) => r.type)).to.deep.equal([type]);
            expect(run.outputs.objectStoreEndpoint.value).to.equal(`http://${IN_CLUSTER_HOST}:9000`);
        }
    });

    it("hybrid: objectStore gcs creates buckets in the stack's GCP project", async () => {
        const run = await runStack("hybrid", { objectStore: "gcs" });
        const buckets = run.registrations.filter((r) => r.type === "gcp:storage/bucket:Bucket");
        expect(buckets.map((b) => b.inputs.project)).to.deep.equal(Array(3).fill("aiops-hybrid-demo"));
        expect(run.outputs.objectStoreEndpoint.value).to.equal("https://storage.googleapis.com");
    });

    it("rejects a store the environment cannot provide, with the fix", async () => {
        let error: Error | undefined;
        await runStack("homelab", { objectStore: "s3" }).catch((e: Error) => (error = e));
        expect(error).to.be.instanceOf(ConfigError);
        expect(error?.message).to.include(
            "`objectStore` must suit the environment: objectStore 's3' is only available on aws; environment homelab supports minio, seaweedfs",
        );
        expect(error?.message).to.include("fix: pulumi config set aiops-mlops-platform:objectStore auto");
        expect((error as ConfigError & { registrations?: unknown[] }).registrations, "refused before anything is declared").to.deep.equal(
            [],
        );
    });
});

export type { ObjectStore };
