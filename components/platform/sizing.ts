// Container sizes written once and used twice: as the `resources` block a chart receives and as the
// footprint the capacity check adds up, so the two can never disagree.
import type { Arch } from "../shared/node";
import { parseCpu, parseMemory } from "../shared/quantity";
import type { Footprint } from "./footprint";

export type Profile = "standard" | "lean";

/** Requests and limits of one container, as Kubernetes quantities. */
export interface Size {
    readonly cpu: string;
    readonly memory: string;
    readonly limitCpu: string;
    readonly limitMemory: string;
}

export interface ResourceBlock {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** The `resources:` block for a container of this size. */
export function resources(size: Size): ResourceBlock {
    return { requests: { cpu: size.cpu, memory: size.memory }, limits: { cpu: size.limitCpu, memory: size.limitMemory } };
}

/** One always-on workload: its containers' requests times its replicas (0 replicas: nothing). */
export function footprint(workload: string, containers: readonly Size[], replicas = 1, arch?: Arch): Footprint {
    // Whole millicores: sums of decimal fractions would otherwise show as 0.060000000000000005.
    const cpu = Math.round(containers.reduce((sum, c) => sum + parseCpu(c.cpu) * 1000, 0) * replicas) / 1000;
    const memory = containers.reduce((sum, c) => sum + parseMemory(c.memory), 0) * replicas;
    return arch ? { workload, cpu, memory, arch } : { workload, cpu, memory };
}

/** Sums of a list of footprints, in cores and bytes. */
export function totalOf(footprints: readonly Footprint[]): { cpu: number; memory: number } {
    return footprints.reduce((t, f) => ({ cpu: t.cpu + f.cpu, memory: t.memory + f.memory }), { cpu: 0, memory: 0 });
}

/** Shorthand for a size literal: size("50m", "64Mi", "200m", "128Mi"). */
export function size(cpu: string, memory: string, limitCpu: string, limitMemory: string): Size {
    return { cpu, memory, limitCpu, limitMemory };
}
