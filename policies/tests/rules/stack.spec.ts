import { expect } from "chai";
import { checkCapacity, parseCapacityPlan } from "../../lib/capacity";
import { WORKLOAD_TYPES } from "../../lib/k8s";
import { checkStack, runStackPolicy } from "../../offline/evaluate";
import { capacityPlanFitsNodeCapacity } from "../../rules/capacity-plan-fits-node-capacity";
import { isFromRepository, k8sWorkloadRequiresAmd64NodeSelector } from "../../rules/k8s-workload-requires-amd64-node-selector";
import { compliantCapacityPlan, Loose, mutate, podSpecOf, Props, workloadProps } from "../support/fixtures";
import { Entry, stackOf, urnOf } from "../support/graph";

const PLAN = "aiops:platform:CapacityPlan";
const GiB = 2 ** 30;

describe("k8s-workload-requires-amd64-node-selector", () => {
    const policy = k8sWorkloadRequiresAmd64NodeSelector;
    const mlmd = (change: (spec: Loose) => void = () => undefined): Props =>
        mutate(workloadProps("Deployment"), (o) => {
            const spec = podSpecOf("Deployment", o);
            spec.containers[0].image = "gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0";
            spec.nodeSelector = { "kubernetes.io/arch": "amd64" };
            change(spec);
        });
    const stack = (
        workload: Props,
        plan: Props | undefined = compliantCapacityPlan(),
        type: string = WORKLOAD_TYPES.Deployment,
    ): Entry[] => [{ type, name: "metadata-grpc", inputs: workload }, ...(plan ? [{ type: PLAN, name: "capacity", inputs: plan }] : [])];

    it("passes an amd64-only image pinned with a nodeSelector on a mixed cluster", async () => {
        expect(await runStackPolicy(policy, stackOf(stack(mlmd())))).to.deep.equal([]);
    });

    it("passes an equivalent required node affinity", async () => {
        const workload = mlmd((s) => {
            delete s.nodeSelector;
            s.affinity = {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] }],
                    },
                },
            };
        });
        expect(await runStackPolicy(policy, stackOf(stack(workload)))).to.deep.equal([]);
    });

    it("flags a missing constraint on a mixed cluster, naming the fix", async () => {
        const entries = stackOf(stack(mlmd((s) => delete s.nodeSelector)));
        const violations = await runStackPolicy(policy, entries);
        expect(violations).to.deep.equal([
            {
                urn: urnOf(entries, "metadata-grpc"),
                message:
                    'runs amd64-only image gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0 without an architecture constraint; set spec.template.spec.nodeSelector["kubernetes.io/arch"]: "amd64".',
            },
        ]);
    });

    it("flags an affinity whose terms do not all restrict the architecture", async () => {
        const workload = mlmd((s) => {
            delete s.nodeSelector;
            s.affinity = {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] },
                            { matchExpressions: [{ key: "node-role", operator: "In", values: ["ml"] }] },
                        ],
                    },
                },
            };
        });
        expect(await runStackPolicy(policy, stackOf(stack(workload)))).to.have.length(1);
    });

    it("flags a CronJob's init container, and when no capacity plan says the cluster is amd64-only", async () => {
        const cron = mutate(
            workloadProps("CronJob"),
            (o) => (podSpecOf("CronJob", o).initContainers[0].image = "ghcr.io/kubeflow/kfp-metadata-writer:2.5.0"),
        );
        expect(await runStackPolicy(policy, stackOf(stack(cron, undefined, WORKLOAD_TYPES.CronJob)))).to.have.length(1);
    });

    it("accepts an unpinned workload when every planned node is amd64", async () => {
        const plan = mutate(compliantCapacityPlan(), (p) => (p.nodes = p.nodes.filter((n: Loose) => n.arch === "amd64")));
        expect(
            await runStackPolicy(
                policy,
                stackOf(
                    stack(
                        mlmd((s) => delete s.nodeSelector),
                        plan,
                    ),
                ),
            ),
        ).to.deep.equal([]);
    });

    it("flags an amd64-only image on an arm64-only cluster even when pinned", async () => {
        const plan = mutate(compliantCapacityPlan(), (p) => (p.nodes = p.nodes.filter((n: Loose) => n.arch === "arm64")));
        const violations = await runStackPolicy(policy, stackOf(stack(mlmd(), plan)));
        expect(violations).to.have.length(1);
        expect(violations[0].message).to.include("the capacity plan has only arm64 nodes; add an amd64 node or replace the image");
    });

    it("uses the configured image list and matches whole repository names", async () => {
        const custom = mlmd((s) => {
            delete s.nodeSelector;
            s.containers[0].image = "quay.io/acme/x86-only@sha256:abc";
        });
        expect(await runStackPolicy(policy, stackOf(stack(custom)))).to.deep.equal([]);
        expect(await runStackPolicy(policy, stackOf(stack(custom)), { amd64OnlyImages: ["quay.io/acme/x86-only"] })).to.have.length(1);
        expect(isFromRepository("ghcr.io/kubeflow/kfp-metadata-writer-v2:1", ["ghcr.io/kubeflow/kfp-metadata-writer"])).to.equal(false);
    });
});

describe("capacity-plan-fits-node-capacity", () => {
    const policy = capacityPlanFitsNodeCapacity;

    it("passes a plan within capacity minus headroom", async () => {
        expect(await runStackPolicy(policy, stackOf([{ type: PLAN, name: "capacity", inputs: compliantCapacityPlan() }]))).to.deep.equal(
            [],
        );
    });

    it("flags cpu over the usable share, with a table naming the biggest consumers", async () => {
        // 12 cores total, 10.8 usable at 10% headroom; 11.5 requested.
        const plan = mutate(compliantCapacityPlan(), (p) => p.requests.push({ service: "trainer", cpu: 8, memory: 2 * GiB }));
        const entries = stackOf([{ type: PLAN, name: "capacity", inputs: plan }]);
        const violations = await runStackPolicy(policy, entries);
        expect(violations).to.have.length(1);
        expect(violations[0].urn).to.equal(urnOf(entries, "capacity"));
        const lines = violations[0].message.split("\n");
        expect(lines[0]).to.equal("cluster 'homelab' requests more than its 2 node(s) offer with 10% headroom:");
        expect(lines[2]).to.match(/^ {2}cpu +11\.50 +10\.80 +12\.00 cores {2}<- over$/);
        expect(lines[3]).to.not.include("<- over");
        expect(lines[6]).to.match(/^ {2}trainer +8\.00/);
        expect(lines.at(-1)).to.match(
            /^Fix: lower the requests of the biggest consumers, add or enlarge nodes, or lower headroomPercent\.$/,
        );
    });

    it("flags memory over the usable share", async () => {
        const plan = mutate(compliantCapacityPlan(), (p) => p.requests.push({ service: "mlflow", cpu: 0.5, memory: 30 * GiB }));
        const [violation] = await runStackPolicy(policy, stackOf([{ type: PLAN, name: "capacity", inputs: plan }]));
        expect(violation.message.split("\n")[3]).to.match(/memory .*<- over$/);
    });

    it("honours headroomPercent", async () => {
        // 3.5 of 12 cores and 11 of 40 GiB requested: fits at 10%, not at 75%.
        const entries = stackOf([{ type: PLAN, name: "capacity", inputs: compliantCapacityPlan() }]);
        expect(await runStackPolicy(policy, entries, { headroomPercent: 75 })).to.have.length(1);
        expect(checkCapacity(parseCapacityPlan(compliantCapacityPlan()).plan!, 0).cpu).to.deep.equal({
            requested: 3.5,
            usable: 12,
            total: 12,
        });
    });

    it("reports a malformed plan naming every bad field", async () => {
        const plan = mutate(compliantCapacityPlan(), (p) => {
            p.nodes[1].cpu = "8";
            p.requests[0].memory = -1;
        });
        const [violation] = await runStackPolicy(policy, stackOf([{ type: PLAN, name: "capacity", inputs: plan }]));
        expect(violation.message).to.equal(
            "CapacityPlan 'capacity' cannot be checked: `nodes[1].cpu` must be a positive number; got '8'; `requests[0].memory` must be a non-negative number; got -1. Fix the plan's inputs.",
        );
    });

    it("skips a plan that recorded none of its fields (a component seen through empty outputs)", async () => {
        expect(await runStackPolicy(policy, stackOf([{ type: PLAN, name: "capacity", inputs: {} }]))).to.deep.equal([]);
        const partial = await runStackPolicy(policy, stackOf([{ type: PLAN, name: "capacity", inputs: { cluster: "homelab" } }]));
        expect(partial.map((v) => v.message)).to.deep.equal([
            "CapacityPlan 'capacity' cannot be checked: `nodes` must be a non-empty list; got nothing; `requests` must be a list; got nothing. Fix the plan's inputs.",
        ]);
    });

    it("is not applicable when the stack has no CapacityPlan", async () => {
        const outcome = await checkStack(
            policy,
            stackOf([{ type: WORKLOAD_TYPES.Deployment, name: "d", inputs: workloadProps("Deployment") }]),
        );
        expect(outcome).to.deep.equal({ violations: [], notApplicable: "The stack registers no aiops:platform:CapacityPlan." });
    });
});
