/**
 * The training pipeline IR as the official kfp SDK sees it: kfp==2.17.0 and kfp-kubernetes==2.17.0 from
 * PyPI (.ci/run installs them into its virtualenv), driven through kfp_sdk_check.py. Locally the test skips
 * when `python3` cannot import kfp 2.17.0 (set KFP_PYTHON to a virtualenv's python); with CI=true it fails.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPipelineIr, pipelineYaml } from "../../src/pipeline/ir";
import { CREDENTIAL_KEYS } from "../../src/pipeline/settings";
import { STEP_USER, stepLabels, TRAINING_STEPS } from "../../src/pipeline/steps";
import { platformSettings } from "./fixtures";
import { IR_MUTATIONS, mutant } from "./mutations";
import { KFP_REFERENCE } from "./proto-shape";

const PYTHON = process.env.KFP_PYTHON ?? "python3";
const SCRIPT = join(__dirname, "kfp_sdk_check.py");
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

interface SdkResult {
    file: string;
    loaded: boolean;
    error?: string;
    name?: string;
    description?: string;
    inputs?: Record<string, { type: string; default: unknown; optional: boolean }>;
    schema_version?: string;
    tasks?: Record<string, { component: string; dependent_tasks: string[]; enable_cache: boolean }>;
    executors?: Record<string, { image: string; command: string[]; args: string[]; env: Record<string, string> }>;
    deployment_error?: string;
    platform?: Record<string, Record<string, unknown>>;
    platform_errors?: Record<string, string>;
    wrapped_compile?: string;
}

function kfpVersion(): string | undefined {
    const r = spawnSync(PYTHON, ["-c", "import kfp, kfp.kubernetes; print(kfp.__version__)"], { encoding: "utf8", timeout: 60_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

describe("training pipeline IR loaded by the kfp 2.17.0 SDK", function () {
    this.timeout(90_000);
    const settings = platformSettings();
    const ir = buildPipelineIr(settings);
    let dir: string;
    let report: { kfp: string; results: SdkResult[]; sdk_platform: Record<string, Record<string, unknown>> };
    const file = (name: string) => join(dir, `${name}.yaml`);
    const result = (name: string) => report.results.find((r) => r.file === file(name)) as SdkResult;

    before(function () {
        const version = kfpVersion();
        if (version !== "2.17.0") {
            if (inCi) throw new Error(`kfp==2.17.0 is required in CI (PIP_PACKAGES in .ci/run); ${PYTHON} has ${version ?? "no kfp"}`);
            this.skip();
        }
        dir = mkdtempSync(join(tmpdir(), "kfp-sdk-"));
        writeFileSync(file("pipeline"), pipelineYaml(ir));
        writeFileSync(file("no-keys"), pipelineYaml(buildPipelineIr(platformSettings({ OBJECT_STORE_SECRET: undefined }))));
        IR_MUTATIONS.forEach((m, i) => writeFileSync(file(`mutant-${i}`), pipelineYaml(mutant(ir, m))));
        const platform = Object.fromEntries(
            TRAINING_STEPS.map((s) => [
                `exec-${s.name}`,
                {
                    secret: s.usesObjectStore ? settings.credentialsSecret : null,
                    keys: {
                        [CREDENTIAL_KEYS.accessKey]: CREDENTIAL_KEYS.accessKey,
                        [CREDENTIAL_KEYS.secretKey]: CREDENTIAL_KEYS.secretKey,
                    },
                    labels: stepLabels(settings.pipelineName, s.name),
                    timeout: s.deadlineSeconds,
                    uid: STEP_USER,
                },
            ]),
        );
        const files = [
            file("pipeline"),
            file("no-keys"),
            join(KFP_REFERENCE, "pipeline_with_secret_as_env.yaml"),
            ...IR_MUTATIONS.map((_, i) => file(`mutant-${i}`)),
        ];
        const run = spawnSync(PYTHON, [SCRIPT], {
            input: JSON.stringify({ files, platform }),
            encoding: "utf8",
            timeout: 80_000,
            maxBuffer: 32 << 20,
        });
        if (run.status !== 0) throw new Error(`kfp_sdk_check.py failed (${run.status}): ${run.stderr}`);
        report = JSON.parse(run.stdout);
    });

    after(() => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it("is the pinned SDK", () => {
        expect(report.kfp).to.equal("2.17.0");
    });

    it("loads the pipeline: name, description, inputs with defaults, tasks", () => {
        const r = result("pipeline");
        expect(r.loaded, r.error).to.equal(true);
        expect(r.name).to.equal("aiops-detector-training");
        expect(r.description).to.equal(ir.pipelineSpec.pipelineInfo.description);
        expect(r.schema_version).to.equal("2.1.0");
        expect(r.inputs).to.deep.equal({
            prometheus_url: { type: "String", default: settings.prometheusUrl, optional: true },
            training_hours: { type: "Integer", default: 168, optional: true },
            training_step_seconds: { type: "Integer", default: 10, optional: true },
        });
        expect(r.tasks).to.deep.equal({
            train: { component: "comp-train", dependent_tasks: [], enable_cache: false },
            publish: { component: "comp-publish", dependent_tasks: ["train"], enable_cache: false },
            promote: { component: "comp-promote", dependent_tasks: ["publish", "train"], enable_cache: false },
        });
    });

    it("reads the executors as PipelineDeploymentConfig exactly as built", () => {
        const r = result("pipeline");
        expect(r.deployment_error).to.equal(undefined);
        const expected = Object.fromEntries(
            Object.entries(ir.pipelineSpec.deploymentSpec.executors).map(([label, e]) => [
                label,
                {
                    image: e.container.image,
                    command: e.container.command,
                    args: e.container.args,
                    env: Object.fromEntries((e.container.env ?? []).map((v) => [v.name, v.value])),
                },
            ]),
        );
        expect(r.executors).to.deep.equal(expected);
    });

    it("reads each Kubernetes executor config as kfp-kubernetes writes the same settings", () => {
        const r = result("pipeline");
        expect(r.platform_errors).to.deep.equal({});
        expect(Object.keys(report.sdk_platform)).to.have.members(["exec-train", "exec-publish", "exec-promote"]);
        for (const [label, sdk] of Object.entries(report.sdk_platform)) {
            expect(r.platform?.[label], label).to.deep.equal(sdk);
            expect(ir.platformSpec.platforms.kubernetes.deploymentSpec.executors[label], label).to.deep.equal(sdk);
        }
        expect(result("no-keys").platform?.["exec-publish"]).to.not.have.property("secretAsEnv");
    });

    it("compiles as a task of another pipeline (the SDK's compiler accepts the component)", () => {
        expect(result("pipeline").wrapped_compile).to.equal("ok");
        expect(result("no-keys").wrapped_compile).to.equal("ok");
    });

    it("loads KFP's own secret-as-env sample the same way (the check itself works)", () => {
        const r = report.results.find((x) => x.file.endsWith("pipeline_with_secret_as_env.yaml")) as SdkResult;
        expect(r.loaded, r.error).to.equal(true);
        expect(r.platform_errors).to.deep.equal({});
        expect(Object.keys(r.platform ?? {})).to.deep.equal(["exec-comp"]);
    });

    describe("what the SDK's load checks, and what only our checks catch", () => {
        IR_MUTATIONS.forEach((m, i) =>
            it(`${m.name}: SDK ${m.sdkLoad}`, () => {
                const r = result(`mutant-${i}`);
                expect(r.loaded ? "loads" : "refuses", r.error).to.equal(m.sdkLoad);
            }),
        );
        it("the SDK's strict protobuf parsers agree with proto-shape.ts on the misspelt fields it does not check on load", () => {
            const index = (name: string) => IR_MUTATIONS.findIndex((m) => m.name.startsWith(name));
            expect(result(`mutant-${index("misspelt container field")}`).deployment_error).to.match(
                /ParseError: .*has no field named "envs"/,
            );
            expect(result(`mutant-${index("misspelt Kubernetes executor config field")}`).platform_errors?.["exec-publish"]).to.match(
                /ParseError: .*has no field named "secretsAsEnv"/,
            );
            expect(result(`mutant-${index("int64 field given as text")}`).platform_errors?.["exec-train"]).to.match(
                /ParseError: .*activeDeadlineSeconds/,
            );
        });
    });
});
