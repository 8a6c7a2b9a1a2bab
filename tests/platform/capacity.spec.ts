// The fit check: pure arithmetic, the table in its error, and the CapacityPlan the stacks record first.
import { expect } from "chai";
import { parseCapacityPlan } from "../../policies/lib/capacity";
import { CapacityError, capacityReport, checkCapacity, planNodes } from "../../components/platform";
import type { Footprint, PlanNode } from "../../components/platform";
import { formatCpu, formatMemory } from "../../components/shared/quantity";
import { runStack } from "../harness";
import { STACKS, byType, platformRun } from "./runs";

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const node = (name: string, arch: "amd64" | "arm64", cpu: number, memGiB: number): PlanNode => ({ name, arch, cpu, memory: memGiB * GiB });
const fp = (workload: string, cpu: number, memMiB: number, arch?: "amd64" | "arm64"): Footprint => ({
    workload,
    cpu,
    memory: memMiB * MiB,
    ...(arch ? { arch } : {}),
});

describe("platform capacity: checkCapacity (pure)", () => {
    const nodes = [node("arm", "arm64", 4, 10), node("x86", "amd64", 4, 4)];

    it("fits when the requests stay within allocatable minus headroom", () => {
        const check = checkCapacity(nodes, [fp("a", 1, 1024), fp("b", 1, 2048)], 10);
        expect(check.fits).to.equal(true);
        expect(check.allocatable).to.deep.equal({ cpu: 8, memory: 14 * GiB });
        expect(check.usable.memory).to.be.closeTo(12.6 * GiB, 1);
        expect(check.requested).to.deep.equal({ cpu: 2, memory: 3 * GiB });
    });

    it("reports memory and cpu shortfalls of the whole cluster", () => {
        const check = checkCapacity(nodes, [fp("big", 7.5, 13 * 1024)], 10);
        expect(check.fits).to.equal(false);
        expect(check.shortfalls.map((s) => `${s.scope}/${s.resource}`)).to.deep.equal(["all/cpu", "all/memory"]);
    });

    it("makes amd64-only workloads fit the amd64 nodes, even when the total fits", () => {
        const check = checkCapacity(nodes, [fp("kfp/metadata", 0.5, 2048, "amd64"), fp("kfp/writer", 0.5, 2048, "amd64")], 10);
        expect(check.requested.memory).to.be.lessThan(check.usable.memory);
        expect(check.fits).to.equal(false);
        expect(check.shortfalls).to.deep.equal([{ scope: "amd64", resource: "memory", requested: 4 * GiB, usable: 4 * GiB * 0.9 }]);
    });

    it("flags a workload no single node can hold", () => {
        const check = checkCapacity([node("a", "amd64", 2, 4), node("b", "amd64", 2, 4)], [fp("prometheus", 0.5, 5 * 1024)], 10);
        expect(check.shortfalls).to.deep.equal([]);
        expect(check.oversized.map((f) => f.workload)).to.deep.equal(["prometheus"]);
        expect(check.fits).to.equal(false);
    });

    it("rejects a headroom outside [0, 100)", () => {
        expect(() => checkCapacity(nodes, [], 100)).to.throw(/headroomPercent must be in \[0, 100\); got 100/);
    });

    it("lists schedulable nodes only, one entry per node", () => {
        const pools = [
            {
                name: "server",
                arch: "arm64" as const,
                count: 1,
                labels: {},
                taints: [],
                allocatable: { cpu: 8, memory: 10 * GiB },
                controlPlane: true,
            },
            { name: "workers", arch: "amd64" as const, count: 2, labels: {}, taints: [], allocatable: { cpu: 2, memory: 4 * GiB } },
        ];
        expect(planNodes({ nodePools: pools }).map((n) => n.name)).to.deep.equal(["workers-1", "workers-2"]);
    });

    it("writes a table: every service, the totals against allocatable, and what is short", () => {
        const footprints = [fp("kube-prometheus-stack/prometheus", 0.15, 536), fp("kfp/metadata", 0.1, 256, "amd64")];
        const check = checkCapacity([node("tiny", "arm64", 1, 0.5)], footprints, 10);
        const report = capacityReport("lab", [node("tiny", "arm64", 1, 0.5)], footprints, check, 10);
        expect(report).to.match(/does not fit cluster 'lab'/);
        expect(report).to.match(/service\s+cpu\s+memory/);
        expect(report).to.match(/kube-prometheus-stack\/prometheus\s+150m\s+536Mi/);
        expect(report).to.match(/kfp\/metadata \(amd64\)\s+100m\s+256Mi/);
        expect(report).to.match(/total requested\s+250m\s+792Mi/);
        expect(report).to.match(/allocatable \(tiny arm64\)\s+1\s+512Mi/);
        expect(report).to.match(/short: the cluster lacks memory: 792Mi requested, 460.8Mi usable/);
        expect(report).to.match(/short: the amd64 nodes \(for amd64-only workloads\) lack memory/);
        expect(report).to.match(/^Fix: /m);
    });
});

describe("platform capacity: the CapacityPlan of every stack", function () {
    this.timeout(300_000);

    for (const stack of STACKS) {
        it(`${stack}: records {cluster, nodes, requests} in plain numbers, before any platform service`, async () => {
            const { run } = await platformRun(stack, "helm");
            const plans = byType(run, "aiops:platform:CapacityPlan");
            expect(plans.length).to.be.at.least(1);
            for (const plan of plans) {
                expect(Object.keys(plan.inputs).sort()).to.deep.equal(["cluster", "nodes", "requests"]);
                const parsed = parseCapacityPlan(plan.inputs);
                expect(parsed.problems, "the policy pack can read the plan").to.deep.equal([]);
                expect(parsed.plan?.requests.length).to.be.greaterThan(0);
                for (const n of parsed.plan?.nodes ?? []) expect(n.memory, `${n.name} memory in bytes`).to.be.greaterThan(GiB / 2);
            }
            const firstPlan = run.registrations.findIndex((r) => r.type === "aiops:platform:CapacityPlan");
            const firstService = run.registrations.findIndex(
                (r) => r.type.startsWith("aiops:platform:") && r.type !== "aiops:platform:CapacityPlan",
            );
            expect(firstPlan).to.be.lessThan(firstService);
        });
    }

    it("homelab (lean, argocd): the whole always-on platform stays within 6 GiB and 3 CPUs of requests", async () => {
        const { run } = await platformRun("homelab", "argocd");
        const [plan] = byType(run, "aiops:platform:CapacityPlan");
        const requests = plan.inputs.requests as { service: string; cpu: number; memory: number }[];
        const cpu = requests.reduce((s, r) => s + r.cpu, 0);
        const memory = requests.reduce((s, r) => s + r.memory, 0);
        console.log(
            `      homelab lean platform requests: ${formatCpu(cpu)} CPU, ${formatMemory(memory)} over ${requests.length} workloads`,
        );
        expect(memory).to.be.at.most(6 * GiB);
        expect(cpu).to.be.at.most(3);
    });

    it("homelab with a 2Gi worker: refuses with the table before declaring any service", async () => {
        const lab = JSON.parse(
            JSON.stringify(
                (await import("yaml")).parse(
                    require("node:fs").readFileSync(require("node:path").join(__dirname, "../../Pulumi.homelab.yaml"), "utf8"),
                ).config["aiops-mlops-platform:homelab"],
            ),
        );
        for (const n of lab.nodes) n.allocatable.memory = "2Gi";
        let error: unknown;
        try {
            await runStack("homelab", { homelab: lab });
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(CapacityError);
        const message = (error as Error).message;
        expect(message).to.match(/The platform does not fit cluster 'homelab'/);
        expect(message).to.match(/service\s+cpu\s+memory/);
        expect(message).to.match(/kube-prometheus-stack\/prometheus/);
        expect(message).to.match(/total requested/);
        expect(message).to.match(/allocatable \(worker-x86 amd64\)\s+8\s+2Gi/);
        expect(message).to.match(/short: the cluster lacks memory/);
        expect((error as CapacityError).check.fits).to.equal(false);
    });
});
