// Node facts every layer speaks of: CPU architecture, taints and the capacity a node offers to pods.
// The stack config's schema (stacks/config/schema.ts) is checked against these types, not the other way.

export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** A Kubernetes node taint. */
export interface Taint {
    readonly key: string;
    readonly value?: string;
    readonly effect: (typeof TAINT_EFFECTS)[number];
}

/** Capacity a node offers to pods, as written in stack files (CPU 4, "3.5" or "500m"; memory "10Gi"). */
export interface Capacity {
    readonly cpu: number | string;
    readonly memory: string;
}
