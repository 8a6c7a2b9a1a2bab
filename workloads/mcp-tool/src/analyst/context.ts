// What the analyst knows about an alert before asking the agent: the metric's recent window, the anomaly
// scores for the instance and the recent Kubernetes events of the pod or node. Every piece is optional:
// a failing source is recorded as a note, never fails the report.
import * as fs from "node:fs";
import { SCORER_METRICS, buildQuery, instanceMatcher, isMetricName, isValidInstance } from "@aiops/contract";
import type { WebhookAlert } from "./alertmanager";
import type { AnalystConfig } from "./config";
import { UpstreamError, callJson } from "./http";

export interface Series {
    readonly labels: Readonly<Record<string, string>>;
    readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface KubeEvent {
    readonly time: string;
    readonly type: string;
    readonly reason: string;
    readonly object: string;
    readonly message: string;
    readonly count: number;
}

export interface AlertContext {
    readonly alert: WebhookAlert;
    /** The instance the alert is about (label `instance`), if any. */
    readonly instance?: string;
    /** The node metric (cpu|memory|disk|network) when the alert names one. */
    readonly metric?: string;
    readonly window?: Series[];
    readonly scores?: Series[];
    readonly events?: KubeEvent[];
    /** What could not be gathered, and why. */
    readonly notes: string[];
    readonly windowMinutes: number;
}

export interface ContextSources {
    queryRange(query: string, start: number, end: number, step: number): Promise<Series[]>;
    events(target: { namespace?: string; kind: "Pod" | "Node"; name: string }): Promise<KubeEvent[]>;
}

/** Prometheus and the Kubernetes API as configured. */
export function liveSources(config: AnalystConfig): ContextSources {
    const timeoutMs = config.dependencyTimeoutMs;
    return {
        async queryRange(query, start, end, step) {
            const u = new URL(`${config.prometheusUrl}/api/v1/query_range`);
            for (const [k, v] of Object.entries({ query, start: String(start), end: String(end), step: String(step) }))
                u.searchParams.set(k, v);
            const body = (await callJson("Prometheus", u.toString(), { timeoutMs })) as {
                status?: string;
                data?: { result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }> };
            };
            if (body.status !== "success" || !Array.isArray(body.data?.result))
                throw new UpstreamError("Prometheus", "bad_response", "Prometheus answered without a matrix");
            return body.data.result.map((s) => ({
                labels: s.metric ?? {},
                points: (s.values ?? []).map(([t, v]) => [t, Number(v)] as const).filter(([, v]) => Number.isFinite(v)),
            }));
        },
        async events(target) {
            if (config.kubernetesApiUrl === undefined)
                throw new UpstreamError("Kubernetes API", "unreachable", "no Kubernetes API configured (not in a cluster)");
            const token = readIfPresent(config.kubernetesTokenFile);
            const ca = readIfPresent(config.kubernetesCaFile);
            const path = target.namespace ? `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/events` : "/api/v1/events";
            const u = new URL(`${config.kubernetesApiUrl}${path}`);
            u.searchParams.set("fieldSelector", `involvedObject.kind=${target.kind},involvedObject.name=${target.name}`);
            u.searchParams.set("limit", "50");
            const body = (await callJson("Kubernetes API", u.toString(), {
                timeoutMs,
                ca,
                headers: token ? { authorization: `Bearer ${token.trim()}` } : {},
                // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes API JSON, read field by field
            })) as { items?: Array<Record<string, any>> };
            return (body.items ?? [])
                .map(toEvent)
                .sort((a, b) => b.time.localeCompare(a.time))
                .slice(0, 10);
        },
    };
}

function readIfPresent(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes API JSON, read field by field
function toEvent(e: Record<string, any>): KubeEvent {
    return {
        time: String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? ""),
        type: String(e.type ?? ""),
        reason: String(e.reason ?? ""),
        object: `${e.involvedObject?.kind ?? "?"}/${e.involvedObject?.name ?? "?"}`,
        message: String(e.message ?? "").slice(0, 300),
        count: Number(e.count ?? 1),
    };
}

/** The instance label without its port: node-1:9100 -> node-1 (the Node's name on most clusters). */
export function hostOf(instance: string): string {
    const bracketed = /^\[(.*)\](:\d+)?$/.exec(instance);
    if (bracketed) return bracketed[1];
    // A bare IPv6 address has several colons and no port.
    return (instance.match(/:/g) ?? []).length === 1 ? instance.replace(/:\d+$/, "") : instance;
}

/** Gathers everything it can about one alert within the dependency timeouts. `now` in unix seconds. */
export async function gatherContext(
    alert: WebhookAlert,
    sources: ContextSources,
    windowMinutes: number,
    now: number,
): Promise<AlertContext> {
    const notes: string[] = [];
    const instance = alert.labels.instance && isValidInstance(alert.labels.instance) ? alert.labels.instance : undefined;
    const metric = isMetricName(alert.labels.metric) ? alert.labels.metric : undefined;
    const start = now - windowMinutes * 60;
    const step = Math.max(15, Math.round((windowMinutes * 60) / 60));
    const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
        try {
            return await f();
        } catch (err) {
            notes.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
            return undefined;
        }
    };
    const [window, scores, events] = await Promise.all([
        metric && instance
            ? attempt(`${metric} window`, () => sources.queryRange(buildQuery(metric, instance), start, now, step))
            : undefined,
        instance
            ? attempt("anomaly scores", () => sources.queryRange(`${SCORER_METRICS.score}{${instanceMatcher(instance)}}`, start, now, step))
            : undefined,
        eventTarget(alert, instance) ? attempt("Kubernetes events", () => sources.events(eventTarget(alert, instance)!)) : undefined,
    ]);
    return { alert, instance, metric, window, scores, events, notes, windowMinutes };
}

/** The pod when the alert names one (namespace+pod), else the node (label node, or the instance's host). */
function eventTarget(
    alert: WebhookAlert,
    instance: string | undefined,
): { namespace?: string; kind: "Pod" | "Node"; name: string } | undefined {
    const { namespace, pod, node } = alert.labels;
    if (namespace && pod) return { namespace, kind: "Pod", name: pod };
    if (node) return { kind: "Node", name: node };
    if (instance) return { kind: "Node", name: hostOf(instance) };
    return undefined;
}
