/**
 * The trainer end to end with real peers: Debian's Prometheus over promtool-backfilled node-exporter history
 * (3 instances), an MLflow 3.15.1 server (SQLite backend, proxied local artifact root), an S3 API (moto) and a
 * stand-in for the Kubernetes API's InferenceService PATCH. Everything is read back through the peers' own APIs.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CHAMPION_ALIAS, METRIC_NAMES, MODEL_FILES, MODEL_NAMES, MODEL_VERSION_ANNOTATION, buildQuery } from "@aiops/contract";
import { main, type Io } from "../src/cli";
import { DEFAULT_TRAIN_OPTIONS, parseModelFile } from "../src/model";
import { fetchSeriesByLabel } from "../src/prometheus";
import { decodeHoldout, fileVersion, HOLDOUT_FILE, type Manifest } from "../src/training/manifest";
import { PLACEHOLDER_TEXT } from "../src/training/promote";
import { createS3Store, type ModelStore } from "../src/training/store";
import { backfill, requirePrometheusTools, startPrometheus, type RunningPrometheus } from "../../mcp-tool/test/support/prometheus";
import type { DatasetSpec, FakeNode } from "../../mcp-tool/test/support/nodeData";
import { removeDir, tempDir } from "./server-helpers";
import { requireTools, startKubeStandIn, startMlflow, startS3, type KubeStandIn, type Peer, useMotoCredentials } from "./support/peers";

const CLI = resolve(__dirname, "../src/cli.ts");
const ROOT = resolve(__dirname, "../../..");
const END = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000;
const GiB = 1024 ** 3;
const node = (i: number, load: number): FakeNode => ({
    instance: `10.0.0.${10 + i}:9100`,
    nodename: `node-${i}`,
    machine: "x86_64",
    cpus: 2,
    memTotalBytes: 8 * GiB,
    rootFsBytes: 100 * GiB,
    load,
});
/** Three nodes at different normal levels, 4 h of 15-s scrapes ending at END, no anomaly. */
const DATA: DatasetSpec = { end: END, hours: 4, resolution: 15, nodes: [node(1, 1), node(2, 0.7), node(3, 1.3)], anomalies: [], seed: 11 };
const INSTANCES = DATA.nodes.map((n) => n.instance).sort();
const TOKEN = "trainer-sa-token";
const ISVC = "aiops-serving/anomaly-detector";

interface Result {
    code: number;
    out: string;
    err: string;
}

describe("trainer with real Prometheus, MLflow, S3 and a Kubernetes API stand-in", function () {
    this.timeout(300_000);
    let dir: string;
    let prom: RunningPrometheus;
    let mlflow: Peer;
    let s3: Peer;
    let kube: KubeStandIn;
    let store: ModelStore;
    let restoreEnv: (() => void) | undefined;

    before(async function () {
        await requirePrometheusTools(this);
        requireTools(
            this,
            ["mlflow", "moto_server", "openssl"],
            "install PyPI mlflow==3.15.1 and moto[server] (see .ci/run PIP_PACKAGES) and openssl",
        );
        dir = tempDir("trainer-");
        restoreEnv = useMotoCredentials();
        const [{ dataDir }, m, s] = await Promise.all([
            backfill(DATA, join(dir, "prom")),
            startMlflow(join(dir, "mlflow")),
            startS3(["models"]),
        ]);
        mlflow = m;
        s3 = s;
        prom = await startPrometheus(dataDir, join(dir, "prom"));
        kube = await startKubeStandIn(join(dir, "kube"), TOKEN, [ISVC, "aiops-serving/missing"], {
            [ISVC]: {
                apiVersion: "serving.kserve.io/v1beta1",
                kind: "InferenceService",
                metadata: { name: "anomaly-detector" },
                spec: { predictor: { minReplicas: 1 } },
            },
        });
        mkdirSync(join(dir, "sa"));
        writeFileSync(join(dir, "sa", "token"), `${TOKEN}\n`);
        writeFileSync(join(dir, "sa", "ca.crt"), kube.ca);
        store = createS3Store({ uri: "s3://models/anomaly-detector", endpoint: s3.url });
    });

    after(async () => {
        await Promise.all([prom?.stop(), mlflow?.stop(), s3?.stop(), kube?.stop()]);
        restoreEnv?.();
        if (dir) removeDir(dir);
    });

    /** Settings every command shares, as env (flags are tested separately). */
    function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return {
            PROMETHEUS_URL: prom.url,
            MLFLOW_TRACKING_URI: mlflow.url,
            MODEL_STORE_URI: "s3://models/anomaly-detector",
            S3_ENDPOINT_URL: s3.url,
            AWS_REGION: "us-east-1",
            INFERENCE_SERVICE: ISVC,
            KUBERNETES_SERVICE_HOST: kube.host,
            KUBERNETES_SERVICE_PORT: String(kube.port),
            KUBE_SERVICE_ACCOUNT_DIR: join(dir, "sa"),
            TRAINING_STEP_SECONDS: "15",
            ...extra,
        };
    }

    async function detector(args: string[], extra: Record<string, string> = {}): Promise<Result> {
        let out = "";
        let err = "";
        const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env: env(extra) };
        const code = await main(args, io);
        return { code, out, err };
    }

    async function mlflowGet<T>(path: string, query: Record<string, string>): Promise<T> {
        const res = await fetch(`${mlflow.url}${path}?${new URLSearchParams(query)}`);
        expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(200);
        return (await res.json()) as T;
    }

    const trainArgs = (out: string, extra: string[] = []) => [
        "train-all",
        "--hours",
        "4",
        "--end",
        String(END),
        "--out-dir",
        out,
        "--trees",
        "20",
        ...extra,
    ];
    let v1: Manifest;
    let v2: Manifest;

    describe("train-all", () => {
        it("trains one model per metric on every instance and writes the manifest", async () => {
            const out = join(dir, "set1");
            const r = await detector(trainArgs(out));
            expect(r.code, r.err).to.equal(0);
            v1 = JSON.parse(readFileSync(join(out, MODEL_FILES.manifest), "utf8")) as Manifest;
            expect(JSON.parse(r.out)).to.deep.include({ version: v1.version, outDir: out });
            expect(v1.models.map((m) => m.name)).to.deep.equal([...MODEL_NAMES]);
            expect(v1.window).to.include({ end: END, start: END - 4 * 3600, hours: 4, step: 15 });
            expect(v1.training).to.include({ trees: 20, featureSet: "default", contamination: DEFAULT_TRAIN_OPTIONS.contamination });
            for (const [i, m] of v1.models.entries()) {
                const text = readFileSync(join(out, `${m.name}.json`), "utf8");
                expect(m.version).to.equal(fileVersion(text));
                const model = parseModelFile(JSON.parse(text));
                expect(model.name).to.equal(m.name);
                expect(m.query).to.equal(buildQuery(METRIC_NAMES[i]));
                // Every instance, each with its points split at the held-back window.
                expect(m.instances.map((x) => x.instance)).to.deep.equal(INSTANCES);
                for (const x of m.instances) {
                    expect(x.points).to.be.within(900, 961);
                    expect(x.trainingPoints + x.holdoutPoints).to.equal(x.points);
                    expect(x.holdoutPoints).to.be.within(80, 100);
                }
                expect(model.training.points).to.equal(m.trainingPoints);
                expect(m.trainingPoints).to.equal(m.instances.reduce((a, x) => a + x.trainingPoints, 0));
                // The contamination, or more where flags form runs (model.ts eventOffset): 0.0139-0.018 here.
                const c = DEFAULT_TRAIN_OPTIONS.contamination as number;
                expect(m.trainingFlagRate).to.be.within(c - 0.002, 2 * c);
                expect(m.holdoutFlagRate).to.be.within(0, 0.2);
                expect(m.holdoutScoreQuantiles.p01).to.be.at.most(m.holdoutScoreQuantiles.p50);
            }
            expect(v1.holdout.start)
                .to.be.above(END - 3600)
                .and.below(END);
            // The held-back data carries the features' history before the window.
            const holdout = decodeHoldout(readFileSync(join(out, HOLDOUT_FILE)), HOLDOUT_FILE);
            const first = holdout.models["node-cpu"][0];
            expect(first.timestamps.filter((t) => t < holdout.start)).to.have.length(290);
        });

        it("reads the same series in many small windows as in one (bounded responses)", async () => {
            const query = buildQuery("memory");
            const one = await fetchSeriesByLabel({ url: prom.url, query, start: END - 4 * 3600, end: END, step: 15 });
            const small = await fetchSeriesByLabel({
                url: prom.url,
                query,
                start: END - 4 * 3600,
                end: END,
                step: 15,
                maxSamplesPerQuery: 300,
            });
            expect([...small.keys()].sort()).to.deep.equal(INSTANCES);
            expect(small).to.deep.equal(one);
        });

        it("refuses with Prometheus' URL and the shortfall when the history is too short", async () => {
            const start = END - 4 * 3600;
            const r = await detector(["train-all", "--hours", "4", "--end", String(start + 40 * 60), "--out-dir", join(dir, "short")]);
            expect(r.code).to.equal(1);
            expect(r.err).to.include(`Prometheus at ${prom.url} holds too little history to train`);
            expect(r.err).to.match(/node-cpu: the longest of 3 instance\(s\) \(10\.0\.0\.\d+:9100\) has \d+ points/);
            expect(r.err).to.include(
                "Training needs at least 350 points per instance (1 h 28 min at a 15 s step; the features look back 290 points)",
            );
            expect(existsSync(join(dir, "short", MODEL_FILES.manifest))).to.equal(false);
        });

        it("refuses when Prometheus has no node-exporter series in the window", async () => {
            const r = await detector(["train-all", "--hours", "1", "--end", String(END - 10 * 3600), "--out-dir", join(dir, "none")]);
            expect(r.code).to.equal(1);
            expect(r.err).to.include(`node-cpu: no series for ${buildQuery("cpu")} (is node-exporter scraped by this Prometheus?)`);
        });

        it("names Prometheus and its URL when it is unreachable", async () => {
            const r = await detector(trainArgs(join(dir, "x")), { PROMETHEUS_URL: "http://127.0.0.1:1" });
            expect(r.code).to.equal(1);
            expect(r.err).to.include("cannot reach Prometheus at http://127.0.0.1:1");
        });
    });

    describe("publish, bootstrap, promote, keep and roll back", () => {
        it("bootstrap writes a non-empty placeholder into current/ once", async () => {
            const r = await detector(["bootstrap"]);
            expect(r.code, r.err).to.equal(0);
            expect(JSON.parse(r.out)).to.deep.equal({ placeholder: true });
            expect(await store.list("current")).to.deep.equal([MODEL_FILES.placeholder]);
            expect((await store.get(`current/${MODEL_FILES.placeholder}`))?.toString()).to.equal(PLACEHOLDER_TEXT);
            const again = await detector(["bootstrap"]);
            expect(JSON.parse(again.out)).to.deep.equal({ placeholder: false });
        });

        it("publish uploads versions/<version>/ and records the run, artifacts and registered versions in MLflow", async () => {
            const r = await detector(["publish", "--dir", join(dir, "set1")]);
            expect(r.code, r.err).to.equal(0);
            const result = JSON.parse(r.out) as { runId: string; version: string; modelVersions: Record<string, string> };
            expect(result.version).to.equal(v1.version);
            const keys = await store.list(`versions/${v1.version}`);
            expect(keys).to.deep.equal([...MODEL_NAMES.map((n) => `${n}.json`), HOLDOUT_FILE, MODEL_FILES.manifest].sort());
            for (const m of v1.models) {
                expect((await store.get(`versions/${v1.version}/${m.file}`))?.toString()).to.equal(
                    readFileSync(join(dir, "set1", m.file), "utf8"),
                );
            }
            // The run, read back through MLflow's REST API.
            const { run } = await mlflowGet<{
                run: {
                    info: { status: string; artifact_uri: string; experiment_id: string };
                    data: {
                        params: { key: string; value: string }[];
                        metrics: { key: string; value: number }[];
                        tags: { key: string; value: string }[];
                    };
                };
            }>("/api/2.0/mlflow/runs/get", { run_id: result.runId });
            expect(run.info.status).to.equal("FINISHED");
            const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
            expect(params).to.include({
                window_hours: "4",
                step_seconds: "15",
                trees: "20",
                features: "default",
                contamination: String(DEFAULT_TRAIN_OPTIONS.contamination),
                instances: "3",
                set_version: v1.version,
            });
            const metrics = Object.fromEntries(run.data.metrics.map((p) => [p.key, p.value]));
            const cpu = v1.models[0];
            expect(metrics["node-cpu.points"]).to.equal(cpu.trainingPoints + cpu.holdoutPoints);
            expect(metrics["node-cpu.holdout_flag_rate"]).to.equal(cpu.holdoutFlagRate);
            expect(metrics["node-cpu.holdout_score_p05"]).to.equal(cpu.holdoutScoreQuantiles.p05);
            expect(metrics["node-network.training_flag_rate"]).to.equal(v1.models[3].trainingFlagRate);
            expect(run.data.tags.find((t) => t.key === "aiops.set_version")?.value).to.equal(v1.version);
            // The artifact, through the server's artifact proxy.
            const listed = await mlflowGet<{ files: { path: string }[] }>("/api/2.0/mlflow-artifacts/artifacts", {
                path: `${run.info.artifact_uri.replace(/^mlflow-artifacts:\//, "")}/model-set`,
            });
            expect(listed.files.map((f) => f.path).sort()).to.deep.equal(
                [...MODEL_NAMES.map((n) => `${n}.json`), MODEL_FILES.manifest].sort(),
            );
            const art = await fetch(
                `${mlflow.url}/api/2.0/mlflow-artifacts/artifacts/${run.info.artifact_uri.replace(/^mlflow-artifacts:\//, "")}/model-set/node-cpu.json`,
            );
            expect(await art.text()).to.equal(readFileSync(join(dir, "set1", "node-cpu.json"), "utf8"));
            // One registered model per model name, one version each, tagged with the set.
            for (const name of MODEL_NAMES) {
                const { model_version: mv } = await mlflowGet<{
                    model_version: { source: string; run_id: string; tags: { key: string; value: string }[] };
                }>("/api/2.0/mlflow/model-versions/get", { name, version: result.modelVersions[name] });
                expect(mv.run_id).to.equal(result.runId);
                expect(mv.source).to.equal(`${run.info.artifact_uri}/model-set/${name}.json`);
                expect(mv.tags).to.deep.include({ key: "aiops.set_version", value: v1.version });
            }
            // Publishing again changes nothing in MLflow.
            const again = await detector(["publish", "--dir", join(dir, "set1")]);
            expect(again.code, again.err).to.equal(0);
            expect(JSON.parse(again.out)).to.deep.equal(result);
        });

        it("promotes the first version: serving copy, alias and predictor roll", async () => {
            const r = await detector(["promote", "--dir", join(dir, "set1")]);
            expect(r.code, r.err).to.equal(0);
            const result = JSON.parse(r.out) as { decision: string; previous?: string };
            expect(result.decision).to.equal("promoted");
            expect(result.previous).to.equal(undefined);
            expect(await store.list("current")).to.deep.equal([...MODEL_NAMES.map((n) => `${n}.json`), MODEL_FILES.manifest].sort());
            expect(JSON.parse((await store.get(`current/${MODEL_FILES.manifest}`))!.toString()).version).to.equal(v1.version);
            await expectChampion(v1.version);
            const patch = kube.requests.at(-1)!;
            expect(patch.method).to.equal("PATCH");
            expect(patch.path).to.equal("/apis/serving.kserve.io/v1beta1/namespaces/aiops-serving/inferenceservices/anomaly-detector");
            expect(patch.headers["content-type"]).to.equal("application/merge-patch+json");
            expect(JSON.parse(patch.body)).to.deep.equal({
                spec: { predictor: { annotations: { [MODEL_VERSION_ANNOTATION]: v1.version } } },
            });
            expect((kube.objects.get(ISVC) as { spec: { predictor: unknown } }).spec.predictor).to.deep.equal({
                minReplicas: 1,
                annotations: { [MODEL_VERSION_ANNOTATION]: v1.version },
            });
        });

        it("keeps the champion when the candidate's held-back flag rate is out of bounds, and records why", async () => {
            const out = join(dir, "set2");
            expect((await detector(trainArgs(out, ["--seed", "5"]))).code).to.equal(0);
            v2 = JSON.parse(readFileSync(join(out, MODEL_FILES.manifest), "utf8")) as Manifest;
            expect(v2.version).to.not.equal(v1.version);
            expect((await detector(["publish", "--dir", out])).code).to.equal(0);
            const before = kube.requests.length;
            const r = await detector(["promote", "--version", v2.version], { PROMOTION_MAX_FLAG_RATE: "0", PROMOTION_MIN_FLAG_RATE: "0" });
            expect(r.code, r.err).to.equal(0);
            const result = JSON.parse(r.out) as { decision: string; reasons: string[] };
            expect(result.decision).to.equal("kept");
            const flagged = v2.models.filter((m) => m.holdoutFlagRate > 0);
            expect(flagged.length).to.be.above(0);
            expect(result.reasons).to.include.members(
                flagged.map(
                    (m) => `${m.name} flags ${(100 * m.holdoutFlagRate).toFixed(2)}% of the held-back window, above the maximum 0.00%`,
                ),
            );
            expect(r.err).to.match(/keeping the champion: [0-9a-f]{12} \(champion was [0-9a-f]{12}\)/);
            expect(kube.requests.length).to.equal(before);
            expect(JSON.parse((await store.get(`current/${MODEL_FILES.manifest}`))!.toString()).version).to.equal(v1.version);
            await expectChampion(v1.version);
            const tags = await runTags(v2.version);
            expect(tags["aiops.promotion"]).to.equal("kept");
            expect(tags["aiops.promotion_reason"]).to.include("above the maximum 0.00%");
        });

        it("keeps the champion when the candidate flags more than the champion on the same window", async () => {
            const out = join(dir, "set3");
            expect((await detector(trainArgs(out, ["--contamination", "0.3"]))).code).to.equal(0);
            const v3 = JSON.parse(readFileSync(join(out, MODEL_FILES.manifest), "utf8")) as Manifest;
            expect((await detector(["publish", "--dir", out])).code).to.equal(0);
            const r = await detector(["promote", "--version", v3.version, "--max-flag-rate", "1"]);
            expect(r.code, r.err).to.equal(0);
            const result = JSON.parse(r.out) as {
                decision: string;
                reasons: string[];
                models: { name: string; candidate: number; champion: number }[];
            };
            expect(result.decision).to.equal("kept");
            for (const m of result.models) expect(m.candidate).to.be.above(m.champion);
            expect(result.reasons[0]).to.match(/^node-cpu flags \d+\.\d\d% of the held-back window, worse than the champion's \d+\.\d\d%$/);
            const metrics = await runMetrics(v3.version);
            expect(metrics["node-cpu.champion_holdout_flag_rate"]).to.equal(result.models[0].champion);
            await expectChampion(v1.version);
        });

        it("promotes a candidate that passes, then rolls back to the first version", async () => {
            const r = await detector(["promote", "--version", v2.version, "--max-flag-rate", "1", "--tolerance", "1"]);
            expect(r.code, r.err).to.equal(0);
            expect(JSON.parse(r.out)).to.include({ decision: "promoted", previous: v1.version });
            await expectChampion(v2.version);
            expect(JSON.parse(kube.requests.at(-1)!.body).spec.predictor.annotations[MODEL_VERSION_ANNOTATION]).to.equal(v2.version);
            expect((await runTags(v2.version))["aiops.promotion"]).to.equal("promoted");

            const back = await detector(["rollback", "--version", v1.version]);
            expect(back.code, back.err).to.equal(0);
            expect(JSON.parse(back.out)).to.include({ decision: "rolled-back", previous: v2.version });
            await expectChampion(v1.version);
            expect(JSON.parse((await store.get(`current/${MODEL_FILES.manifest}`))!.toString()).version).to.equal(v1.version);
            expect(JSON.parse(kube.requests.at(-1)!.body).spec.predictor.annotations[MODEL_VERSION_ANNOTATION]).to.equal(v1.version);
            expect((await runTags(v1.version))["aiops.promotion"]).to.equal("rolled-back");

            // Promoting the champion again (a retried step) re-applies it and keeps the decision's tags.
            const again = await detector(["promote", "--version", v1.version]);
            expect(again.code, again.err).to.equal(0);
            expect(JSON.parse(again.out)).to.include({ decision: "unchanged", previous: v1.version });
            expect((await runTags(v1.version))["aiops.promotion"]).to.equal("rolled-back");
            await expectChampion(v1.version);
        });

        it("fails naming the Kubernetes API, the status and the missing permission (403, 404)", async () => {
            const forbidden = await detector(["rollback", "--version", v2.version], { INFERENCE_SERVICE: "aiops-serving/other" });
            expect(forbidden.code).to.equal(1);
            expect(forbidden.err).to.include(
                `Kubernetes API at ${kube.url} refused to patch InferenceService aiops-serving/other (HTTP 403 Forbidden)`,
            );
            expect(forbidden.err).to.include(
                "needs a Role in aiops-serving with verb patch on inferenceservices.serving.kserve.io, resourceNames [other]",
            );
            const missing = await detector(["rollback", "--version", v2.version], { INFERENCE_SERVICE: "aiops-serving/missing" });
            expect(missing.code).to.equal(1);
            expect(missing.err).to.include('(HTTP 404 NotFound): inferenceservices.serving.kserve.io "missing" not found');
            const badToken = join(dir, "sa-bad");
            mkdirSync(badToken, { recursive: true });
            writeFileSync(join(badToken, "token"), "stolen");
            writeFileSync(join(badToken, "ca.crt"), kube.ca);
            const unauthorized = await detector(["rollback", "--version", v1.version], { KUBE_SERVICE_ACCOUNT_DIR: badToken });
            expect(unauthorized.code).to.equal(1);
            expect(unauthorized.err).to.include("(HTTP 401 Unauthorized)");
        });

        it("names the published versions when asked for an unknown one", async () => {
            const r = await detector(["promote", "--version", "0123456789ab"]);
            expect(r.code).to.equal(1);
            expect(r.err).to.include("has no version 0123456789ab under versions/ (published: ");
            expect(r.err).to.include(v1.version);
        });

        it("names the object store and MLflow when they fail", async () => {
            const bucket = await detector(["bootstrap"], { MODEL_STORE_URI: "s3://no-such-bucket/x" });
            expect(bucket.code).to.equal(1);
            expect(bucket.err).to.include(
                `object store at ${s3.url} (s3://no-such-bucket/x): LIST s3://no-such-bucket/x/current/ failed: NoSuchBucket`,
            );
            const down = await detector(["publish", "--dir", join(dir, "set1")], { MLFLOW_TRACKING_URI: "http://127.0.0.1:1" });
            expect(down.code).to.equal(1);
            expect(down.err).to.include("cannot reach MLflow at http://127.0.0.1:1");
        });

        async function expectChampion(version: string): Promise<void> {
            for (const name of MODEL_NAMES) {
                const { model_version: mv } = await mlflowGet<{
                    model_version: { tags: { key: string; value: string }[]; aliases: string[] };
                }>("/api/2.0/mlflow/registered-models/alias", { name, alias: CHAMPION_ALIAS });
                expect(mv.tags, name).to.deep.include({ key: "aiops.set_version", value: version });
                expect(mv.aliases).to.include(CHAMPION_ALIAS);
            }
        }

        async function findRun(version: string) {
            const res = await fetch(`${mlflow.url}/api/2.0/mlflow/runs/search`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ experiment_ids: ["1"], filter: `tags.\`aiops.set_version\` = '${version}'` }),
            });
            const { runs } = (await res.json()) as {
                runs: { data: { tags: { key: string; value: string }[]; metrics: { key: string; value: number }[] } }[];
            };
            expect(runs).to.have.length(1);
            return runs[0];
        }
        async function runTags(version: string): Promise<Record<string, string>> {
            return Object.fromEntries((await findRun(version)).data.tags.map((t) => [t.key, t.value]));
        }
        async function runMetrics(version: string): Promise<Record<string, number>> {
            return Object.fromEntries((await findRun(version)).data.metrics.map((t) => [t.key, t.value]));
        }
    });

    describe("run (bootstrap Job / CronJob) as a process", () => {
        function spawnDetector(args: string[], extra: Record<string, string>, timeoutMs = 120_000): Promise<Result> {
            return new Promise((done, reject) => {
                const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CLI, ...args], {
                    cwd: ROOT,
                    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env(extra) },
                });
                let out = "";
                let err = "";
                child.stdout.on("data", (c: Buffer) => (out += c.toString()));
                child.stderr.on("data", (c: Buffer) => (err += c.toString()));
                const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
                child.on("error", reject);
                child.on("close", (code) => {
                    clearTimeout(timer);
                    done({ code: code ?? -1, out, err });
                });
            });
        }

        it("bootstraps a fresh store, trains, publishes and promotes, then exits", async () => {
            const r = await spawnDetector(["run", "--hours", "4", "--end", String(END), "--trees", "10"], {
                MODEL_STORE_URI: "s3://models/fresh",
                MLFLOW_EXPERIMENT_NAME: "run-test",
                AWS_ACCESS_KEY_ID: "k",
                AWS_SECRET_ACCESS_KEY: "s",
                HISTORY_WAIT: "1h",
            });
            expect(r.code, r.err).to.equal(0);
            expect(r.err).to.include("wrote the placeholder s3://models/fresh/current/.no-model-yet");
            const result = JSON.parse(r.out) as { version: string; decision: string };
            expect(result.decision).to.equal("promoted");
            const fresh = createS3Store({ uri: "s3://models/fresh", endpoint: s3.url });
            expect(await fresh.list("current")).to.deep.equal([...MODEL_NAMES.map((n) => `${n}.json`), MODEL_FILES.manifest].sort());
            expect(JSON.parse(kube.requests.at(-1)!.body).spec.predictor.annotations[MODEL_VERSION_ANNOTATION]).to.equal(result.version);
        });

        it("waits with a logged backoff for the history it needs and gives up at its deadline", async () => {
            const r = await spawnDetector(
                ["run", "--hours", "4", "--end", String(END), "--wait-for-history", "5h", "--wait-timeout", "3s"],
                {
                    MODEL_STORE_URI: "s3://models/waiting",
                    AWS_ACCESS_KEY_ID: "k",
                    AWS_SECRET_ACCESS_KEY: "s",
                },
            );
            expect(r.code).to.equal(1);
            expect(r.err).to.match(
                /waiting \d+ s for history \(\d+ s left before giving up\): Prometheus at http:\/\/127\.0\.0\.1:\d+ holds too little history/,
            );
            expect(r.err).to.include("gave up waiting for history after 3 s (HISTORY_WAIT_TIMEOUT)");
            expect(r.err).to.include("Training needs at least 1200 points per instance");
        });

        it("authenticates to S3 with IRSA's web-identity token (STS AssumeRoleWithWebIdentity) and no keys", async () => {
            writeFileSync(join(dir, "web-identity-token"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
            const r = await spawnDetector(["bootstrap"], {
                MODEL_STORE_URI: "s3://models/irsa",
                AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/aiops-trainer",
                AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "web-identity-token"),
                AWS_ENDPOINT_URL_STS: s3.url,
            });
            expect(r.code, r.err).to.equal(0);
            expect(await createS3Store({ uri: "s3://models/irsa", endpoint: s3.url }).list("current")).to.deep.equal([
                MODEL_FILES.placeholder,
            ]);
        });
    });
});
