// Kubernetes resource quantities to numbers (cores and bytes), for adding up what the platform asks for
// (the capacity check) and what the policy pack checks: one parser for both.
// https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
const SUFFIX: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A quantity as a number (cores for cpu, bytes for memory); undefined when it does not parse. */
export function parseQuantity(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value !== "string") return undefined;
    const match = QUANTITY.exec(value.trim());
    return match === null ? undefined : Number(match[1]) * SUFFIX[match[2] ?? ""];
}

/** "500m" -> 0.5, "2" -> 2, 1.5 -> 1.5 */
export function parseCpu(q: string | number): number {
    const cores = /^\s*[\d.]+m?\s*$/.test(String(q)) ? parseQuantity(q) : undefined;
    if (cores === undefined) throw new Error(`'${q}' is not a CPU quantity (use cores like "2" or millicores like "500m")`);
    return cores;
}

/** "512Mi" -> 536870912, "1G" -> 1e9 */
export function parseMemory(q: string | number): number {
    const bytes = /^\s*[\d.]+(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$/.test(String(q)) ? parseQuantity(String(q).replace(/K$/, "k")) : undefined;
    if (bytes === undefined) throw new Error(`'${q}' is not a memory quantity (use e.g. "512Mi" or "2Gi")`);
    return bytes;
}

/** 536870912 -> "512Mi" (rounded to the largest binary unit that keeps one decimal). */
export function formatMemory(bytes: number): string {
    for (const [unit, size] of [
        ["Gi", 2 ** 30],
        ["Mi", 2 ** 20],
        ["Ki", 2 ** 10],
    ] as const) {
        if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
    }
    return `${bytes}`;
}

export function formatCpu(cores: number): string {
    return cores >= 1 ? `${Number(cores.toFixed(2))}` : `${Math.round(cores * 1000)}m`;
}

/** A node's allocatable as configured ({cpu: 4, memory: "10Gi"}) in cores and bytes. */
export function parseCapacity(capacity: { readonly cpu: string | number; readonly memory: string | number }): {
    cpu: number;
    memory: number;
} {
    return { cpu: parseCpu(capacity.cpu), memory: parseMemory(capacity.memory) };
}
