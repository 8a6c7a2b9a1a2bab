/**
 * Synthetic node-exporter history for 2 fake nodes, written as OpenMetrics for `promtool tsdb
 * create-blocks-from openmetrics`. Values are realistic (daily cycle, mild noise, monotonic counters) and
 * one anomaly per metric is planted on the first node at a known time.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { MetricName } from "@aiops/contract";
import { Random } from "../../../detector/src/random";

export interface FakeNode {
    readonly instance: string;
    readonly nodename: string;
    /** node_uname_info machine label (kernel arch name). */
    readonly machine: string;
    readonly cpus: number;
    readonly memTotalBytes: number;
    readonly rootFsBytes: number;
    /** Level of the metrics, so the nodes differ a little. */
    readonly load: number;
}

export interface PlantedAnomaly {
    readonly metric: MetricName;
    readonly instance: string;
    /** Unix seconds, inclusive. */
    readonly start: number;
    readonly end: number;
    readonly what: string;
}

export interface DatasetSpec {
    /** Unix seconds of the last sample. */
    readonly end: number;
    readonly hours: number;
    /** Seconds between samples (a scrape interval). */
    readonly resolution: number;
    readonly nodes: readonly FakeNode[];
    readonly anomalies: readonly PlantedAnomaly[];
    readonly seed: number;
}

const GiB = 1024 ** 3;
const HOUR = 3600;

/** 2026-01-15T12:00:00Z: data ends at a fixed time so every run sees the same series (the server gets a clock). */
export const DATA_END = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000;

export const NODES: readonly FakeNode[] = [
    {
        instance: "10.0.0.11:9100",
        nodename: "homelab-server",
        machine: "aarch64",
        cpus: 2,
        memTotalBytes: 8 * GiB,
        rootFsBytes: 100 * GiB,
        load: 1,
    },
    {
        instance: "10.0.0.12:9100",
        nodename: "homelab-worker",
        machine: "x86_64",
        cpus: 4,
        memTotalBytes: 16 * GiB,
        rootFsBytes: 250 * GiB,
        load: 0.8,
    },
];

/**
 * The default data set: 30 h at 15 s ending at DATA_END. The anomalies sit in the last 6 h (the window the
 * tests query), one per metric on the first node, at different times so each metric has its own period.
 */
export function defaultDataset(end = DATA_END): DatasetSpec {
    const node = NODES[0].instance;
    return {
        end,
        hours: 30,
        resolution: 15,
        nodes: NODES,
        seed: 7,
        anomalies: [
            { metric: "cpu", instance: node, start: end - 4 * HOUR, end: end - 4 * HOUR + 20 * 60, what: "CPU pegged at ~98% for 20 min" },
            {
                metric: "memory",
                instance: node,
                start: end - 3 * HOUR,
                end: end - 3 * HOUR + 20 * 60,
                what: "memory use jumps from ~40% to ~88% for 20 min",
            },
            {
                metric: "disk",
                instance: node,
                start: end - 2 * HOUR,
                end: end - 2 * HOUR + 15 * 60,
                what: "root filesystem fills from ~45% to ~85% in 15 min, then is cleaned up",
            },
            {
                metric: "network",
                instance: node,
                start: end - 1 * HOUR,
                end: end - 1 * HOUR + 15 * 60,
                what: "eth0 receives ~60 MB/s instead of ~2 MB/s for 15 min",
            },
        ],
    };
}

/** Deterministic PRNG (the detector's own) so the data, and so the trained models, are identical on every run. */
function rng(seed: number): () => number {
    const random = new Random(seed);
    return () => random.next();
}

const daily = (t: number): number => Math.sin((2 * Math.PI * (t % 86400)) / 86400);

function within(spec: DatasetSpec, metric: MetricName, instance: string, t: number): PlantedAnomaly | undefined {
    return spec.anomalies.find((a) => a.metric === metric && a.instance === instance && t >= a.start && t <= a.end);
}

interface Series {
    readonly labels: string;
    readonly values: Float64Array;
}

/** All series of one node, per metric family, as arrays over the sample times. */
function nodeSeries(spec: DatasetSpec, node: FakeNode, times: Float64Array, rand: () => number): Map<string, Series[]> {
    const n = times.length;
    const dt = spec.resolution;
    const base = `instance="${node.instance}",job="node-exporter"`;
    const families = new Map<string, Series[]>();
    const add = (family: string, labels: string, values: Float64Array) => {
        const list = families.get(family) ?? [];
        list.push({ labels: labels === "" ? base : `${base},${labels}`, values });
        families.set(family, list);
    };
    const noise = (amplitude: number) => (rand() * 2 - 1) * amplitude;

    // CPU: per-CPU busy share -> idle/user/system second counters.
    for (let cpu = 0; cpu < node.cpus; cpu++) {
        const idle = new Float64Array(n);
        const user = new Float64Array(n);
        const system = new Float64Array(n);
        let ci = 1e5 * (cpu + 1);
        let cu = 2e4 * (cpu + 1);
        let cs = 8e3 * (cpu + 1);
        for (let k = 0; k < n; k++) {
            const t = times[k];
            let busy = node.load * (0.18 + 0.06 * daily(t)) + noise(0.04);
            if (within(spec, "cpu", node.instance, t)) busy = 0.97 + noise(0.02);
            busy = Math.min(1, Math.max(0.01, busy));
            ci += (1 - busy) * dt;
            cu += 0.7 * busy * dt;
            cs += 0.3 * busy * dt;
            idle[k] = ci;
            user[k] = cu;
            system[k] = cs;
        }
        add("node_cpu_seconds_total", `cpu="${cpu}",mode="idle"`, idle);
        add("node_cpu_seconds_total", `cpu="${cpu}",mode="user"`, user);
        add("node_cpu_seconds_total", `cpu="${cpu}",mode="system"`, system);
    }

    // Memory: used share with a daily cycle; available = total * (1 - used).
    const memTotal = new Float64Array(n).fill(node.memTotalBytes);
    const memAvail = new Float64Array(n);
    for (let k = 0; k < n; k++) {
        const t = times[k];
        let used = node.load * (0.4 + 0.03 * daily(t)) + noise(0.006);
        if (within(spec, "memory", node.instance, t)) used = 0.88 + noise(0.01);
        memAvail[k] = Math.round(node.memTotalBytes * (1 - used));
    }
    add("node_memory_MemAvailable_bytes", "", memAvail);
    add("node_memory_MemTotal_bytes", "", memTotal);

    // Filesystems: / (ext4) wobbles a little, /boot (vfat) is static, /run (tmpfs) must be ignored by the query.
    const fill = spec.anomalies.find((a) => a.metric === "disk" && a.instance === node.instance);
    const rootAvail = new Float64Array(n);
    const bootSize = 512 * 1024 ** 2;
    const runSize = 800 * 1024 ** 2;
    for (let k = 0; k < n; k++) {
        const t = times[k];
        // No long-term trend: a steadily growing disk makes every new value unseen in training (a real
        // deployment retrains for that); the test is about the planted burst.
        let used = 0.45 * node.load + 0.002 * daily(t) + noise(0.0004);
        if (fill !== undefined && t >= fill.start && t <= fill.end) used += (0.4 * (t - fill.start)) / (fill.end - fill.start);
        rootAvail[k] = Math.round(node.rootFsBytes * (1 - used));
    }
    const fsLabels = [
        { labels: 'device="/dev/nvme0n1p2",fstype="ext4",mountpoint="/"', size: node.rootFsBytes, avail: rootAvail },
        {
            labels: 'device="/dev/nvme0n1p1",fstype="vfat",mountpoint="/boot"',
            size: bootSize,
            avail: new Float64Array(n).fill(bootSize * 0.8),
        },
        { labels: 'device="tmpfs",fstype="tmpfs",mountpoint="/run"', size: runSize, avail: new Float64Array(n).fill(runSize * 0.01) },
    ];
    for (const fs of fsLabels) add("node_filesystem_avail_bytes", fs.labels, fs.avail);
    for (const fs of fsLabels) add("node_filesystem_size_bytes", fs.labels, new Float64Array(n).fill(fs.size));

    // Network: byte counters; eth0 carries the traffic, lo a little.
    const counters = { eth0rx: 5e9, eth0tx: 1e9, lorx: 1e8, lotx: 1e8 };
    const rx = new Float64Array(n);
    const tx = new Float64Array(n);
    const lorx = new Float64Array(n);
    const lotx = new Float64Array(n);
    for (let k = 0; k < n; k++) {
        const t = times[k];
        let rxRate = node.load * (2e6 + 5e5 * daily(t)) * (1 + noise(0.25));
        if (within(spec, "network", node.instance, t)) rxRate = 6e7 * (1 + noise(0.05));
        const txRate = node.load * 5e5 * (1 + noise(0.25));
        const loRate = 5e4 * (1 + noise(0.2));
        counters.eth0rx += Math.round(rxRate * dt);
        counters.eth0tx += Math.round(txRate * dt);
        counters.lorx += Math.round(loRate * dt);
        counters.lotx += Math.round(loRate * dt);
        rx[k] = counters.eth0rx;
        tx[k] = counters.eth0tx;
        lorx[k] = counters.lorx;
        lotx[k] = counters.lotx;
    }
    add("node_network_receive_bytes_total", 'device="eth0"', rx);
    add("node_network_receive_bytes_total", 'device="lo"', lorx);
    add("node_network_transmit_bytes_total", 'device="eth0"', tx);
    add("node_network_transmit_bytes_total", 'device="lo"', lotx);

    add(
        "node_uname_info",
        `machine="${node.machine}",nodename="${node.nodename}",release="6.1.0-28",sysname="Linux"`,
        new Float64Array(n).fill(1),
    );
    add("up", "", new Float64Array(n).fill(1));
    return families;
}

const TYPES: Record<string, "counter" | "gauge"> = {
    node_cpu_seconds_total: "counter",
    node_memory_MemAvailable_bytes: "gauge",
    node_memory_MemTotal_bytes: "gauge",
    node_filesystem_avail_bytes: "gauge",
    node_filesystem_size_bytes: "gauge",
    node_network_receive_bytes_total: "counter",
    node_network_transmit_bytes_total: "counter",
    node_uname_info: "gauge",
    up: "gauge",
};

/**
 * Writes the data set as OpenMetrics text: each family contiguous (promtool requires it), timestamps in
 * seconds, `# EOF` last. Returns the number of samples written.
 */
export function writeOpenMetrics(spec: DatasetSpec, path: string): number {
    const n = Math.floor((spec.hours * HOUR) / spec.resolution) + 1;
    const times = new Float64Array(n);
    for (let k = 0; k < n; k++) times[k] = spec.end - (n - 1 - k) * spec.resolution;
    const rand = rng(spec.seed);
    const perNode = spec.nodes.map((node) => nodeSeries(spec, node, times, rand));

    const fd = openSync(path, "w");
    let samples = 0;
    try {
        for (const [family, type] of Object.entries(TYPES)) {
            // OpenMetrics names a counter family without its _total suffix.
            const familyName = type === "counter" ? family.replace(/_total$/, "") : family;
            writeSync(fd, `# TYPE ${familyName} ${type}\n`);
            for (const families of perNode) {
                for (const s of families.get(family) ?? []) {
                    const lines: string[] = new Array(n);
                    for (let k = 0; k < n; k++) lines[k] = `${family}{${s.labels}} ${Math.round(s.values[k] * 1000) / 1000} ${times[k]}`;
                    writeSync(fd, `${lines.join("\n")}\n`);
                    samples += n;
                }
            }
        }
        writeSync(fd, "# EOF\n");
    } finally {
        closeSync(fd);
    }
    return samples;
}
