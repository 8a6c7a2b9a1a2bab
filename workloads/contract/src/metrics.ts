// The four node metrics of the AIOps loop and the detector model that scores each. The trainer, the scorer,
// the MCP tool and the Pulumi components (InferenceService, alert rules, dashboard) all read this one table,
// so a model name cannot disagree between the one that trains it and the ones that ask for it.

/** The node metrics the tools can analyse, one detector model each. */
export const METRIC_NAMES = ["cpu", "memory", "disk", "network"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricInfo {
    /** What the value means, for tool descriptions and summaries. */
    readonly description: string;
    readonly unit: "%" | "B/s";
    /** The detector model trained on and serving this metric (file `<model>.json` in the model directory). */
    readonly model: string;
}

export const METRICS: Readonly<Record<MetricName, MetricInfo>> = {
    cpu: { description: "CPU usage in percent (100 minus the idle rate, averaged over all CPUs)", unit: "%", model: "node-cpu" },
    memory: { description: "memory usage in percent (1 - MemAvailable / MemTotal)", unit: "%", model: "node-memory" },
    disk: { description: "disk usage in percent of the fullest real filesystem", unit: "%", model: "node-disk" },
    network: {
        description: "network traffic in bytes per second (receive + transmit, all devices but lo)",
        unit: "B/s",
        model: "node-network",
    },
};

/** Every model name, in METRIC_NAMES order. */
export const MODEL_NAMES: readonly string[] = METRIC_NAMES.map((m) => METRICS[m].model);

export function isMetricName(x: unknown): x is MetricName {
    return typeof x === "string" && (METRIC_NAMES as readonly string[]).includes(x);
}

/** A value with its unit, compact enough for a one-line summary: "97.3%", "12.4 MB/s". */
export function formatValue(metric: MetricName, value: number): string {
    if (METRICS[metric].unit === "%") return `${value.toFixed(1)}%`;
    const units = ["B/s", "kB/s", "MB/s", "GB/s"];
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) {
        v /= 1000;
        i++;
    }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
