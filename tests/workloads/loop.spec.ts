// The MLOps loop as every stack renders it: the bootstrap Job, the KFP registration Job or the CronJob, the
// promotion RBAC, the scorer and its monitor, and the names the parts must agree on, read from the rendered
// objects and checked with the workloads' own parsers (not by comparing constants).
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import {
    MODEL_FILES,
    MODEL_NAMES,
    MODEL_STORE_LAYOUT,
    TRAINER_DEFAULTS,
    TRAINER_ENV,
    TRAINING_HINT_ENV,
    modelFileName,
} from "@aiops/contract";
import { REPO_ROOT } from "../harness";
import { DELIVERIES, PlatformRun, objectsOf, platformRun } from "../platform/runs";
import { parseConfig } from "../../workloads/mcp-tool/src/config";
import { parseScorerConfig } from "../../workloads/mcp-tool/src/scoring/config";
import { loadModelRepository } from "../../workloads/detector/src/registry";
import { settingsFromEnv } from "../../workloads/detector/src/pipeline/settings";
import { smallModel, tempDir, removeDir, writeModel } from "../../workloads/detector/test/server-helpers";
import { monitoringPlan } from "../../components/platform";
import {
    BOOTSTRAP_DEADLINE_SECONDS,
    historyWaitSeconds,
    trainingHint,
    validateDetectorTrainingArgs,
    validateTrainingSchedule,
} from "../../components/workloads";
import { selectTrainingOrchestrator } from "../../stacks/data-platform";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const find = (objects: Obj[], kind: string, name: string, namespace?: string): Obj[] =>
    objects.filter((o) => o.kind === kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace));
const one = (objects: Obj[], kind: string, name: string, namespace?: string): Obj => {
    const found = find(objects, kind, name, namespace);
    expect(found, `${kind} ${namespace ?? "*"}/${name}`).to.have.length(1);
    return found[0];
};
const envOf = (container: Obj): Record<string, string> =>
    Object.fromEntries((container.env as Obj[]).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
const podOf = (o: Obj): Obj => (o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);

/** Which orchestrator each stack file ends up with (aws: standard profile; homelab, hybrid: lean). */
const EXPECTED: Record<string, { orchestrator: "kfp" | "cronjob"; roll: boolean }> = {
    aws: { orchestrator: "kfp", roll: true },
    homelab: { orchestrator: "cronjob", roll: true },
    hybrid: { orchestrator: "cronjob", roll: false },
};

describe("MLOps loop: what every stack renders", function () {
    this.timeout(600_000);

    for (const stack of Object.keys(EXPECTED)) {
        describe(stack, () => {
            let objects: Obj[];
            let run: PlatformRun;
            before(async () => {
                run = await platformRun(stack, DELIVERIES[0]);
                objects = objectsOf(run) as Obj[];
            });

            it("the bootstrap Job: `detector run` once, not awaited, a deadline over 4 h, sized, a writable /tmp", () => {
                const job = one(objects, "Job", "aiops-trainer-bootstrap", "aiops-training");
                expect(job.metadata.annotations["pulumi.com/skipAwait"]).to.equal("true");
                expect(job.spec.activeDeadlineSeconds)
                    .to.be.at.least(4 * 3600)
                    .and.to.equal(BOOTSTRAP_DEADLINE_SECONDS);
                const pod = podOf(job);
                expect(pod.serviceAccountName).to.equal("aiops-trainer");
                expect(pod.automountServiceAccountToken).to.equal(true);
                expect(pod.restartPolicy).to.equal("Never");
                const [c] = pod.containers;
                expect(c.command).to.deep.equal(["node", "dist/cli.js", "run"]);
                expect(c.resources).to.deep.equal({ requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "1", memory: "768Mi" } });
                const env = envOf(c);
                expect(env.NODE_OPTIONS).to.equal("--max-old-space-size=384");
                expect(env[TRAINER_ENV.historyWait]).to.equal("1h");
                expect(c.volumeMounts).to.deep.include({ name: "tmp", mountPath: "/tmp" });
                expect(pod.volumes.find((v: Obj) => v.name === "tmp").emptyDir).to.be.an("object");
                // every variable the trainer is given is one it reads (TRAINER_ENV), the keys and NODE_OPTIONS aside
                const known = new Set<string>([
                    ...Object.values(TRAINER_ENV),
                    "NODE_OPTIONS",
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                ]);
                for (const e of c.env as Obj[]) expect(known.has(e.name), e.name).to.equal(true);
                const sa = one(objects, "ServiceAccount", "aiops-trainer", "aiops-training");
                expect(sa.automountServiceAccountToken).to.equal(false);
            });

            it(`schedules the training with ${EXPECTED[stack].orchestrator}`, () => {
                const cron = find(objects, "CronJob", "aiops-trainer-scheduled", "aiops-training");
                const reg = find(objects, "Job", "aiops-trainer-register-pipeline", "aiops-training");
                if (EXPECTED[stack].orchestrator === "kfp") {
                    expect(cron).to.have.length(0);
                    expect(reg).to.have.length(1);
                    const c = podOf(reg[0]).containers[0];
                    expect(c.command.slice(0, 6)).to.deep.equal([
                        "node",
                        "dist/cli.js",
                        "pipeline",
                        "register",
                        "--kfp",
                        "http://ml-pipeline.kubeflow.svc.cluster.local:8888",
                    ]);
                    // The detector's own settings parser accepts the rendered environment and flags.
                    const flag = (name: string) => {
                        const i = c.command.indexOf(name);
                        return i < 0 ? undefined : c.command[i + 1];
                    };
                    const settings = settingsFromEnv(envOf(c), { credentialsSecret: flag("--object-store-secret") });
                    expect(settings.serviceAccount).to.equal("pipeline-runner");
                    expect(settings.inferenceService).to.equal("aiops-serving/anomaly-detector");
                    expect(settings.schedule).to.deep.equal({ kfp: "0 0 2 * * *", kubernetes: "0 2 * * *" });
                    expect(settings.trainingHours).to.equal(168);
                    expect(reg[0].metadata.annotations["pulumi.com/skipAwait"]).to.equal("true");
                    // the steps' keys are in KFP's namespace under the name the pipeline is told
                    if (settings.credentialsSecret !== undefined) one(objects, "Secret", settings.credentialsSecret, "kubeflow");
                } else {
                    expect(reg).to.have.length(0);
                    expect(cron).to.have.length(1);
                    expect(cron[0].spec.schedule).to.equal("0 2 * * *");
                    const pod = podOf(cron[0]);
                    expect(pod.serviceAccountName).to.equal("aiops-trainer");
                    const steps = [...pod.initContainers, ...pod.containers].map((x: Obj) => x.args[0]);
                    expect(steps).to.deep.equal(["train-all", "publish", "promote"]);
                    const promoteEnv = envOf(pod.containers[0]);
                    expect(promoteEnv[TRAINER_ENV.inferenceService]).to.equal(
                        EXPECTED[stack].roll ? "aiops-serving/anomaly-detector" : undefined,
                    );
                    expect(pod.automountServiceAccountToken).to.equal(EXPECTED[stack].roll);
                }
            });

            it(
                EXPECTED[stack].roll
                    ? "the promotion Role may patch exactly the detector's InferenceService"
                    : "no promotion RBAC: the detector runs on the edge",
                () => {
                    const roles = find(objects, "Role", "aiops-trainer-promote");
                    if (!EXPECTED[stack].roll) {
                        expect(roles).to.have.length(0);
                        return;
                    }
                    expect(roles).to.have.length(1);
                    expect(roles[0].metadata.namespace).to.equal("aiops-serving");
                    expect(roles[0].rules).to.deep.equal([
                        {
                            apiGroups: ["serving.kserve.io"],
                            resources: ["inferenceservices"],
                            resourceNames: ["anomaly-detector"],
                            verbs: ["patch"],
                        },
                    ]);
                    const binding = one(objects, "RoleBinding", "aiops-trainer-promote", "aiops-serving");
                    expect(binding.roleRef).to.deep.equal({
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "Role",
                        name: "aiops-trainer-promote",
                    });
                    const subjects = binding.subjects.map((s: Obj) => `${s.namespace}/${s.name}`);
                    expect(subjects).to.deep.equal(
                        EXPECTED[stack].orchestrator === "kfp"
                            ? ["aiops-training/aiops-trainer", "kubeflow/pipeline-runner"]
                            : ["aiops-training/aiops-trainer"],
                    );
                    // nothing else in the program grants anything on InferenceServices
                    const others = objects.filter(
                        (o) =>
                            (o.kind === "Role" || o.kind === "ClusterRole") &&
                            o.metadata.name !== "aiops-trainer-promote" &&
                            JSON.stringify(o.rules ?? []).includes("inferenceservices") &&
                            o.metadata.labels?.["app.kubernetes.io/part-of"] === "aiops-mlops-platform",
                    );
                    expect(others).to.deep.equal([]);
                },
            );

            it("the scorer runs next to the MCP tool with a Service and a ServiceMonitor that selects it", () => {
                const dep = one(objects, "Deployment", "aiops-scorer", "aiops");
                const svc = one(objects, "Service", "aiops-scorer", "aiops");
                const sm = one(objects, "ServiceMonitor", "aiops-scorer", "aiops");
                const pod = podOf(dep);
                const c = pod.containers[0];
                expect(c.command.at(-1)).to.equal("dist/scorer.js");
                expect(c.ports).to.deep.equal([{ name: "http-metrics", containerPort: 9102 }]);
                for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels[k], k).to.equal(v);
                expect(sm.spec.endpoints.map((e: Obj) => e.port)).to.deep.equal(svc.spec.ports.map((p: Obj) => p.name));
                // the scored node's `instance` must survive the scrape (see loop-e2e.spec.ts, which fails without it)
                expect(sm.spec.endpoints.map((e: Obj) => e.honorLabels)).to.deep.equal([true]);
                for (const [k, v] of Object.entries(svc.spec.selector))
                    expect(pod.metadata?.labels?.[k] ?? dep.spec.template.metadata.labels[k], k).to.equal(v);
                expect(c.livenessProbe.httpGet.path).to.equal("/healthz");
                expect(c.resources.limits.memory).to.be.a("string");
            });

            it("the MCP tool and the scorer ask for models the InferenceService serves, from the serving copy the trainer writes", () => {
                const isvc = one(objects, "InferenceService", "anomaly-detector", "aiops-serving");
                const predictor = isvc.spec.predictor.containers[0];
                const isvcEnv = envOf(predictor);
                const mcp = envOf(podOf(one(objects, "Deployment", "aiops-mcp", "aiops")).containers[0]);
                const scorer = envOf(podOf(one(objects, "Deployment", "aiops-scorer", "aiops")).containers[0]);
                const trainer = envOf(podOf(one(objects, "Job", "aiops-trainer-bootstrap", "aiops-training")).containers[0]);

                // storageUri = the trainer's store + the serving layout
                expect(isvcEnv.STORAGE_URI).to.equal(`${trainer[TRAINER_ENV.modelStoreUri]}/${MODEL_STORE_LAYOUT.serving}`);
                // The detector, given the predictor's MODEL_NAME (none) and the files the trainer writes, serves names...
                const dir = tempDir("loop-spec-");
                try {
                    for (const name of MODEL_NAMES) writeModel(dir, modelFileName(name), smallModel(name));
                    writeModel(dir, MODEL_FILES.manifest, "{}");
                    const repo = loadModelRepository(dir, { nameOverride: isvcEnv.MODEL_NAME });
                    expect(repo.failures).to.deep.equal([]);
                    const served = [...repo.models.keys()].sort();
                    // ... and the MCP tool, configured by its rendered env, asks for exactly those
                    const mcpConfig = parseConfig(mcp);
                    expect(Object.values(mcpConfig.models).sort()).to.deep.equal(served);
                    const scorerConfig = parseScorerConfig(scorer);
                    expect(Object.values(scorerConfig.models).sort()).to.deep.equal(served);
                    expect(scorerConfig.inferenceServiceUrl).to.equal(mcpConfig.inferenceServiceUrl);
                    expect(scorerConfig.prometheusUrl).to.equal(mcpConfig.prometheusUrl);
                    expect(scorerConfig.port).to.equal(9102);
                    expect(scorerConfig.intervalSeconds).to.equal(60);
                } finally {
                    removeDir(dir);
                }
                // one hint everywhere, saying when the first training runs
                const hint = trainingHint({ schedule: "0 2 * * *", historyWait: "1h" });
                expect(isvcEnv[TRAINING_HINT_ENV]).to.equal(hint);
                expect(mcp[TRAINING_HINT_ENV]).to.equal(hint);
                expect(scorer[TRAINING_HINT_ENV]).to.equal(hint);
                expect(hint)
                    .to.match(/1h of node-exporter history/)
                    .and.to.match(/'0 2 \* \* \*' \(UTC\)/);
            });
        });
    }
});

describe("MLOps loop: settings", () => {
    it("auto picks kfp on standard and the CronJob on lean; a detector on another cluster always gets the CronJob", () => {
        expect(selectTrainingOrchestrator("auto", "standard", false)).to.equal("kfp");
        expect(selectTrainingOrchestrator("auto", "lean", false)).to.equal("cronjob");
        expect(selectTrainingOrchestrator("kfp", "lean", false)).to.equal("kfp");
        expect(selectTrainingOrchestrator("cronjob", "standard", false)).to.equal("cronjob");
        expect(selectTrainingOrchestrator("kfp", "standard", true)).to.equal("cronjob");
        expect(selectTrainingOrchestrator("auto", "standard", false, "s3")).to.equal("cronjob");
        expect(selectTrainingOrchestrator("auto", "standard", false, "minio")).to.equal("kfp");
    });

    it("validates schedule, window and history wait with messages that name the setting", () => {
        expect(validateTrainingSchedule({ schedule: "0 2 * * *", trainingHours: 168, historyWait: "1h" })).to.deep.equal([]);
        const problems = validateTrainingSchedule({ schedule: "0 25 * * *", trainingHours: 0, historyWait: "5h" });
        expect(problems).to.have.length(3);
        expect(problems[0]).to.match(/^trainingSchedule: /);
        expect(problems[1]).to.match(/^trainingHours must be a whole number of hours from 1 to 2160 .*got 0$/);
        expect(problems[2]).to.match(/^trainingHistoryWait must be from 10m to 3h .*got '5h'$/);
        expect(validateTrainingSchedule({ schedule: "0 2 * * *", trainingHours: 24, historyWait: "an hour" })[0]).to.match(
            /^trainingHistoryWait must be a duration such as 1h, 90m or 1h30m; got 'an hour'$/,
        );
        expect([historyWaitSeconds("1h30m"), historyWaitSeconds("90m"), historyWaitSeconds(""), historyWaitSeconds("1d")]).to.deep.equal([
            5400,
            5400,
            undefined,
            undefined,
        ]);
    });

    it("DetectorTraining refuses kfp without KFP's URL or without an InferenceService to roll", () => {
        const schedule = { schedule: "0 2 * * *", trainingHours: 168, historyWait: "1h" };
        const isvc = { namespace: "aiops-serving", name: "anomaly-detector" };
        expect(
            validateDetectorTrainingArgs({ schedule, orchestrator: "kfp", kfpApiUrl: "http://kfp:8888", inferenceService: isvc }),
        ).to.deep.equal([]);
        expect(validateDetectorTrainingArgs({ schedule, orchestrator: "cronjob" })).to.deep.equal([]);
        expect(validateDetectorTrainingArgs({ schedule, orchestrator: "kfp" })).to.deep.equal([
            "kfpApiUrl is required with orchestrator kfp: pass KubeflowPipelines.apiUrl",
            "orchestrator kfp needs the InferenceService on this cluster (the pipeline's promote step rolls it); use trainingOrchestrator cronjob where the detector runs on another cluster",
        ]);
    });

    it("node-exporter is scraped at the training step, under a key kube-prometheus-stack 88.5.3 has", () => {
        const values = monitoringPlan({
            profile: "lean",
            storageClass: "local-path",
            retention: "7d",
            storage: "20Gi",
            grafanaAdminSecret: "g",
            nodeCount: 1,
        }).values as Obj;
        expect(values["prometheus-node-exporter"].prometheus.monitor.interval).to.equal(`${TRAINER_DEFAULTS.trainingStepSeconds}s`);
        const reference = path.resolve(REPO_ROOT, "../shared/reference/charts/kube-prometheus-stack-88.5.3.values.yaml");
        if (!fs.existsSync(reference)) {
            if (process.env.CI) throw new Error(`chart values not found at ${reference}`);
            return;
        }
        const upstream = parse(fs.readFileSync(reference, "utf8")) as Obj;
        expect(upstream["prometheus-node-exporter"].prometheus.monitor).to.have.property("interval", "");
        expect(upstream["prometheus-node-exporter"].prometheus.monitor.enabled).to.equal(true);
    });
});
