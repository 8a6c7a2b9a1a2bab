/**
 * The CronJob fallback runs the pipeline's steps: same commands, same args (placeholders bound to the
 * parameter defaults and the shared directory), same env, same object-store keys; and is a valid batch/v1
 * CronJob (kubernetes-models' schema for the Kubernetes API).
 */
import { expect } from "chai";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { CRONJOB_MODELS_DIR, cronJobSpec } from "../../src/pipeline/cronjob";
import { buildPipelineIr, IR_BINDING } from "../../src/pipeline/ir";
import type { TrainingSettings } from "../../src/pipeline/settings";
import { TRAINING_STEPS } from "../../src/pipeline/steps";
import { platformSettings } from "./fixtures";
import { robfigV1Parse } from "./kfp-standin";

type Container = {
    name: string;
    image: string;
    command: string[];
    args: string[];
    env: { name: string; value?: string; valueFrom?: unknown }[];
    resources: unknown;
    volumeMounts: { name: string; mountPath: string }[];
};

function podOf(s: TrainingSettings) {
    const spec = cronJobSpec(s) as {
        jobTemplate: { spec: { template: { spec: { initContainers: Container[]; containers: Container[] } & Record<string, unknown> } } };
    };
    return spec.jobTemplate.spec.template.spec;
}

/** The IR's args with each placeholder replaced by what the CronJob binds it to. */
function bind(args: string[], s: TrainingSettings): string[] {
    const values: Record<string, string> = {
        [IR_BINDING.parameters.prometheus_url]: s.prometheusUrl,
        [IR_BINDING.parameters.training_hours]: String(s.trainingHours),
        [IR_BINDING.parameters.training_step_seconds]: String(s.trainingStepSeconds),
        [IR_BINDING.modelsIn]: CRONJOB_MODELS_DIR,
        [IR_BINDING.modelsOut]: CRONJOB_MODELS_DIR,
    };
    return args.map((a) => values[a] ?? a);
}

describe("CronJob fallback (KFP off)", () => {
    for (const [label, s] of [
        ["with object-store keys", platformSettings({ TRAINING_HOURS: "48" })],
        ["with a one-hour window", platformSettings({ TRAINING_HOURS: "1", TRAINING_STEP_SECONDS: "15" })],
        ["with workload identity", platformSettings({ OBJECT_STORE_SECRET: undefined })],
    ] as const)
        it(`runs the pipeline's steps in order with the same commands and env (${label})`, () => {
            const ir = buildPipelineIr(s);
            const pod = podOf(s);
            const containers = [...pod.initContainers, ...pod.containers];
            expect(containers.map((c) => c.name)).to.deep.equal(Object.keys(ir.pipelineSpec.root.dag?.tasks ?? {}));
            expect(pod.containers.map((c) => c.name)).to.deep.equal(["promote"]);
            for (const c of containers) {
                const exec = ir.pipelineSpec.deploymentSpec.executors[`exec-${c.name}`].container;
                expect(c.image).to.equal(exec.image);
                expect(c.command).to.deep.equal(exec.command);
                expect(c.args).to.deep.equal(bind(exec.args ?? [], s));
                expect(c.args.join(" ")).to.not.include("{{$");
                const plain = c.env.filter((e) => e.valueFrom === undefined);
                expect(plain).to.deep.equal(exec.env);
                const secretEnv = c.env.filter((e) => e.valueFrom !== undefined);
                const k8s = ir.platformSpec.platforms.kubernetes.deploymentSpec.executors[`exec-${c.name}`] as {
                    secretAsEnv?: { secretName: string; keyToEnv: { secretKey: string; envVar: string }[] }[];
                };
                const fromIr = (k8s.secretAsEnv ?? []).flatMap((sa) =>
                    sa.keyToEnv.map((k) => ({
                        name: k.envVar,
                        valueFrom: { secretKeyRef: { name: sa.secretName, key: k.secretKey, optional: false } },
                    })),
                );
                expect(secretEnv).to.deep.equal(fromIr);
                expect(c.resources).to.deep.equal({
                    requests: { cpu: exec.resources?.resourceCpuRequest, memory: exec.resources?.resourceMemoryRequest },
                    limits: { cpu: exec.resources?.resourceCpuLimit, memory: exec.resources?.resourceMemoryLimit },
                });
            }
            expect(containers[0].args).to.include(String(s.trainingHours)).and.include(CRONJOB_MODELS_DIR);
            // The model set crosses from train to publish through the shared emptyDir.
            for (const name of ["train", "publish"])
                expect(containers.find((c) => c.name === name)?.volumeMounts).to.deep.include({
                    name: "models",
                    mountPath: CRONJOB_MODELS_DIR,
                });
            expect(containers.find((c) => c.name === "promote")?.volumeMounts.map((m) => m.name)).to.deep.equal(["tmp", "models"]);
        });

    it("keys the schedule, concurrency, catch-up and pause like the recurring run", () => {
        const spec = cronJobSpec(platformSettings({ TRAINING_SCHEDULE: "0 0 3 * * 1-5" }));
        expect(spec).to.deep.include({
            schedule: "0 3 * * 1-5",
            timeZone: "Etc/UTC",
            suspend: false,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
        });
        expect(cronJobSpec(platformSettings({ TRAINING_SCHEDULE_PAUSED: "true" })).suspend).to.equal(true);
        // Five fields for Kubernetes, and the same minute and hour KFP would read from its six.
        const s = platformSettings({ TRAINING_SCHEDULE: "15 4 * * *" });
        expect(cronJobSpec(s).schedule).to.equal("15 4 * * *");
        expect(robfigV1Parse(s.schedule.kfp)).to.deep.include({ minute: [15], hour: [4] });
    });

    it("is a valid batch/v1 CronJob with a restrictive pod", () => {
        const s = platformSettings();
        const cron = new CronJob({ metadata: { name: "detector-training", namespace: "kubeflow" }, spec: cronJobSpec(s) as never });
        expect(() => cron.validate()).to.not.throw();
        const pod = podOf(s);
        expect(pod).to.deep.include({ serviceAccountName: "pipeline-runner", restartPolicy: "Never" });
        expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
        for (const c of [...pod.initContainers, ...pod.containers])
            expect(c).to.deep.include({
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    runAsUser: 65532,
                    runAsGroup: 65532,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                },
            });
        const job = (cronJobSpec(s) as { jobTemplate: { spec: Record<string, unknown> } }).jobTemplate.spec;
        expect(job.activeDeadlineSeconds).to.equal(TRAINING_STEPS.reduce((sum, st) => sum + st.deadlineSeconds, 0));
        expect(job.backoffLimit).to.equal(1);
        const broken = new CronJob({ metadata: { name: "x" }, spec: { ...(cronJobSpec(s) as object), concurrencyPolicy: 7 } as never });
        expect(() => broken.validate()).to.throw();
    });
});
