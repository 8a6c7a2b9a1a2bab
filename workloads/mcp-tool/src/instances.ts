import { PrometheusClient } from "./prometheus";
import { UNAME_QUERY, UP_QUERY } from "@aiops/contract";

export interface InstanceInfo {
    /** The `instance` label, e.g. 10.0.1.10:9100. */
    readonly instance: string;
    /** node_uname_info `nodename` (the host name), when known. */
    readonly nodename?: string;
    /** node_uname_info `machine` as the kernel reports it (x86_64, aarch64, ...), when known. */
    readonly machine?: string;
    /** `machine` as a container platform architecture (amd64, arm64, ...), when known. */
    readonly arch?: string;
    /** Scrape job, when an `up` series names one. */
    readonly job?: string;
    /** Whether the last scrape in the past hour succeeded, when an `up` series exists. */
    readonly up?: boolean;
}

const ARCH: Record<string, string> = {
    x86_64: "amd64",
    amd64: "amd64",
    aarch64: "arm64",
    arm64: "arm64",
    armv7l: "arm",
    armv6l: "arm",
    i686: "386",
    i386: "386",
    ppc64le: "ppc64le",
    s390x: "s390x",
    riscv64: "riscv64",
};

export function archOf(machine: string): string | undefined {
    return ARCH[machine];
}

/** Node-exporter instances seen in the last hour, from node_uname_info and up{job=~".*node.*"}, sorted. */
export async function listInstances(prometheus: PrometheusClient, nowSeconds: number): Promise<InstanceInfo[]> {
    const [uname, up] = await Promise.all([prometheus.query(UNAME_QUERY, nowSeconds), prometheus.query(UP_QUERY, nowSeconds)]);
    const byInstance = new Map<string, { nodename?: string; machine?: string; arch?: string; job?: string; up?: boolean }>();
    for (const s of uname) {
        const instance = s.labels.instance;
        if (instance === undefined) continue;
        const { machine, nodename } = s.labels;
        byInstance.set(instance, {
            ...byInstance.get(instance),
            ...(nodename !== undefined ? { nodename } : {}),
            ...(machine !== undefined ? { machine, arch: archOf(machine) } : {}),
        });
    }
    for (const s of up) {
        const instance = s.labels.instance;
        if (instance === undefined) continue;
        const prev = byInstance.get(instance);
        byInstance.set(instance, { ...prev, job: s.labels.job, up: s.value === 1 || prev?.up === true });
    }
    return [...byInstance.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([instance, info]) => stripUndefined({ instance, ...info }));
}

function stripUndefined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** "10.0.1.10:9100 (homelab-server, arm64)" */
export function describeInstance(i: InstanceInfo): string {
    const extra = [i.nodename, i.arch ?? i.machine, i.up === false ? "down" : undefined].filter((x) => x !== undefined);
    return extra.length > 0 ? `${i.instance} (${extra.join(", ")})` : i.instance;
}
