// The hybrid edge's model roller as the stacks render it: on the edge's provider next to the detector's
// InferenceService, a Role of exactly get+patch on that one InferenceService, the predictor's own store keys,
// and settings the detector's CLI accepts (parsed with its own parsers, not compared with constants).
import { expect } from "chai";
import { MODEL_STORE_LAYOUT, TRAINER_COMMANDS, TRAINER_ENV } from "@aiops/contract";
import { unwrapSecrets } from "../harness";
import type { Registration } from "../harness";
import { DELIVERIES, STACKS, platformRun } from "../platform/runs";
import { storeOptions } from "../../workloads/detector/src/training/commands";
import { parseInferenceServiceRef } from "../../workloads/detector/src/training/kube";
import { MODEL_ROLLER_NAME, validateModelRollerArgs } from "../../components/workloads";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const inputs = (r: Registration): Obj => unwrapSecrets(r.inputs) as Obj;
const named = (regs: Registration[], type: string, name: string, namespace?: string): Registration[] =>
    regs.filter(
        (r) =>
            r.type === type &&
            inputs(r).metadata?.name === name &&
            (namespace === undefined || inputs(r).metadata?.namespace === namespace),
    );
const one = (regs: Registration[], type: string, name: string, namespace?: string): Registration => {
    const found = named(regs, type, name, namespace);
    expect(found, `${type} ${namespace ?? "*"}/${name}`).to.have.length(1);
    return found[0];
};
const envOf = (container: Obj): Obj[] => container.env as Obj[];
const value = (env: Obj[], name: string): string | undefined => env.find((e) => e.name === name)?.value;

const CRONJOB = "kubernetes:batch/v1:CronJob";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const SA = "kubernetes:core/v1:ServiceAccount";
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";

describe("model roller: what the stacks render", function () {
    this.timeout(600_000);

    for (const stack of STACKS) {
        if (stack === "hybrid") continue;
        it(`${stack}: no roller (the trainer rolls the predictor on its own cluster)`, async () => {
            const { run } = await platformRun(stack, DELIVERIES[0]);
            expect(named(run.registrations, CRONJOB, MODEL_ROLLER_NAME)).to.have.length(0);
            expect(named(run.registrations, ROLE, MODEL_ROLLER_NAME)).to.have.length(0);
        });
    }

    for (const delivery of DELIVERIES) {
        describe(`hybrid (delivery ${delivery})`, () => {
            let regs: Registration[];
            let isvc: Registration;
            before(async () => {
                regs = (await platformRun("hybrid", delivery)).run.registrations;
                isvc = one(regs, ISVC, "anomaly-detector", "aiops-serving");
            });

            it("runs `detector roll` as a CronJob on the edge's provider, next to the InferenceService", () => {
                const cron = one(regs, CRONJOB, MODEL_ROLLER_NAME, "aiops-serving");
                expect(cron.provider, "the edge provider").to.equal(isvc.provider);
                const trainer = one(regs, "kubernetes:batch/v1:Job", "aiops-trainer-bootstrap", "aiops-training");
                expect(cron.provider, "not the control cluster's").to.not.equal(trainer.provider);
                const spec = inputs(cron).spec;
                expect(spec.concurrencyPolicy).to.equal("Forbid");
                expect(spec.schedule.split(" ")).to.have.length(5);
                const pod = spec.jobTemplate.spec.template.spec;
                expect(pod.serviceAccountName).to.equal(MODEL_ROLLER_NAME);
                expect(pod.automountServiceAccountToken).to.equal(true);
                expect(pod.containers).to.have.length(1);
                const c = pod.containers[0];
                expect(c.command).to.deep.equal(["node", "dist/cli.js", TRAINER_COMMANDS.roll]);
                expect(c.image).to.equal(inputs(isvc).spec.predictor.containers[0].image);
                expect(c.resources.requests).to.have.keys("cpu", "memory");
                expect(c.resources.limits).to.have.keys("cpu", "memory");
                expect(c.securityContext.readOnlyRootFilesystem).to.equal(true);
                expect(pod.securityContext.runAsNonRoot).to.equal(true);
            });

            it("reads the serving copy the InferenceService serves, with the predictor's own store keys, in a form the CLI accepts", () => {
                const cron = one(regs, CRONJOB, MODEL_ROLLER_NAME, "aiops-serving");
                const env = envOf(inputs(cron).spec.jobTemplate.spec.template.spec.containers[0]);
                const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
                // The detector's own parsers accept the rendered settings.
                const store = storeOptions("roll", {}, plain);
                expect(parseInferenceServiceRef(plain[TRAINER_ENV.inferenceService])).to.deep.equal({
                    namespace: "aiops-serving",
                    name: "anomaly-detector",
                });
                // The predictor's STORAGE_URI is the roller's store + current/: the roller compares what the predictor loads.
                const storageUri = value(inputs(isvc).spec.predictor.containers[0].env, "STORAGE_URI");
                expect(storageUri).to.equal(`${store.uri}/${MODEL_STORE_LAYOUT.serving}`);
                // The trainer writes the same store.
                const trainer = one(regs, "kubernetes:batch/v1:Job", "aiops-trainer-bootstrap", "aiops-training");
                expect(value(inputs(trainer).spec.template.spec.containers[0].env, TRAINER_ENV.modelStoreUri)).to.equal(store.uri);
                // The keys come from the Secret the predictor's ServiceAccount carries, not from a second grant.
                const detectorSa = one(regs, SA, "anomaly-detector", "aiops-serving");
                const secret = (inputs(detectorSa).secrets as Obj[])[0].name;
                const refs = env.filter((e) => e.valueFrom !== undefined).map((e) => e.valueFrom.secretKeyRef);
                expect(refs.map((r) => `${r.name}/${r.key}`)).to.deep.equal([
                    `${secret}/AWS_ACCESS_KEY_ID`,
                    `${secret}/AWS_SECRET_ACCESS_KEY`,
                ]);
            });

            it("may get and patch exactly the one InferenceService, through its own ServiceAccount, and nothing else", () => {
                const role = one(regs, ROLE, MODEL_ROLLER_NAME, "aiops-serving");
                expect(role.provider).to.equal(isvc.provider);
                expect(inputs(role).rules).to.deep.equal([
                    {
                        apiGroups: ["serving.kserve.io"],
                        resources: ["inferenceservices"],
                        resourceNames: ["anomaly-detector"],
                        verbs: ["get", "patch"],
                    },
                ]);
                const binding = one(regs, BINDING, MODEL_ROLLER_NAME, "aiops-serving");
                expect(inputs(binding).roleRef).to.deep.equal({
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: MODEL_ROLLER_NAME,
                });
                expect(inputs(binding).subjects).to.deep.equal([
                    { kind: "ServiceAccount", name: MODEL_ROLLER_NAME, namespace: "aiops-serving" },
                ]);
                const sa = one(regs, SA, MODEL_ROLLER_NAME, "aiops-serving");
                expect(sa.provider).to.equal(isvc.provider);
                // No ClusterRole or other Role of the program mentions InferenceServices on the edge.
                const others = regs.filter(
                    (r) =>
                        r.provider === isvc.provider &&
                        (r.type === ROLE || r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole") &&
                        inputs(r).metadata?.name !== MODEL_ROLLER_NAME &&
                        inputs(r).metadata?.labels?.["app.kubernetes.io/part-of"] === "aiops-mlops-platform" &&
                        JSON.stringify(inputs(r).rules ?? []).includes("inferenceservices"),
                );
                expect(others.map((r) => r.name)).to.deep.equal([]);
            });

            it("needs no ingress, and no policy of its namespace restricts its egress (API server, object store)", () => {
                const policies = regs
                    .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.provider === isvc.provider)
                    .map(inputs)
                    .filter((p) => p.metadata.namespace === "aiops-serving");
                expect(policies.length, "aiops-serving is isolated on the edge").to.be.greaterThan(0);
                for (const p of policies) expect(p.spec.policyTypes ?? ["Ingress"], p.metadata.name).to.not.include("Egress");
            });
        });
    }

    it("refuses a store without keys and a malformed schedule, naming the argument", () => {
        expect(validateModelRollerArgs({ credentialsSecret: undefined })[0]).to.match(
            /^credentialsSecret is required: pass AnomalyDetector.credentialsSecret/,
        );
        expect(validateModelRollerArgs({ credentialsSecret: "s", schedule: "*/5 * * *" })).to.deep.equal([
            "schedule must be a 5-field cron expression such as '*/5 * * * *'; got '*/5 * * *'",
        ]);
        expect(validateModelRollerArgs({ credentialsSecret: "s" })).to.deep.equal([]);
    });
});
