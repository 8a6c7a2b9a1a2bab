// What each platform service asks the scheduler for, so the stack can add it up against the nodes
// before anything is deployed.
import type { Arch } from "../shared/node";

/** Requests of one always-on workload of a service (all replicas together), in cores and bytes. */
export interface Footprint {
    /** Service and workload, e.g. "kube-prometheus-stack/prometheus". */
    readonly workload: string;
    readonly cpu: number;
    readonly memory: number;
    /** Set when the workload can only run on one architecture. */
    readonly arch?: Arch;
}

/** Every platform component exposes its footprint, computed from the same values it installs. */
export interface HasFootprint {
    readonly footprint: readonly Footprint[];
}

/**
 * A service's pure plan, computed once per stack (stacks/platform.ts planServices): the chart values the component installs
 * and what they ask the scheduler for, which the capacity check adds up before anything is declared.
 */
export interface ServicePlan {
    readonly values: Record<string, unknown>;
    readonly footprint: Footprint[];
}
