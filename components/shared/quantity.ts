// Kubernetes resource quantities to numbers (cores and bytes), for adding up what the platform asks for.
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, "": 1 };

/** "500m" -> 0.5, "2" -> 2, 1.5 -> 1.5 */
export function parseCpu(q: string | number): number {
    if (typeof q === "number") return q;
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a CPU quantity (use cores like "2" or millicores like "500m")`);
    return m[2] === "m" ? Number(m[1]) / 1000 : Number(m[1]);
}

/** "512Mi" -> 536870912, "1G" -> 1e9 */
export function parseMemory(q: string | number): number {
    if (typeof q === "number") return q;
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a memory quantity (use e.g. "512Mi" or "2Gi")`);
    const unit = m[2] ?? "";
    return Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit]);
}

/** 536870912 -> "512Mi" (rounded to the largest binary unit that keeps one decimal). */
export function formatMemory(bytes: number): string {
    for (const [unit, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
        if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
    }
    return `${bytes}`;
}

export function formatCpu(cores: number): string {
    return cores >= 1 ? `${Number(cores.toFixed(2))}` : `${Math.round(cores * 1000)}m`;
}
