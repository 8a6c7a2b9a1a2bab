/**
 * The training pipeline's IR against the pipeline-spec shape of KFP 2.17.0 (proto-shape.ts, derived from
 * ../shared/reference/kfp/pipeline_spec.proto and kubernetes_executor_config.proto) and the semantic checks
 * of src/pipeline/validate.ts; the kfp SDK's own view is in kfp-sdk.spec.ts.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { buildPipelineIr, canonicalJson, irDigest, IR_BINDING, PipelineIr, pipelineYaml, versionName } from "../../src/pipeline/ir";
import { TRAINING_STEPS } from "../../src/pipeline/steps";
import { assertValidPipelineIr, findCycle, validatePipelineIr, validateRuntimeParameters } from "../../src/pipeline/validate";
import { platformSettings } from "./fixtures";
import { IR_MUTATIONS, mutant } from "./mutations";
import { irShapeProblems, KFP_REFERENCE } from "./proto-shape";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsyaml: { loadAll(text: string): unknown[] } = require("js-yaml");

const allProblems = (ir: PipelineIr) => [...irShapeProblems(ir), ...validatePipelineIr(ir)];

describe("training pipeline IR", () => {
    const settings = platformSettings();
    const ir = buildPipelineIr(settings);
    const spec = ir.pipelineSpec;

    it("passes the proto shape and the semantic checks", () => {
        expect(irShapeProblems(ir)).to.deep.equal([]);
        expect(validatePipelineIr(ir)).to.deep.equal([]);
        expect(() => assertValidPipelineIr(ir)).to.not.throw();
    });

    it("the shape check accepts KFP's own compiled samples (so it is not stricter than protojson)", () => {
        for (const file of ["two_step_pipeline_containerized.yaml", "container_io.yaml", "pipeline_with_secret_as_env.yaml"]) {
            const [pipelineSpec, platformSpec] = jsyaml.loadAll(readFileSync(join(KFP_REFERENCE, file), "utf8"));
            expect(irShapeProblems({ pipelineSpec, platformSpec }), file).to.deep.equal([]);
        }
    });

    it("is three tasks in a chain, train -> publish -> promote, none cached", () => {
        const tasks = spec.root.dag?.tasks ?? {};
        expect(Object.keys(tasks)).to.deep.equal(["train", "publish", "promote"]);
        expect(tasks.train.dependentTasks).to.equal(undefined);
        expect(tasks.publish.dependentTasks).to.deep.equal(["train"]);
        expect(tasks.promote.dependentTasks).to.deep.equal(["publish", "train"]);
        for (const t of Object.values(tasks)) expect(t.cachingOptions).to.deep.equal({ enableCache: false });
        expect(tasks.publish.inputs?.artifacts).to.deep.equal({
            models: { taskOutputArtifact: { producerTask: "train", outputArtifactKey: "models" } },
        });
        expect(spec.components["comp-train"].outputDefinitions).to.deep.equal({
            artifacts: { models: { artifactType: { schemaTitle: "system.Model", schemaVersion: "0.0.1" } } },
        });
        // promote reads the same set (its manifest names the candidate version) from train's artifact.
        expect(tasks.promote.inputs?.artifacts).to.deep.equal(tasks.publish.inputs?.artifacts);
        expect(spec.components["comp-promote"]).to.deep.equal({
            executorLabel: "exec-promote",
            inputDefinitions: { artifacts: { models: { artifactType: { schemaTitle: "system.Model", schemaVersion: "0.0.1" } } } },
        });
        expect(spec).to.include({ schemaVersion: "2.1.0", sdkVersion: "kfp-2.17.0" });
        expect(spec.pipelineInfo.name).to.equal("aiops-detector-training");
    });

    it("has the training window and Prometheus as root inputs with defaults from the settings", () => {
        expect(spec.root.inputDefinitions?.parameters).to.deep.equal({
            prometheus_url: {
                parameterType: "STRING",
                defaultValue: settings.prometheusUrl,
                isOptional: true,
                description: "Prometheus base URL the training reads node-exporter history from.",
            },
            training_hours: {
                parameterType: "NUMBER_INTEGER",
                defaultValue: 168,
                isOptional: true,
                description: "Hours of history each model is trained on.",
            },
            training_step_seconds: {
                parameterType: "NUMBER_INTEGER",
                defaultValue: 10,
                isOptional: true,
                description: "Resolution of the history, in seconds.",
            },
        });
        const custom = buildPipelineIr(platformSettings({ TRAINING_HOURS: "168", TRAINING_STEP_SECONDS: "30" })).pipelineSpec.root
            .inputDefinitions?.parameters;
        expect(custom?.training_hours.defaultValue).to.equal(168);
        expect(custom?.training_step_seconds.defaultValue).to.equal(30);
    });

    it("runs the trainer's commands in the detector image, parameters as placeholders in args", () => {
        const ex = spec.deploymentSpec.executors;
        expect(Object.keys(ex)).to.deep.equal(["exec-train", "exec-publish", "exec-promote"]);
        for (const e of Object.values(ex)) {
            expect(e.container.image).to.equal("ghcr.io/acme/aiops-detector:0.1.0");
            expect(e.container.command).to.deep.equal(["detector"]);
        }
        expect(ex["exec-train"].container.args).to.deep.equal([
            "train-all",
            "--prometheus",
            "{{$.inputs.parameters['prometheus_url']}}",
            "--hours",
            "{{$.inputs.parameters['training_hours']}}",
            "--step",
            "{{$.inputs.parameters['training_step_seconds']}}",
            "--out-dir",
            "{{$.outputs.artifacts['models'].path}}",
        ]);
        expect(ex["exec-publish"].container.args).to.deep.equal(["publish", "--dir", "{{$.inputs.artifacts['models'].path}}"]);
        expect(ex["exec-promote"].container.args).to.deep.equal(["promote", "--dir", "{{$.inputs.artifacts['models'].path}}"]);
        expect(ex["exec-train"].container.resources).to.deep.equal({
            resourceCpuLimit: "1",
            resourceCpuRequest: "100m",
            resourceMemoryLimit: "1Gi",
            resourceMemoryRequest: "256Mi",
        });
    });

    it("gives every step the same settings as env, and only publish and promote the object-store keys", () => {
        const expected = [
            { name: "PROMETHEUS_URL", value: "http://kps-prometheus.monitoring.svc.cluster.local:9090" },
            { name: "MLFLOW_TRACKING_URI", value: "http://mlflow.mlflow.svc.cluster.local:5000" },
            { name: "MODEL_STORE_URI", value: "s3://models/anomaly-detector" },
            { name: "S3_ENDPOINT_URL", value: "http://object-store.object-store.svc.cluster.local:9000" },
            { name: "S3_FORCE_PATH_STYLE", value: "true" },
            { name: "AWS_REGION", value: "us-east-1" },
            { name: "INFERENCE_SERVICE", value: "models/anomaly-detector" },
            { name: "TRAINING_HOURS", value: "168" },
            { name: "TRAINING_STEP_SECONDS", value: "10" },
            { name: "PROMOTION_MIN_FLAG_RATE", value: "0.001" },
            { name: "PROMOTION_MAX_FLAG_RATE", value: "0.05" },
        ];
        for (const e of Object.values(spec.deploymentSpec.executors)) expect(e.container.env).to.deep.equal(expected);
        const k8s = ir.platformSpec.platforms.kubernetes.deploymentSpec.executors;
        expect(k8s["exec-train"].secretAsEnv).to.equal(undefined);
        for (const label of ["exec-publish", "exec-promote"])
            expect(k8s[label].secretAsEnv).to.deep.equal([
                {
                    secretName: "object-store-credentials",
                    keyToEnv: [
                        { secretKey: "AWS_ACCESS_KEY_ID", envVar: "AWS_ACCESS_KEY_ID" },
                        { secretKey: "AWS_SECRET_ACCESS_KEY", envVar: "AWS_SECRET_ACCESS_KEY" },
                    ],
                    optional: false,
                    secretNameParameter: { runtimeValue: { constant: "object-store-credentials" } },
                },
            ]);
        expect(k8s["exec-train"]).to.deep.include({
            activeDeadlineSeconds: "1800",
            securityContext: { runAsUser: "65532", runAsGroup: "65532", runAsNonRoot: true },
            podMetadata: {
                labels: {
                    "app.kubernetes.io/name": "aiops-detector-training",
                    "app.kubernetes.io/component": "train",
                    "app.kubernetes.io/part-of": "aiops",
                },
            },
        });
    });

    it("leaves optional settings and the keys out when they are not configured (workload identity)", () => {
        const lean = buildPipelineIr(
            platformSettings({
                OBJECT_STORE_SECRET: undefined,
                S3_ENDPOINT_URL: undefined,
                S3_FORCE_PATH_STYLE: undefined,
                AWS_REGION: undefined,
                PROMOTION_MIN_FLAG_RATE: undefined,
                PROMOTION_MAX_FLAG_RATE: "",
            }),
        );
        expect(lean.pipelineSpec.deploymentSpec.executors["exec-publish"].container.env?.map((e) => e.name)).to.deep.equal([
            "PROMETHEUS_URL",
            "MLFLOW_TRACKING_URI",
            "MODEL_STORE_URI",
            "INFERENCE_SERVICE",
            "TRAINING_HOURS",
            "TRAINING_STEP_SECONDS",
        ]);
        for (const c of Object.values(lean.platformSpec.platforms.kubernetes.deploymentSpec.executors))
            expect(c).to.not.have.property("secretAsEnv");
        expect(allProblems(lean)).to.deep.equal([]);
    });

    it("the IR placeholders are the ones the steps' args use", () => {
        const text = JSON.stringify(spec.deploymentSpec);
        for (const ph of [...Object.values(IR_BINDING.parameters), IR_BINDING.modelsIn, IR_BINDING.modelsOut]) expect(text).to.include(ph);
        expect(TRAINING_STEPS.map((s) => s.name)).to.deep.equal(Object.keys(spec.root.dag?.tasks ?? {}));
    });

    it("renders as two YAML documents that every parser reads back to the same IR", () => {
        const text = pipelineYaml(ir);
        expect(text.split("\n").slice(0, 3)).to.deep.equal([
            "# PIPELINE DEFINITION",
            "# Name: aiops-detector-training",
            `# Description: ${spec.pipelineInfo.description}`,
        ]);
        expect(text).to.include("#    training_hours: int [Default: 168]");
        const docs = parseAllDocuments(text).map((d) => d.toJSON());
        expect(docs).to.deep.equal([ir.pipelineSpec, ir.platformSpec]);
        expect(jsyaml.loadAll(text)).to.deep.equal([ir.pipelineSpec, ir.platformSpec]);
    });

    it("is deterministic, and its digest changes with anything that changes the IR", () => {
        expect(pipelineYaml(buildPipelineIr(platformSettings()))).to.equal(pipelineYaml(ir));
        expect(irDigest(buildPipelineIr(platformSettings())))
            .to.equal(irDigest(ir))
            .and.match(/^[0-9a-f]{64}$/);
        expect(versionName(ir)).to.equal(`aiops-detector-training-${irDigest(ir).slice(0, 12)}`);
        const variants = [
            { DETECTOR_IMAGE: "ghcr.io/acme/aiops-detector:0.1.1" },
            { TRAINING_HOURS: "48" },
            { PROMETHEUS_URL: "http://prometheus:9090" },
            { OBJECT_STORE_SECRET: "other" },
            { PIPELINE_NAME: "nightly-training" },
        ];
        const digests = new Set([irDigest(ir), ...variants.map((v) => irDigest(buildPipelineIr(platformSettings(v))))]);
        expect(digests.size).to.equal(variants.length + 1);
        // The schedule, the pause switch and the service account belong to the recurring run, not the IR.
        for (const v of [{ TRAINING_SCHEDULE: "0 3 * * *" }, { TRAINING_SCHEDULE_PAUSED: "true" }, { PIPELINE_SERVICE_ACCOUNT: "trainer" }])
            expect(irDigest(buildPipelineIr(platformSettings(v))), JSON.stringify(v)).to.equal(irDigest(ir));
        expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).to.equal('{"a":[{"d":2}],"b":1}');
    });

    describe("a broken IR fails our checks", () => {
        for (const m of IR_MUTATIONS)
            it(m.name, () => {
                const problems = allProblems(mutant(ir, m));
                expect(problems.join("\n")).to.include(m.expect);
            });
        it("assertValidPipelineIr lists every problem in one error", () => {
            const broken = mutant(mutant(ir, IR_MUTATIONS[0]), IR_MUTATIONS[4]);
            expect(() => assertValidPipelineIr(broken)).to.throw(
                /^pipeline IR is invalid:\n {2}- .*'publsh'[\s\S]*\n {2}- .*'exec-publish' is not in deploymentSpec/,
            );
        });
    });

    it("checks runtime parameters the way KFP's API server does", () => {
        expect(validateRuntimeParameters(ir, { training_hours: 12 })).to.deep.equal([]);
        expect(validateRuntimeParameters(ir, { training_hours: "12", hours: 1, prometheus_url: 9090 })).to.deep.equal([
            "parameter prometheus_url must be STRING; got 9090",
            'parameter training_hours must be NUMBER_INTEGER; got "12"',
            "parameter hours is not an input of the pipeline",
        ]);
        const required = mutant(ir, {
            name: "",
            expect: "",
            sdkLoad: "loads",
            mutate: (s) => delete s.root.inputDefinitions.parameters.training_hours.defaultValue,
        });
        required.pipelineSpec.root.inputDefinitions!.parameters!.training_hours.isOptional = false;
        expect(validateRuntimeParameters(required, {})).to.deep.equal(["parameter training_hours is required and has no default"]);
    });

    it("findCycle reports the loop, or nothing for a DAG", () => {
        expect(findCycle({ a: ["b"], b: ["c"], c: [] })).to.equal(undefined);
        expect(findCycle({ a: ["b"], b: ["c"], c: ["a"] })).to.deep.equal(["a", "b", "c", "a"]);
        expect(findCycle({ a: ["a"] })).to.deep.equal(["a", "a"]);
        expect(findCycle({ a: ["missing"] })).to.equal(undefined);
    });
});
