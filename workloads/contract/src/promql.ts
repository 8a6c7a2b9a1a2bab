import type { MetricName } from "./metrics";

// Instance labels are host:port (10.0.1.10:9100, node-1:9100, [fd00::1]:9100). Anything else is refused
// before it reaches PromQL; the regex escaping below is a second line of defence.
const INSTANCE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/;
const HAS_PORT = /:\d{1,5}$/;

export function isValidInstance(instance: string): boolean {
    return instance.length <= 255 && INSTANCE.test(instance);
}

/** Escapes RE2 metacharacters so a literal string matches only itself. */
export function escapeRegex(text: string): string {
    return text.replace(/[\\.^$|?*+()[\]{}]/g, "\\$&");
}

/** Quotes a string as a PromQL double-quoted literal. */
export function promqlString(text: string): string {
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The label matcher for an instance: `10.0.0.5` matches `10.0.0.5` and `10.0.0.5:<any port>`,
 * while `10.0.0.5:9100` matches only itself. PromQL anchors `=~` regexes at both ends.
 */
export function instanceMatcher(instance: string): string {
    const pattern = HAS_PORT.test(instance) ? escapeRegex(instance) : `${escapeRegex(instance)}(:\\d+)?`;
    return `instance=~${promqlString(pattern)}`;
}

const REAL_FS = `fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs"`;

/** `{a,b}` from matchers, or nothing when there are none (a bare metric name). */
function selector(...matchers: (string | undefined)[]): string {
    const present = matchers.filter((m): m is string => m !== undefined && m !== "");
    return present.length === 0 ? "" : `{${present.join(",")}}`;
}

/**
 * The PromQL for one metric, from the seed's Metrics Reference, aggregated `by (instance)` so each
 * node-exporter target yields one series. With an instance, only the targets it matches (see
 * instanceMatcher); without one, every node-exporter instance Prometheus scrapes (training, scoring).
 */
export function buildQuery(metric: MetricName, instance?: string): string {
    const m = instance === undefined ? undefined : instanceMatcher(instance);
    switch (metric) {
        case "cpu":
            return `100 - (avg by (instance) (rate(node_cpu_seconds_total${selector('mode="idle"', m)}[5m])) * 100)`;
        case "memory":
            return `avg by (instance) ((1 - (node_memory_MemAvailable_bytes${selector(m)} / node_memory_MemTotal_bytes${selector(m)})) * 100)`;
        case "disk": {
            const fs = selector(m, REAL_FS);
            return `max by (instance) ((node_filesystem_size_bytes${fs} - node_filesystem_avail_bytes${fs}) / node_filesystem_size_bytes${fs} * 100)`;
        }
        case "network": {
            const dev = selector(m, 'device!="lo"');
            return (
                `sum by (instance) (rate(node_network_receive_bytes_total${dev}[5m]))` +
                ` + sum by (instance) (rate(node_network_transmit_bytes_total${dev}[5m]))`
            );
        }
    }
}

/** Node-exporter targets with their uname labels (arch, node name), seen in the last hour. */
export const UNAME_QUERY = "max by (instance, machine, nodename) (last_over_time(node_uname_info[1h]))";
/** Node-exporter scrape health, for targets whose uname series is missing. */
export const UP_QUERY = 'max by (instance, job) (last_over_time(up{job=~".*node.*"}[1h]))';
