/**
 * The process and Node.js runtime metrics a scrape of the detector reads, under prom-client's default names
 * (so a dashboard written for any prom-client service reads them), minus what needs a listener on every
 * garbage collection (nodejs_gc_duration_seconds) and the three gauges prom-client names like counters,
 * which `promtool check metrics` refuses (DROPPED_DEFAULT_METRICS in metrics.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { Counter, Gauge, Registry } from "./prom";

/** Resolution of the event loop delay sampler (prom-client's default). */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** The kB figures of /proc/self/status (Linux) by field, in bytes; empty elsewhere. */
export function procStatus(text = readOrEmpty("/proc/self/status")): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]) * 1024;
    return out;
}

/** The soft limit on open files from /proc/self/limits, or undefined (unlimited or not Linux). */
export function maxOpenFiles(text = readOrEmpty("/proc/self/limits")): number | undefined {
    const m = /^Max open files\s+(\d+)/m.exec(text);
    return m === null ? undefined : Number(m[1]);
}

function readOrEmpty(path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch {
        return "";
    }
}

/** Registers the process and runtime metrics on `registry`; each reads its figure at scrape time. */
export function registerProcessMetrics(registry: Registry): void {
    const registers = [registry];
    const cpu = (name: string, help: string, read: (u: NodeJS.CpuUsage) => number) =>
        new ProcessCounter({ name, help, registers }, () => read(process.cpuUsage()) / 1e6);
    cpu("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", (u) => u.user);
    cpu("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", (u) => u.system);
    cpu("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (u) => u.user + u.system);

    const startTime = Math.round(Date.now() / 1000 - process.uptime());
    gauge(registry, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => startTime);
    const status = (field: string) => () => procStatus()[field] ?? (field === "VmRSS" ? process.memoryUsage.rss() : undefined);
    gauge(registry, "process_resident_memory_bytes", "Resident memory size in bytes.", status("VmRSS"));
    gauge(registry, "process_virtual_memory_bytes", "Virtual memory size in bytes.", status("VmSize"));
    gauge(registry, "process_heap_bytes", "Process heap size in bytes.", status("VmData"));
    gauge(registry, "process_open_fds", "Number of open file descriptors.", () => {
        try {
            return readdirSync("/proc/self/fd").length - 1; // less the descriptor reading the directory
        } catch {
            return undefined;
        }
    });
    gauge(registry, "process_max_fds", "Maximum number of open file descriptors.", () => maxOpenFiles());

    const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    delay.enable();
    // Figures since the previous scrape, as prom-client's: the registry renders in registration order, so the
    // p99 gauge, registered last, reads after the others and resets the sampler for the next scrape.
    const lag = (name: string, help: string, read: () => number) =>
        gauge(registry, `nodejs_eventloop_lag_${name}_seconds`, help, () => (delay.count === 0 ? undefined : read() / 1e9));
    lag("min", "The minimum recorded event loop delay.", () => delay.min);
    lag("max", "The maximum recorded event loop delay.", () => delay.max);
    lag("mean", "The mean of the recorded event loop delays.", () => delay.mean);
    lag("stddev", "The standard deviation of the recorded event loop delays.", () => delay.stddev);
    lag("p50", "The 50th percentile of the recorded event loop delays.", () => delay.percentile(50));
    lag("p90", "The 90th percentile of the recorded event loop delays.", () => delay.percentile(90));
    lag("p99", "The 99th percentile of the recorded event loop delays.", () => {
        const p99 = delay.percentile(99);
        delay.reset();
        return p99;
    });

    new Gauge({
        name: "nodejs_active_resources",
        help: "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.",
        labelNames: ["type"],
        registers,
        collect() {
            this.reset();
            const counts = new Map<string, number>();
            for (const t of process.getActiveResourcesInfo()) counts.set(t, (counts.get(t) ?? 0) + 1);
            for (const [type, n] of counts) this.set({ type }, n);
        },
    });

    const memory = (name: string, help: string, read: (m: NodeJS.MemoryUsage) => number) =>
        gauge(registry, name, help, () => read(process.memoryUsage()));
    memory("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", (m) => m.heapTotal);
    memory("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", (m) => m.heapUsed);
    memory("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", (m) => m.external);

    for (const [field, what] of [
        ["space_size", "total"],
        ["space_used_size", "used"],
        ["space_available_size", "available"],
    ] as const) {
        new Gauge({
            name: `nodejs_heap_space_size_${what}_bytes`,
            help: `Process heap space size ${what} from Node.js in bytes.`,
            labelNames: ["space"],
            registers,
            collect() {
                this.reset();
                for (const s of getHeapSpaceStatistics()) this.set({ space: s.space_name.replace(/_space$/, "") }, s[field]);
            },
        });
    }

    const [major, minor, patch] = process.versions.node.split(".").map(Number);
    new Gauge({
        name: "nodejs_version_info",
        help: "Node.js version info.",
        labelNames: ["version", "major", "minor", "patch"],
        registers,
    }).set({ version: process.version, major, minor, patch }, 1);
}

/** A gauge without labels whose value `read` gives at scrape time (absent while it gives undefined). */
function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
    new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
            this.reset();
            const v = read();
            if (v !== undefined) this.set(v);
        },
    });
}

/** A counter the process keeps (CPU seconds): the scrape reads its total instead of counting increments. */
class ProcessCounter extends Counter {
    constructor(
        opts: ConstructorParameters<typeof Counter>[0],
        private readonly read: () => number,
    ) {
        super(opts);
    }

    override samples(): string[] {
        return [`${this.name} ${this.read()}`];
    }
}
