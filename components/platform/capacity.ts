// Does the platform fit the machine? A pure check of the footprints against the schedulable nodes the
// config declares, and a component that records the plan (for the policy pack) and refuses to go on
// when it does not fit, before anything is installed.
import * as pulumi from "@pulumi/pulumi";
import type { Arch } from "../shared/node";
import type { ClusterContract } from "../cluster/contract";
import { schedulablePools } from "../cluster/contract";
import { formatCpu, formatMemory } from "../shared/quantity";
import type { Footprint } from "./footprint";

/** One node as the plan records it: cores and bytes allocatable to pods. */
export interface PlanNode {
    readonly name: string;
    readonly arch: Arch;
    readonly cpu: number;
    readonly memory: number;
}

/** Share of allocatable kept free for DaemonSets outside the platform, system pods and rolling updates. */
export const DEFAULT_HEADROOM_PERCENT = 10;

export interface CapacityShortfall {
    /** "all" for the whole cluster, or the architecture whose pools are short. */
    readonly scope: "all" | Arch;
    readonly resource: "cpu" | "memory";
    readonly requested: number;
    readonly usable: number;
}

export interface CapacityCheck {
    readonly fits: boolean;
    readonly requested: { readonly cpu: number; readonly memory: number };
    readonly allocatable: { readonly cpu: number; readonly memory: number };
    readonly usable: { readonly cpu: number; readonly memory: number };
    readonly shortfalls: readonly CapacityShortfall[];
    /** Workloads bigger than any single node they may run on (a pod cannot span nodes). */
    readonly oversized: readonly Footprint[];
}

/** Nodes of the schedulable pools, one entry per node ("pool" or "pool-2", ...). */
export function planNodes(cluster: Pick<ClusterContract, "nodePools">): PlanNode[] {
    return schedulablePools(cluster).flatMap((pool) =>
        Array.from({ length: pool.count }, (_, i) => ({
            name: pool.count === 1 ? pool.name : `${pool.name}-${i + 1}`,
            arch: pool.arch,
            cpu: pool.allocatable.cpu,
            memory: pool.allocatable.memory,
        })),
    );
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Whether the footprints fit the nodes with `headroomPercent` of every node kept free: in total, and
 * for arch-bound footprints within the pools of their architecture. Pure.
 */
export function checkCapacity(
    nodes: readonly PlanNode[],
    footprints: readonly Footprint[],
    headroomPercent = DEFAULT_HEADROOM_PERCENT,
): CapacityCheck {
    if (!(headroomPercent >= 0 && headroomPercent < 100)) throw new Error(`headroomPercent must be in [0, 100); got ${headroomPercent}`);
    const share = 1 - headroomPercent / 100;
    const requested = { cpu: sum(footprints.map((f) => f.cpu)), memory: sum(footprints.map((f) => f.memory)) };
    const allocatable = { cpu: sum(nodes.map((n) => n.cpu)), memory: sum(nodes.map((n) => n.memory)) };
    const usable = { cpu: allocatable.cpu * share, memory: allocatable.memory * share };
    const shortfalls: CapacityShortfall[] = [];
    for (const resource of ["cpu", "memory"] as const) {
        if (requested[resource] > usable[resource])
            shortfalls.push({ scope: "all", resource, requested: requested[resource], usable: usable[resource] });
    }
    const arches = [...new Set(footprints.map((f) => f.arch).filter((a): a is Arch => a !== undefined))].sort();
    for (const arch of arches) {
        const bound = footprints.filter((f) => f.arch === arch);
        const pool = nodes.filter((n) => n.arch === arch);
        for (const resource of ["cpu", "memory"] as const) {
            const want = sum(bound.map((f) => f[resource]));
            const have = sum(pool.map((n) => n[resource])) * share;
            if (want > have) shortfalls.push({ scope: arch, resource, requested: want, usable: have });
        }
    }
    const oversized = footprints.filter((f) => {
        const candidates = nodes.filter((n) => f.arch === undefined || n.arch === f.arch);
        return !candidates.some((n) => f.cpu <= n.cpu * share && f.memory <= n.memory * share);
    });
    return { fits: shortfalls.length === 0 && oversized.length === 0, requested, allocatable, usable, shortfalls, oversized };
}

const show = (resource: "cpu" | "memory", value: number) => (resource === "cpu" ? formatCpu(value) : formatMemory(value));

/** The table the error shows: every service, the totals against allocatable, and what is short. */
export function capacityReport(
    cluster: string,
    nodes: readonly PlanNode[],
    footprints: readonly Footprint[],
    check: CapacityCheck,
    headroomPercent: number,
): string {
    const width = Math.max(32, ...footprints.map((f) => f.workload.length + (f.arch ? f.arch.length + 3 : 0)));
    const row = (label: string, cpu: string, memory: string) => `  ${label.padEnd(width)}  ${cpu.padStart(7)}  ${memory.padStart(9)}`;
    const lines = [
        `The platform does not fit cluster '${cluster}': its services request more than the schedulable nodes offer with ${headroomPercent}% headroom.`,
        row("service", "cpu", "memory"),
        ...footprints.map((f) => row(f.arch ? `${f.workload} (${f.arch})` : f.workload, formatCpu(f.cpu), formatMemory(f.memory))),
        row("total requested", formatCpu(check.requested.cpu), formatMemory(check.requested.memory)),
        row(
            `allocatable (${nodes.map((n) => `${n.name} ${n.arch}`).join(", ") || "no schedulable node"})`,
            formatCpu(check.allocatable.cpu),
            formatMemory(check.allocatable.memory),
        ),
        row(`usable after ${headroomPercent}% headroom`, formatCpu(check.usable.cpu), formatMemory(check.usable.memory)),
        ...check.shortfalls.map(
            (s) =>
                `  short: ${s.scope === "all" ? "the cluster lacks" : `the ${s.scope} nodes (for ${s.scope}-only workloads) lack`} ${s.resource}: ` +
                `${show(s.resource, s.requested)} requested, ${show(s.resource, s.usable)} usable`,
        ),
        ...check.oversized.map(
            (f) =>
                `  short: ${f.workload} (${formatCpu(f.cpu)} cpu, ${formatMemory(f.memory)}) fits on no single ${f.arch ?? ""}${f.arch ? " " : ""}node`,
        ),
        `Fix: add or enlarge nodes (allocatable in the stack's node config), use profile lean, or turn optional services off.`,
    ];
    return lines.join("\n");
}

export class CapacityError extends Error {
    constructor(
        message: string,
        readonly check: CapacityCheck,
    ) {
        super(message);
        this.name = "CapacityError";
    }
}

export interface CapacityPlanArgs {
    readonly cluster: string;
    readonly nodes: readonly PlanNode[];
    readonly footprints: readonly Footprint[];
    readonly headroomPercent?: number;
}

/**
 * Records `{ cluster, nodes, requests }` (plain cores and bytes; the capacity policy reads this exact
 * shape) and throws a CapacityError with the table when the platform does not fit. Construct it
 * before any other platform resource, so a preview fails before anything would be installed.
 */
export class CapacityPlan extends pulumi.ComponentResource {
    readonly check: CapacityCheck;

    constructor(name: string, args: CapacityPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        const headroom = args.headroomPercent ?? DEFAULT_HEADROOM_PERCENT;
        const check = checkCapacity(args.nodes, args.footprints, headroom);
        if (!check.fits) throw new CapacityError(capacityReport(args.cluster, args.nodes, args.footprints, check, headroom), check);
        const inputs = {
            cluster: args.cluster,
            nodes: args.nodes.map((n) => ({ name: n.name, arch: n.arch, cpu: n.cpu, memory: n.memory })),
            requests: args.footprints.map((f) => ({ service: f.workload, cpu: f.cpu, memory: f.memory })),
        };
        super("aiops:platform:CapacityPlan", name, inputs, opts);
        this.check = check;
        // Also as outputs: a real preview's policy pack may see a component's outputs, not its inputs.
        this.registerOutputs(inputs);
    }
}
