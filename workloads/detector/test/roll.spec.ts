/**
 * `detector roll`, the edge's model roller: a real S3 API (moto) holding the serving copy the trainer writes,
 * and the Kubernetes API stand-in (GET and PATCH on the InferenceService, RBAC per verb). The roller reads
 * the champion from current/manifest.json, compares it with the predictor's version annotation and sends
 * one merge patch only when they differ.
 */
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_VERSION_ANNOTATION } from "@aiops/contract";
import { main, type Io } from "../src/cli";
import { MANIFEST_FORMAT, setVersion } from "../src/training/manifest";
import { PLACEHOLDER_TEXT } from "../src/training/promote";
import { createS3Store, type ModelStore } from "../src/training/store";
import { removeDir, tempDir } from "./server-helpers";
import { requireTools, startKubeStandIn, startS3, type KubeStandIn, type Peer, useMotoCredentials } from "./support/peers";

const TOKEN = "roller-sa-token";
const ISVC = "aiops-serving/anomaly-detector";
const URI = "s3://models/anomaly-detector";

/** A serving-copy manifest whose version is consistent with its models (what parseManifest checks). */
function manifest(fileVersion: string): { text: string; version: string } {
    const models = [{ name: "node-cpu", file: "node-cpu.json", version: fileVersion, sha256: "0".repeat(64) }];
    const version = setVersion(models);
    const text = JSON.stringify({
        format: MANIFEST_FORMAT,
        formatVersion: 1,
        version,
        models,
        holdout: { file: "holdout.json.gz", sha256: "0".repeat(64) },
    });
    return { text, version };
}

describe("detector roll (the edge's model roller) against S3 and a Kubernetes API stand-in", function () {
    this.timeout(120_000);
    let dir: string;
    let s3: Peer;
    let kube: KubeStandIn;
    let store: ModelStore;
    let restoreEnv: (() => void) | undefined;

    before(async function () {
        requireTools(this, ["moto_server", "openssl"], "install PyPI moto[server] (see .ci/run PIP_PACKAGES) and openssl");
        dir = tempDir("roll-");
        restoreEnv = useMotoCredentials();
        s3 = await startS3(["models"]);
        // The roller's Role: get and patch on the one InferenceService; "aiops-serving/patch-only" lacks get.
        kube = await startKubeStandIn(
            join(dir, "kube"),
            TOKEN,
            [ISVC, "aiops-serving/patch-only"],
            {
                [ISVC]: {
                    apiVersion: "serving.kserve.io/v1beta1",
                    kind: "InferenceService",
                    metadata: { name: "anomaly-detector", namespace: "aiops-serving" },
                    spec: { predictor: { minReplicas: 1 } },
                },
            },
            [ISVC],
        );
        mkdirSync(join(dir, "sa"));
        writeFileSync(join(dir, "sa", "token"), `${TOKEN}\n`);
        writeFileSync(join(dir, "sa", "ca.crt"), kube.ca);
        store = createS3Store({ uri: URI, endpoint: s3.url });
    });

    after(async () => {
        await Promise.all([s3?.stop(), kube?.stop()]);
        restoreEnv?.();
        if (dir) removeDir(dir);
    });

    async function roll(extra: Record<string, string> = {}, args: string[] = []): Promise<{ code: number; out: string; err: string }> {
        let out = "";
        let err = "";
        const env: NodeJS.ProcessEnv = {
            MODEL_STORE_URI: URI,
            S3_ENDPOINT_URL: s3.url,
            AWS_REGION: "us-east-1",
            INFERENCE_SERVICE: ISVC,
            KUBERNETES_SERVICE_HOST: kube.host,
            KUBERNETES_SERVICE_PORT: String(kube.port),
            KUBE_SERVICE_ACCOUNT_DIR: join(dir, "sa"),
            ...extra,
        };
        const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env };
        const code = await main(["roll", ...args], io);
        return { code, out, err };
    }
    const patches = () => kube.requests.filter((r) => r.method === "PATCH");
    const annotation = () =>
        (kube.objects.get(ISVC) as { spec: { predictor: { annotations?: Record<string, string> } } }).spec.predictor.annotations?.[
            MODEL_VERSION_ANNOTATION
        ];

    it("leaves the predictor alone while the store holds only the placeholder (no GET, no PATCH)", async () => {
        await store.put("current/.no-model-yet", PLACEHOLDER_TEXT, "text/plain");
        const r = await roll();
        expect(r.code, r.err).to.equal(0);
        expect(JSON.parse(r.out)).to.deep.equal({ decision: "no-model" });
        expect(kube.requests).to.have.length(0);
    });

    it("version differs: reads the predictor, then sends exactly one merge patch with the champion's version", async () => {
        const m = manifest("aaaaaaaaaaaa");
        await store.put("current/manifest.json", m.text, "application/json");
        const r = await roll();
        expect(r.code, r.err).to.equal(0);
        expect(JSON.parse(r.out)).to.deep.equal({ decision: "rolled", champion: m.version });
        expect(kube.requests.map((q) => q.method)).to.deep.equal(["GET", "PATCH"]);
        expect(patches()).to.have.length(1);
        expect(patches()[0].path).to.equal("/apis/serving.kserve.io/v1beta1/namespaces/aiops-serving/inferenceservices/anomaly-detector");
        expect(patches()[0].headers["content-type"]).to.equal("application/merge-patch+json");
        expect(JSON.parse(patches()[0].body)).to.deep.equal({
            spec: { predictor: { annotations: { [MODEL_VERSION_ANNOTATION]: m.version } } },
        });
        // The merge patch kept the rest of the predictor.
        expect((kube.objects.get(ISVC) as { spec: { predictor: Record<string, unknown> } }).spec.predictor.minReplicas).to.equal(1);
        expect(annotation()).to.equal(m.version);
    });

    it("same version: one GET and no patch (a re-run every few minutes never restarts the predictor)", async () => {
        const before = kube.requests.length;
        const r = await roll();
        expect(r.code, r.err).to.equal(0);
        expect(JSON.parse(r.out).decision).to.equal("unchanged");
        expect(kube.requests.slice(before).map((q) => q.method)).to.deep.equal(["GET"]);
    });

    it("a promotion (or rollback) on the control cluster changes the manifest: the next run rolls to it", async () => {
        const previous = annotation();
        const m = manifest("bbbbbbbbbbbb");
        await store.put("current/manifest.json", m.text, "application/json");
        const before = patches().length;
        const r = await roll();
        expect(r.code, r.err).to.equal(0);
        expect(JSON.parse(r.out)).to.deep.equal({ decision: "rolled", champion: m.version, previous });
        expect(patches().length - before).to.equal(1);
        expect(annotation()).to.equal(m.version);
    });

    it("fails naming the missing permission when the Role lacks get, and sends no patch", async () => {
        const before = patches().length;
        const r = await roll({ INFERENCE_SERVICE: "aiops-serving/patch-only" });
        expect(r.code).to.equal(1);
        expect(r.err).to.include(
            `Kubernetes API at ${kube.url} refused to get InferenceService aiops-serving/patch-only (HTTP 403 Forbidden)`,
        );
        expect(r.err).to.include("needs a Role in aiops-serving with verb get on inferenceservices.serving.kserve.io");
        expect(patches().length).to.equal(before);
    });

    it("requires the InferenceService and the store, naming the flag and the variable", async () => {
        const noIsvc = await roll({ INFERENCE_SERVICE: "" });
        expect(noIsvc.code).to.equal(2);
        expect(noIsvc.err).to.include("roll: --inference-service (or INFERENCE_SERVICE) is required");
        const noStore = await roll({ MODEL_STORE_URI: "" });
        expect(noStore.code).to.equal(2);
        expect(noStore.err).to.include("roll: --store (or MODEL_STORE_URI) is required");
    });

    it("names the object store when it is unreachable", async () => {
        const r = await roll({ MODEL_STORE_URI: "s3://no-such-bucket/x" });
        expect(r.code).to.equal(1);
        expect(r.err).to.include("no-such-bucket");
    });
});
