/** The trainer's pure parts: the promotion guard, settings parsing, the manifest, pooled training. */
import { expect } from "chai";
import { METRIC_NAMES, MODEL_FILES, MODEL_NAMES, MODEL_VERSION_ANNOTATION, TRAINER_ENV } from "@aiops/contract";
import { main, type Io } from "../src/cli";
import { computeFeatures } from "../src/features";
import { DEFAULT_TRAIN_OPTIONS, trainModel, type TrainingStats } from "../src/model";
import { guard, mlflowOptions, parseDuration, storeOptions, trainAllOptions } from "../src/training/commands";
import { parseInferenceServiceRef, rollPatch } from "../src/training/kube";
import { HOLDOUT_CONTEXT_POINTS, lookbackPoints, parseManifest, setVersion } from "../src/training/manifest";
import { filterString, MlflowClient } from "../src/training/mlflow";
import { judge, type Bounds } from "../src/training/promote";
import { parseStoreUri } from "../src/training/store";
import { defaultMinPoints, duration, firstAtOrAfter } from "../src/training/train-all";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isReady, loadModelRepository } from "../src/registry";
import { trainFetched } from "../src/training/train-all";
import { cpuSeries, removeDir, tempDir } from "./server-helpers";

const BOUNDS: Bounds = { minFlagRate: 0.001, maxFlagRate: 0.1, tolerance: 0 };

describe("promotion guard (judge)", () => {
    it("promotes when every model is within bounds and not worse than the champion", () => {
        const d = judge(
            [
                { name: "node-cpu", candidate: 0.02, champion: 0.02 },
                { name: "node-disk", candidate: 0.01, champion: 0.05 },
            ],
            BOUNDS,
            ["node-cpu", "node-disk"],
        );
        expect(d).to.deep.equal({
            promote: true,
            reasons: [
                "every model is within [0.10%, 10.00%] on the held-back window and not worse than the champion (2 model(s) compared)",
            ],
        });
    });

    it("promotes without a champion, saying so", () => {
        expect(judge([{ name: "node-cpu", candidate: 0.1 }], BOUNDS).reasons[0]).to.match(/\(no champion to compare with\)$/);
    });

    it("keeps at either bound, naming the model and the rates", () => {
        expect(judge([{ name: "node-cpu", candidate: 0.0009 }], BOUNDS)).to.deep.equal({
            promote: false,
            reasons: ["node-cpu flags 0.09% of the held-back window, below the minimum 0.10%"],
        });
        expect(judge([{ name: "node-cpu", candidate: 0.1001 }], BOUNDS).reasons).to.deep.equal([
            "node-cpu flags 10.01% of the held-back window, above the maximum 10.00%",
        ]);
        // The bounds themselves pass.
        expect(judge([{ name: "a", candidate: 0.001 }], BOUNDS).promote).to.equal(true);
        expect(judge([{ name: "a", candidate: 0.1 }], BOUNDS).promote).to.equal(true);
    });

    it("keeps when the candidate flags more than the champion, beyond the tolerance", () => {
        expect(judge([{ name: "node-cpu", candidate: 0.03, champion: 0.02 }], BOUNDS).reasons).to.deep.equal([
            "node-cpu flags 3.00% of the held-back window, worse than the champion's 2.00%",
        ]);
        expect(judge([{ name: "node-cpu", candidate: 0.03, champion: 0.02 }], { ...BOUNDS, tolerance: 0.01 }).promote).to.equal(true);
        expect(judge([{ name: "node-cpu", candidate: 0.031, champion: 0.02 }], { ...BOUNDS, tolerance: 0.01 }).reasons).to.deep.equal([
            "node-cpu flags 3.10% of the held-back window, worse than the champion's 2.00% (tolerance 1.00%)",
        ]);
        // A champion with no points on the window is no comparison.
        expect(judge([{ name: "node-cpu", candidate: 0.03, champion: null }], BOUNDS).promote).to.equal(true);
    });

    it("keeps when a model has nothing to judge on, or the candidate drops a served model, listing every reason", () => {
        const d = judge(
            [
                { name: "node-cpu", candidate: null },
                { name: "node-disk", candidate: 0.5 },
            ],
            BOUNDS,
            ["node-cpu", "node-disk", "node-memory"],
        );
        expect(d.promote).to.equal(false);
        expect(d.reasons).to.deep.equal([
            "the candidate has no node-memory model, which the champion serves",
            "node-cpu has no held-back points to judge it on",
            "node-disk flags 50.00% of the held-back window, above the maximum 10.00%",
        ]);
    });
});

describe("trainer settings", () => {
    it("parses durations", () => {
        expect(parseDuration("1h", "x")).to.equal(3600);
        expect(parseDuration("90m", "x")).to.equal(5400);
        expect(parseDuration("1h30m", "x")).to.equal(5400);
        expect(parseDuration("2d", "x")).to.equal(172800);
        expect(parseDuration("45s", "x")).to.equal(45);
        expect(parseDuration("120", "x")).to.equal(120);
        expect(parseDuration(" 1.5h ", "x")).to.equal(5400);
        for (const bad of ["", "h", "1w", "1h 30m", "-1h", "1hx"]) {
            expect(() => parseDuration(bad, "HISTORY_WAIT")).to.throw(
                `HISTORY_WAIT must be a duration such as 1h, 90m, 1h30m or seconds; got '${bad}'`,
            );
        }
    });

    it("parses the store URI", () => {
        expect(parseStoreUri("s3://models/anomaly-detector")).to.deep.equal({ bucket: "models", prefix: "anomaly-detector" });
        expect(parseStoreUri("s3://models/a/b/")).to.deep.equal({ bucket: "models", prefix: "a/b" });
        expect(parseStoreUri("s3://my_bucket.x")).to.deep.equal({ bucket: "my_bucket.x", prefix: "" });
        for (const bad of ["models/x", "gs://models/x", "s3://Models/x", "s3://m/x", "s3://-models/x"]) {
            expect(() => parseStoreUri(bad), bad).to.throw("MODEL_STORE_URI must look like s3://<bucket>/<prefix>");
        }
        expect(() => parseStoreUri("s3://models/a/../b")).to.throw("must not contain '.' or '..' segments");
    });

    it("parses the InferenceService reference and builds the merge patch", () => {
        expect(parseInferenceServiceRef("aiops-serving/anomaly-detector")).to.deep.equal({
            namespace: "aiops-serving",
            name: "anomaly-detector",
        });
        for (const bad of ["anomaly-detector", "a/b/c", "Aiops/x", "a/-x", "/x", "a/"]) {
            expect(() => parseInferenceServiceRef(bad), bad).to.throw("INFERENCE_SERVICE must be <namespace>/<name>");
        }
        expect(rollPatch("0123456789ab")).to.deep.equal({
            spec: { predictor: { annotations: { [MODEL_VERSION_ANNOTATION]: "0123456789ab" } } },
        });
    });

    it("quotes MLflow filter strings and maps mlflow-artifacts URIs to the proxy", () => {
        expect(filterString("a'b\\c")).to.equal("'a\\'b\\\\c'");
        const c = new MlflowClient({ url: "http://mlflow.mlflow.svc/prefix/" });
        expect(c.artifactUrl("mlflow-artifacts:/1/abc/artifacts", "model-set/node-cpu.json")).to.equal(
            "http://mlflow.mlflow.svc/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model-set/node-cpu.json",
        );
        expect(c.artifactUrl("mlflow-artifacts://mlflow:5000/1/abc/artifacts", "f x.json")).to.equal(
            "http://mlflow.mlflow.svc/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/f%20x.json",
        );
        expect(() => c.artifactUrl("s3://mlflow/1/abc/artifacts", "f")).to.throw("run the server with --serve-artifacts");
    });

    async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string }> {
        let err = "";
        const io: Io = { out: () => undefined, err: (t) => (err += t), env };
        return { code: await main(args, io), err };
    }

    const usage: Array<[string, string[], NodeJS.ProcessEnv, string]> = [
        ["train-all without --out-dir", ["train-all", "--prometheus", "http://p:9090"], {}, "train-all: --out-dir is required"],
        ["train-all without Prometheus", ["train-all", "--out-dir", "x"], {}, "train-all: --prometheus (or PROMETHEUS_URL) is required"],
        [
            "a bad Prometheus URL",
            ["train-all", "--out-dir", "x", "--prometheus", "p:9090"],
            {},
            "must start with http:// or https://; got 'p:9090'",
        ],
        [
            "a bad env number",
            ["train-all", "--out-dir", "x"],
            { PROMETHEUS_URL: "http://p", TRAINING_HOURS: "a week" },
            "train-all: TRAINING_HOURS must be a positive number of hours; got 'a week'",
        ],
        [
            "a bad flag number",
            ["train-all", "--out-dir", "x", "--hours", "0"],
            { PROMETHEUS_URL: "http://p" },
            "train-all: --hours must be a positive number of hours; got '0'",
        ],
        [
            "a bad holdout",
            ["train-all", "--out-dir", "x", "--holdout", "1"],
            { PROMETHEUS_URL: "http://p" },
            "--holdout must be a fraction between 0 and 1 (exclusive); got '1'",
        ],
        [
            "a bad min-points",
            ["train-all", "--out-dir", "x", "--min-points", "1"],
            { PROMETHEUS_URL: "http://p" },
            "--min-points must be an integer >= 2; got '1'",
        ],
        [
            "a bad feature set",
            ["train-all", "--out-dir", "x", "--features", "fancy"],
            { PROMETHEUS_URL: "http://p" },
            "train-all: --features must be seed or default; got 'fancy'",
        ],
        ["publish without --dir", ["publish"], {}, "publish: --dir is required"],
        ["publish without MLflow", ["publish", "--dir", "d"], {}, "publish: --mlflow (or MLFLOW_TRACKING_URI) is required"],
        [
            "promote with both",
            ["promote", "--version", "0123456789ab", "--dir", "d"],
            {},
            "promote: give exactly one of --version V or --dir DIR",
        ],
        ["a bad version", ["promote", "--version", "v1"], {}, "promote: --version must be 12 hex digits; got 'v1'"],
        ["rollback without --version", ["rollback"], {}, "rollback: --version is required"],
        [
            "a bad store URI",
            ["bootstrap"],
            { MODEL_STORE_URI: "models" },
            "bootstrap: MODEL_STORE_URI must look like s3://<bucket>/<prefix>",
        ],
        [
            "a bad path style",
            ["bootstrap"],
            { MODEL_STORE_URI: "s3://models/x", S3_FORCE_PATH_STYLE: "yes" },
            "bootstrap: S3_FORCE_PATH_STYLE must be true or false; got 'yes'",
        ],
        [
            "a bad endpoint",
            ["bootstrap"],
            { MODEL_STORE_URI: "s3://models/x", S3_ENDPOINT_URL: "minio:9000" },
            "S3_ENDPOINT_URL must start with http:// or https://; got 'minio:9000'",
        ],
        [
            "inverted bounds",
            ["promote", "--version", "0123456789ab", "--min-flag-rate", "0.5", "--max-flag-rate", "0.1"],
            { MLFLOW_TRACKING_URI: "http://m", MODEL_STORE_URI: "s3://models/x" },
            "promote: the minimum flag rate (0.5) is above the maximum (0.1)",
        ],
        [
            "a bad InferenceService",
            ["promote", "--version", "0123456789ab"],
            { MLFLOW_TRACKING_URI: "http://m", MODEL_STORE_URI: "s3://models/x", INFERENCE_SERVICE: "anomaly-detector" },
            "INFERENCE_SERVICE must be <namespace>/<name>",
        ],
        ["a bad wait", ["run", "--wait-for-history", "soon"], {}, "run: --wait-for-history (HISTORY_WAIT) must be a duration"],
        ["an unknown flag", ["publish", "--bucket", "b"], {}, "publish: unknown option --bucket"],
    ];
    for (const [what, args, env, message] of usage) {
        it(`exits 2 with the trainer usage on ${what}`, async () => {
            const r = await run(args, env);
            expect(r.code).to.equal(2);
            expect(r.err).to.include(message);
            expect(r.err).to.include("trainer commands (flags win over the environment variables in brackets)");
        });
    }

    it("prints the trainer usage on help and names every setting of the contract", async () => {
        let out = "";
        expect(await main(["help", "trainer"], { out: (t) => (out += t), err: () => undefined, env: {} })).to.equal(0);
        for (const name of Object.values(TRAINER_ENV)) expect(out).to.include(name);
    });
});

describe("model set manifest", () => {
    const models = [
        { name: "node-cpu", version: "aaaaaaaaaaaa" },
        { name: "node-disk", version: "bbbbbbbbbbbb" },
    ];

    it("versions a set by its models, in any order, and changes with any model", () => {
        const v = setVersion(models);
        expect(v).to.match(/^[0-9a-f]{12}$/);
        expect(setVersion([...models].reverse())).to.equal(v);
        expect(setVersion([models[0], { ...models[1], version: "cccccccccccc" }])).to.not.equal(v);
        expect(setVersion([{ ...models[0], name: "node-cpu2" }, models[1]])).to.not.equal(v);
    });

    it("checks the fields promotion relies on", () => {
        const m = (over: Record<string, unknown>) =>
            JSON.stringify({
                format: "aiops-model-set",
                formatVersion: 1,
                version: setVersion(models),
                holdout: { file: "holdout.json.gz", sha256: "x" },
                models: models.map((x) => ({ ...x, file: `${x.name}.json`, sha256: "s" })),
                ...over,
            });
        expect(parseManifest(m({}), "m").version).to.equal(setVersion(models));
        expect(() => parseManifest(m({ version: "0123456789ab" }), "m")).to.throw(
            `m: version 0123456789ab does not match its models (expected ${setVersion(models)})`,
        );
        expect(() => parseManifest(m({ format: "x", models: [] }), "m")).to.throw(
            'm: format must be "aiops-model-set", got "x"; models must be a non-empty array',
        );
        expect(() => parseManifest(m({ models: [{ ...models[0], file: "../x.json", sha256: "s" }] }), "m")).to.throw(
            'models[0].file must be "node-cpu.json"',
        );
        expect(() => parseManifest("{", "m")).to.throw("m is not valid JSON");
    });

    it("derives the lookback and the default minimum from the feature windows", () => {
        expect(lookbackPoints("default")).to.equal(290);
        expect(lookbackPoints("seed")).to.equal(4);
        expect(HOLDOUT_CONTEXT_POINTS).to.equal(290);
        expect(defaultMinPoints(undefined)).to.equal(350);
        expect(defaultMinPoints({ featureSet: "seed" })).to.equal(64);
    });

    it("words durations and finds the held-back start", () => {
        expect([duration(30), duration(59.6), duration(3000), duration(5280), duration(7200)]).to.deep.equal([
            "30 s",
            "1 min",
            "50 min",
            "1 h 28 min",
            "2 h",
        ]);
        const points = [10, 20, 30].map((timestamp) => ({ timestamp, value: 0 }));
        expect([
            firstAtOrAfter(points, 5),
            firstAtOrAfter(points, 20),
            firstAtOrAfter(points, 21),
            firstAtOrAfter(points, 31),
        ]).to.deep.equal([0, 1, 2, 3]);
    });
});

describe("pooled training (trainModel on several series)", () => {
    const a = cpuSeries(600, { seed: 1, level: 20 });
    const b = cpuSeries(600, { seed: 2, level: 70, start: 1_700_100_000 });

    it("computes features per series and pools the rows", () => {
        const stats: TrainingStats = {};
        const pooled = trainModel([a, b], { name: "pooled", trees: 10 }, stats);
        expect(pooled.training).to.deep.equal({ start: a[0].timestamp, end: b[b.length - 1].timestamp, points: 1200 });
        // The second node's high level is its own baseline: its robust z-scores look like the first node's.
        const rows = [a, b].flatMap((s) => computeFeatures(s, "default", pooled.featureParams).rows);
        expect(pooled.drift[1].fractions.reduce((x, y) => x + y, 0)).to.be.closeTo(1, 1e-9);
        const robust = rows.map((r) => r[1]);
        expect(Math.max(...robust.slice(600, 1200).map(Math.abs))).to.be.below(5);
        expect(stats.trainingFlagRate).to.be.closeTo(DEFAULT_TRAIN_OPTIONS.contamination as number, 0.005);
    });

    it("gives a single series the same model as before, and refuses no data", () => {
        const one = trainModel(a, { name: "m", trees: 5 });
        const list = trainModel([a], { name: "m", trees: 5 });
        expect({ ...list, createdAt: "" }).to.deep.equal({ ...one, createdAt: "" });
        expect(() => trainModel([[], []], { name: "m" })).to.throw("the training series is empty");
    });
});

describe("a trained set in the detector's model directory", () => {
    it("loads the four models and skips manifest.json, the held-back data and the placeholder", () => {
        const dir = tempDir("trainer-set-");
        try {
            const series = (seed: number) => {
                const points = cpuSeries(700, { seed });
                return { timestamps: points.map((p) => p.timestamp), values: points.map((p) => p.value) };
            };
            const byInstance = new Map([
                ["a:9100", series(1)],
                ["b:9100", series(2)],
            ]);
            const end = 1_700_000_000 + 699 * 10;
            const manifest = trainFetched(
                {
                    start: end - 700 * 10,
                    end,
                    step: 10,
                    minPoints: 350,
                    series: new Map(METRIC_NAMES.map((m) => [m, byInstance])),
                },
                { prometheus: "http://p", hours: 2, outDir: dir, train: { trees: 5 } },
            );
            writeFileSync(join(dir, MODEL_FILES.placeholder), "no model trained yet\n");
            const repo = loadModelRepository(dir);
            expect(repo.failures).to.deep.equal([]);
            expect(isReady(repo)).to.equal(true);
            expect([...repo.models.keys()].sort()).to.deep.equal([...MODEL_NAMES].sort());
            // The detector's version of each file is the manifest's.
            for (const m of manifest.models) expect(repo.models.get(m.name)?.version).to.equal(m.version);
            expect(manifest.training.trees).to.equal(5);
            expect(manifest.models[0].instances.map((i) => i.instance)).to.deep.equal(["a:9100", "b:9100"]);
        } finally {
            removeDir(dir);
        }
    });
});

describe("trainer settings: flags, environment and defaults", () => {
    const log = () => undefined;
    const P = { PROMETHEUS_URL: "http://prom:9090" };

    it("train-all: defaults, environment, and flags over the environment", () => {
        expect(trainAllOptions("train-all", {}, P, "out", log)).to.deep.include({
            prometheus: "http://prom:9090",
            hours: 168,
            step: 10,
            holdoutFraction: 0.1,
            minPoints: undefined,
            end: undefined,
            outDir: "out",
            train: {},
        });
        const env = { ...P, TRAINING_HOURS: "24", TRAINING_STEP_SECONDS: "30", TRAINING_HOLDOUT_FRACTION: "0.2", TRAINING_MIN_POINTS: "2" };
        expect(trainAllOptions("train-all", {}, env, "out", log)).to.deep.include({
            hours: 24,
            step: 30,
            holdoutFraction: 0.2,
            minPoints: 2,
        });
        const flags = {
            prometheus: "https://p2",
            hours: "2",
            step: "15",
            holdout: "0.05",
            "min-points": "400",
            end: "1700000000",
            trees: "7",
        };
        expect(trainAllOptions("train-all", flags, env, "out", log)).to.deep.include({
            prometheus: "https://p2",
            hours: 2,
            step: 15,
            holdoutFraction: 0.05,
            minPoints: 400,
            end: 1700000000,
            train: { trees: 7 },
        });
        // An empty variable counts as unset; an empty flag falls back to the variable.
        expect(
            trainAllOptions("train-all", { hours: "" }, { ...P, TRAINING_HOURS: "", TRAINING_STEP_SECONDS: "" }, "o", log),
        ).to.deep.include({
            hours: 168,
            step: 10,
        });
        expect(() => trainAllOptions("train-all", {}, { ...P, TRAINING_STEP_SECONDS: "0" }, "o", log)).to.throw(
            "train-all: TRAINING_STEP_SECONDS must be a positive number of seconds; got '0'",
        );
        expect(() => trainAllOptions("train-all", {}, { ...P, TRAINING_HOURS: " " }, "o", log)).to.throw("TRAINING_HOURS must be");
        expect(() => trainAllOptions("train-all", {}, { ...P, TRAINING_HOLDOUT_FRACTION: "0" }, "o", log)).to.throw(
            "TRAINING_HOLDOUT_FRACTION must be a fraction between 0 and 1 (exclusive); got '0'",
        );
        expect(() => trainAllOptions("train-all", {}, { ...P, TRAINING_MIN_POINTS: "2.5" }, "o", log)).to.throw(
            "TRAINING_MIN_POINTS must be an integer >= 2",
        );
        expect(() => trainAllOptions("train-all", {}, { PROMETHEUS_URL: "http:///x" }, "o", log)).to.throw(
            "must start with http:// or https://",
        );
    });

    it("promotion bounds: defaults, inclusive 0 and 1, and the order check", () => {
        expect(guard("promote", {}, {})).to.deep.equal({
            bounds: { minFlagRate: 0, maxFlagRate: 0.1, tolerance: 0 },
            inferenceService: undefined,
        });
        const env = {
            PROMOTION_MIN_FLAG_RATE: "0.01",
            PROMOTION_MAX_FLAG_RATE: "1",
            PROMOTION_TOLERANCE: "0.005",
            INFERENCE_SERVICE: "ns/isvc",
        };
        expect(guard("promote", {}, env)).to.deep.equal({
            bounds: { minFlagRate: 0.01, maxFlagRate: 1, tolerance: 0.005 },
            inferenceService: { namespace: "ns", name: "isvc" },
        });
        expect(guard("promote", { "max-flag-rate": "0.2", tolerance: "0", "inference-service": "a/b" }, env)).to.deep.equal({
            bounds: { minFlagRate: 0.01, maxFlagRate: 0.2, tolerance: 0 },
            inferenceService: { namespace: "a", name: "b" },
        });
        // Equal bounds are allowed.
        expect(guard("promote", { "min-flag-rate": "0.05", "max-flag-rate": "0.05" }, {}).bounds.minFlagRate).to.equal(0.05);
        expect(() => guard("promote", {}, { PROMOTION_MAX_FLAG_RATE: "1.5" })).to.throw(
            "PROMOTION_MAX_FLAG_RATE must be a rate between 0 and 1; got '1.5'",
        );
        expect(() => guard("promote", {}, { PROMOTION_MIN_FLAG_RATE: "-0.1" })).to.throw(
            "PROMOTION_MIN_FLAG_RATE must be a rate between 0 and 1",
        );
        expect(() => guard("promote", { tolerance: "2" }, {})).to.throw("promote: --tolerance must be a rate between 0 and 1; got '2'");
    });

    it("object store: endpoint, path style, region and the URI check", () => {
        const S = { MODEL_STORE_URI: "s3://models/anomaly-detector" };
        expect(storeOptions("publish", {}, S)).to.deep.equal({
            uri: S.MODEL_STORE_URI,
            endpoint: undefined,
            forcePathStyle: undefined,
            region: undefined,
        });
        expect(
            storeOptions(
                "publish",
                { store: "s3://other/x" },
                { ...S, S3_ENDPOINT_URL: "https://storage.googleapis.com", S3_FORCE_PATH_STYLE: "TRUE", AWS_REGION: "auto" },
            ),
        ).to.deep.equal({ uri: "s3://other/x", endpoint: "https://storage.googleapis.com", forcePathStyle: true, region: "auto" });
        for (const [text, value] of [
            ["1", true],
            ["true", true],
            ["false", false],
            ["0", false],
            ["", undefined],
        ] as const) {
            expect(storeOptions("publish", {}, { ...S, S3_FORCE_PATH_STYLE: text }).forcePathStyle, text).to.equal(value);
        }
        expect(storeOptions("publish", {}, { ...S, AWS_DEFAULT_REGION: "eu-west-1" }).region).to.equal("eu-west-1");
        expect(storeOptions("publish", {}, { ...S, AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "eu-west-1" }).region).to.equal(
            "us-west-2",
        );
        expect(storeOptions("publish", {}, { ...S, S3_ENDPOINT_URL: "" }).endpoint).to.equal(undefined);
        expect(() => storeOptions("publish", {}, { ...S, S3_FORCE_PATH_STYLE: "truely" })).to.throw(
            "S3_FORCE_PATH_STYLE must be true or false",
        );
        expect(() => storeOptions("publish", {}, { ...S, S3_FORCE_PATH_STYLE: "xfalse" })).to.throw(
            "S3_FORCE_PATH_STYLE must be true or false",
        );
        expect(() => storeOptions("publish", {}, { ...S, S3_ENDPOINT_URL: "http:///x" })).to.throw(
            "S3_ENDPOINT_URL must start with http:// or https://",
        );
        expect(() => storeOptions("publish", {}, { ...S, S3_ENDPOINT_URL: "xhttp://minio" })).to.throw(
            "S3_ENDPOINT_URL must start with http:// or https://",
        );
        expect(() => storeOptions("publish", {}, {})).to.throw("publish: --store (or MODEL_STORE_URI) is required");
    });

    it("MLflow: URL, experiment and its auth variables", () => {
        expect(mlflowOptions("publish", {}, { MLFLOW_TRACKING_URI: "http://mlflow" })).to.deep.equal({
            options: { url: "http://mlflow", token: undefined, username: undefined, password: undefined },
            experiment: "anomaly-detector",
        });
        expect(
            mlflowOptions(
                "publish",
                { mlflow: "https://m2", experiment: "x" },
                { MLFLOW_TRACKING_URI: "http://mlflow", MLFLOW_TRACKING_TOKEN: "t", MLFLOW_EXPERIMENT_NAME: "e" },
            ),
        ).to.deep.equal({ options: { url: "https://m2", token: "t", username: undefined, password: undefined }, experiment: "x" });
        expect(
            mlflowOptions("p", {}, { MLFLOW_TRACKING_URI: "http://m", MLFLOW_EXPERIMENT_NAME: "e", MLFLOW_TRACKING_TOKEN: "" }).experiment,
        ).to.equal("e");
        expect(mlflowOptions("p", {}, { MLFLOW_TRACKING_URI: "http://m", MLFLOW_TRACKING_TOKEN: "" }).options.token).to.equal(undefined);
        expect(() => mlflowOptions("p", {}, { MLFLOW_TRACKING_URI: "mlflow:5000" })).to.throw(
            "p: the MLflow tracking URI must start with http:// or https://; got 'mlflow:5000'",
        );
    });

    it("parses plain seconds and durations strictly", () => {
        expect(parseDuration("1.5", "x")).to.equal(1.5);
        expect(parseDuration("0.5m", "x")).to.equal(30);
        for (const bad of ["1.", "x1", "1h.", "1.5.5"]) expect(() => parseDuration(bad, "x"), bad).to.throw("x must be a duration");
    });

    it("anchors the store URI and the InferenceService patterns", () => {
        expect(parseStoreUri(" s3://models//a//b// ")).to.deep.equal({ bucket: "models", prefix: "a//b" });
        for (const bad of ["xs3://models/x", "s3://models?x", "s3://mo"])
            expect(() => parseStoreUri(bad), bad).to.throw("MODEL_STORE_URI must look like");
        expect(parseInferenceServiceRef(" a/b ")).to.deep.equal({ namespace: "a", name: "b" });
        for (const bad of ["xa/b!", "a/b/", "a/b c"])
            expect(() => parseInferenceServiceRef(bad), bad).to.throw("INFERENCE_SERVICE must be");
    });

    it("pins the set version's text and the manifest's remaining checks", () => {
        const three = [
            { name: "b", version: "bbbbbbbbbbbb" },
            { name: "c", version: "cccccccccccc" },
            { name: "a", version: "aaaaaaaaaaaa" },
        ];
        const expected = createHash("sha256").update("a aaaaaaaaaaaa\nb bbbbbbbbbbbb\nc cccccccccccc\n").digest("hex").slice(0, 12);
        expect(setVersion(three)).to.equal(expected);
        expect(setVersion([three[1], three[2], three[0]])).to.equal(expected);
        expect(duration(3600)).to.equal("1 h");
        expect(duration(3599)).to.equal("1 h");
        expect(duration(3540)).to.equal("59 min");
        const good = {
            format: "aiops-model-set",
            formatVersion: 1,
            version: setVersion([three[2]]),
            holdout: { file: "holdout.json.gz", sha256: "x" },
            models: [{ name: "a", version: "aaaaaaaaaaaa", file: "a.json", sha256: "s" }],
        };
        const bad = (over: Record<string, unknown>) => () => parseManifest(JSON.stringify({ ...good, ...over }), "m");
        expect(parseManifest(JSON.stringify(good), "m").models).to.have.length(1);
        expect(() => parseManifest("[]", "m")).to.throw("m: expected a JSON object");
        expect(() => parseManifest("null", "m")).to.throw("m: expected a JSON object");
        expect(() => parseManifest("3", "m")).to.throw("m: expected a JSON object");
        expect(bad({ formatVersion: 2 })).to.throw("m: formatVersion must be 1, got 2");
        expect(bad({ version: 12 })).to.throw("m: version must be 12 hex digits, got 12");
        expect(bad({ version: "x0123456789ab" })).to.throw("version must be 12 hex digits");
        expect(bad({ version: "0123456789abx" })).to.throw("version must be 12 hex digits");
        expect(bad({ holdout: { file: "h" } })).to.throw("m: holdout must name its file and sha256");
        expect(bad({ holdout: undefined })).to.throw("m: holdout must name its file and sha256");
        for (const model of [
            { version: "aaaaaaaaaaaa", file: "a.json", sha256: "s" },
            { name: "a", version: "aaaaaaaaaaaa", sha256: "s" },
            { name: "a", version: "aaaaaaaaaaaa", file: "a.json" },
            { name: "a", version: "aaaa", file: "a.json", sha256: "s" },
            null,
        ]) {
            expect(bad({ models: [model] }), JSON.stringify(model)).to.throw(
                "models[0] needs name, file, version (12 hex digits) and sha256",
            );
        }
        expect(bad({ models: [{ name: "a", version: "aaaaaaaaaaaa", file: "a/a.json", sha256: "s" }] })).to.throw(
            'models[0].file must be "a.json"',
        );
    });
});
