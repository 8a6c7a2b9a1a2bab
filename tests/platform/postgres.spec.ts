// The PostgreSQL behind MLflow: a pinned official image, non-root, read-only root, probes, a volume on
// the contract's storage class and a generated password that exists only in a Secret.
import { expect } from "chai";
import { POSTGRES_IMAGE, Postgres, postgresPodSpec } from "../../components/platform/postgres";
import { size } from "../../components/platform/sizing";
import { containsSecret } from "../harness";
import { only, plain, runComponents } from "../workloads/support/components";

describe("Postgres", () => {
    it("pins an official 17.x Alpine tag (uid 70 is postgres there)", () => {
        expect(POSTGRES_IMAGE).to.match(/^docker\.io\/library\/postgres:17\.\d+-alpine3\.\d+$/);
    });

    it("runs non-root with a read-only root filesystem and pg_isready probes", () => {
        const spec = postgresPodSpec({
            secretName: "db",
            database: "mlflow",
            server: size("50m", "128Mi", "500m", "384Mi"),
            nodeSelector: { stateful: "true" },
        }) as Record<string, any>;
        expect(spec.securityContext).to.include({ runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, fsGroup: 70 });
        const c = spec.containers[0];
        expect(c.securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe])
            expect(probe.exec.command.join(" ")).to.contain("pg_isready -h 127.0.0.1 -p 5432");
        expect(c.resources).to.deep.equal({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "384Mi" } });
        // Writable paths: the data volume, the socket directory and /tmp; nothing else.
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).to.deep.equal([
            "/var/lib/postgresql/data",
            "/var/run/postgresql",
            "/tmp",
        ]);
        expect(c.env.find((e: { name: string }) => e.name === "POSTGRES_PASSWORD").valueFrom.secretKeyRef).to.deep.equal({
            name: "db",
            key: "password",
        });
        expect(spec.nodeSelector).to.deep.equal({ stateful: "true" });
    });

    it("stores a generated password only in its Secret, and the data on the given storage class", async () => {
        let host = "";
        const regs = await runComponents(() => {
            const db = new Postgres("db", {
                namespace: "mlflow",
                serviceName: "mlflow-postgres",
                database: "mlflow",
                user: "mlflow",
                profile: "standard",
                storageClass: "gp3",
            });
            db.host.apply((h) => (host = h));
        });
        const secret = only(regs, "kubernetes:core/v1:Secret");
        expect(containsSecret(secret.inputs.stringData)).to.equal(true);
        expect(plain(secret).stringData).to.deep.equal({ username: "mlflow", password: "mock-password-db-password" });
        const sts = plain(only(regs, "kubernetes:apps/v1:StatefulSet"));
        expect(sts.spec.volumeClaimTemplates[0].spec).to.deep.equal({
            accessModes: ["ReadWriteOnce"],
            storageClassName: "gp3",
            resources: { requests: { storage: "20Gi" } },
        });
        expect(JSON.stringify(sts)).to.not.contain("mock-password");
        expect(plain(only(regs, "kubernetes:core/v1:Service")).spec.ports).to.deep.equal([
            { name: "postgres", port: 5432, targetPort: "postgres" },
        ]);
        expect(host).to.equal("mlflow-postgres.mlflow.svc.cluster.local");
    });
});
