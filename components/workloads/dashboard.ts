// The AIOps overview dashboard: one Grafana dashboard as data, shipped in a ConfigMap the kube-prometheus-stack
// Grafana sidecar picks up (grafana.sidecar.dashboards.label `grafana_dashboard`, labelValue "1",
// searchNamespace ALL in kube-prometheus-stack 88.5.3 values). Every panel queries through the `datasource`
// variable and filters on the `cluster` and `instance` variables, so the hybrid edge (remote-written with
// `cluster`) shows up next to the centre.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SCORER_METRICS } from "@aiops/contract";
import { handDown } from "../delivery";
import { PART_OF_LABEL } from "../platform/namespace";
import { MCP_NAMESPACE } from "./mcp-tool";

/** The Grafana sidecar's label (kube-prometheus-stack 88.5.3: grafana.sidecar.dashboards.label / labelValue). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
export const DASHBOARD_UID = "aiops-overview";
/** The datasource kube-prometheus-stack provisions (grafana.sidecar.datasources.uid). */
export const DEFAULT_DATASOURCE_UID = "prometheus";

const DS = { type: "prometheus", uid: "${datasource}" };
/** Matchers every query carries: the cluster variable (".*" also matches series without a cluster label). */
const C = 'cluster=~"$cluster"';
const CI = `${C}, instance=~"$instance"`;
const REAL_FS = 'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs"';

export interface Target {
    readonly refId: string;
    readonly expr: string;
    readonly legendFormat: string;
    readonly datasource?: typeof DS;
    readonly [k: string]: unknown;
}

export interface Panel {
    readonly id: number;
    readonly type: string;
    readonly title: string;
    readonly gridPos: { x: number; y: number; w: number; h: number };
    readonly datasource?: typeof DS;
    readonly targets?: Target[];
    readonly [k: string]: unknown;
}

/** Node metric queries by instance, as the scorer computes them (contract promql.ts), with the variables. */
export const NODE_QUERIES: Record<"cpu" | "memory" | "disk" | "network", { title: string; expr: string; unit: string }> = {
    cpu: {
        title: "CPU usage",
        expr: `100 - (avg by (cluster, instance) (rate(node_cpu_seconds_total{mode="idle", ${CI}}[$__rate_interval])) * 100)`,
        unit: "percent",
    },
    memory: {
        title: "Memory usage",
        expr: `avg by (cluster, instance) ((1 - node_memory_MemAvailable_bytes{${CI}} / node_memory_MemTotal_bytes{${CI}}) * 100)`,
        unit: "percent",
    },
    disk: {
        title: "Disk usage (fullest filesystem)",
        expr: `max by (cluster, instance) ((node_filesystem_size_bytes{${CI}, ${REAL_FS}} - node_filesystem_avail_bytes{${CI}, ${REAL_FS}}) / node_filesystem_size_bytes{${CI}, ${REAL_FS}} * 100)`,
        unit: "percent",
    },
    network: {
        title: "Network traffic",
        expr: `sum by (cluster, instance) (rate(node_network_receive_bytes_total{${CI}, device!="lo"}[$__rate_interval]) + rate(node_network_transmit_bytes_total{${CI}, device!="lo"}[$__rate_interval]))`,
        unit: "Bps",
    },
};

function timeseries(
    id: number,
    title: string,
    gridPos: Panel["gridPos"],
    targets: Array<[string, string]>,
    unit: string,
    extra: Record<string, unknown> = {},
): Panel {
    return {
        id,
        type: "timeseries",
        title,
        gridPos,
        datasource: DS,
        targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat, datasource: DS })),
        fieldConfig: { defaults: { unit, custom: { lineWidth: 1, fillOpacity: 5 } }, overrides: [] },
        options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
        ...extra,
    };
}

function row(id: number, title: string, y: number): Panel {
    return { id, type: "row", title, gridPos: { x: 0, y, w: 24, h: 1 }, collapsed: false, panels: [] };
}

/** Series named "anomalous ..." are drawn as red points over the metric. */
const ANOMALY_OVERRIDE = {
    matcher: { id: "byRegexp", options: "^anomalous.*" },
    properties: [
        { id: "color", value: { mode: "fixed", fixedColor: "red" } },
        { id: "custom.drawStyle", value: "points" },
        { id: "custom.pointSize", value: 7 },
    ],
};

/** The dashboard model (Grafana schemaVersion 39). Pure. */
export interface Dashboard {
    readonly uid: string;
    readonly title: string;
    readonly panels: Panel[];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Grafana templating variables are free-form JSON
    readonly templating: { list: Array<Record<string, any>> };
    readonly annotations: { list: Array<{ name: string; expr: string } & Record<string, unknown>> };
    readonly [k: string]: unknown;
}

export function aiopsDashboard(): Dashboard {
    const panels: Panel[] = [];
    let id = 1;
    let y = 0;
    panels.push(row(id++, "Nodes (red points: the scorer flags the metric anomalous)", y++));
    (Object.keys(NODE_QUERIES) as Array<keyof typeof NODE_QUERIES>).forEach((metric, i) => {
        const q = NODE_QUERIES[metric];
        const flagged = `max by (cluster, instance) (${SCORER_METRICS.anomalous}{${CI}, metric="${metric}"}) > 0`;
        const p = timeseries(
            id++,
            q.title,
            { x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8, w: 12, h: 8 },
            [
                [q.expr, "{{instance}}"],
                [`(${q.expr}) and on (cluster, instance) (${flagged})`, "anomalous {{instance}}"],
            ],
            q.unit,
        );
        panels.push({ ...p, fieldConfig: { ...(p.fieldConfig as object), overrides: [ANOMALY_OVERRIDE] } });
    });
    y += 16;
    panels.push(row(id++, "Anomaly scores", y++));
    panels.push(
        timeseries(
            id++,
            "Anomaly score per node and metric (0..1)",
            { x: 0, y, w: 16, h: 8 },
            [[`max by (cluster, instance, metric) (${SCORER_METRICS.score}{${CI}})`, "{{instance}} {{metric}}"]],
            "percentunit",
        ),
    );
    panels.push({
        id: id++,
        type: "stat",
        title: "Scorer: last successful round",
        gridPos: { x: 16, y, w: 8, h: 8 },
        datasource: DS,
        targets: [
            {
                refId: "A",
                expr: `time() - max by (cluster) (${SCORER_METRICS.lastSuccess}{${C}})`,
                legendFormat: "{{cluster}}",
                datasource: DS,
            },
        ],
        fieldConfig: {
            defaults: {
                unit: "s",
                thresholds: {
                    mode: "absolute",
                    steps: [
                        { color: "green", value: null },
                        { color: "red", value: 600 },
                    ],
                },
            },
            overrides: [],
        },
    });
    y += 8;
    panels.push(row(id++, "Detector", y++));
    panels.push(
        timeseries(
            id++,
            "Requests by model",
            { x: 0, y, w: 8, h: 8 },
            [[`sum by (cluster, model) (rate(detector_http_requests_total{${C}}[$__rate_interval]))`, "{{model}}"]],
            "reqps",
        ),
    );
    panels.push(
        timeseries(
            id++,
            "Latency p50 / p99",
            { x: 8, y, w: 8, h: 8 },
            [
                [
                    `histogram_quantile(0.5, sum by (cluster, le) (rate(detector_http_request_duration_seconds_bucket{${C}}[$__rate_interval])))`,
                    "p50",
                ],
                [
                    `histogram_quantile(0.99, sum by (cluster, le) (rate(detector_http_request_duration_seconds_bucket{${C}}[$__rate_interval])))`,
                    "p99",
                ],
                [
                    `histogram_quantile(0.99, sum by (cluster, le) (rate(detector_inference_duration_seconds_bucket{${C}}[$__rate_interval])))`,
                    "inference p99",
                ],
            ],
            "s",
        ),
    );
    panels.push(
        timeseries(
            id++,
            "Errors (5xx) by model",
            { x: 16, y, w: 8, h: 8 },
            [
                [
                    `sum by (cluster, model, status) (rate(detector_http_requests_total{${C}, status=~"5.."}[$__rate_interval]))`,
                    "{{model}} {{status}}",
                ],
            ],
            "reqps",
        ),
    );
    y += 8;
    panels.push(
        timeseries(
            id++,
            "Feature drift (PSI; > 0.25 significant)",
            { x: 0, y, w: 16, h: 8 },
            [[`max by (cluster, model, feature) (detector_feature_drift_psi{${C}})`, "{{model}} {{feature}}"]],
            "none",
            {
                fieldConfig: {
                    defaults: {
                        unit: "none",
                        thresholds: {
                            mode: "absolute",
                            steps: [
                                { color: "green", value: null },
                                { color: "orange", value: 0.1 },
                                { color: "red", value: 0.25 },
                            ],
                        },
                        custom: { thresholdsStyle: { mode: "line" } },
                    },
                    overrides: [],
                },
            },
        ),
    );
    panels.push({
        id: id++,
        type: "table",
        title: "Champion model version served",
        gridPos: { x: 16, y, w: 8, h: 8 },
        datasource: DS,
        targets: [
            {
                refId: "A",
                expr: `max by (cluster, model, version) (detector_model_info{${C}})`,
                legendFormat: "{{model}} {{version}}",
                datasource: DS,
                format: "table",
                instant: true,
            },
        ],
        transformations: [{ id: "organize", options: { excludeByName: { Time: true, Value: true } } }],
    });
    y += 8;
    panels.push(row(id++, "MCP tool, analyst and training", y++));
    panels.push(
        timeseries(
            id++,
            "MCP tool calls by tool",
            { x: 0, y, w: 8, h: 8 },
            [[`sum by (tool) (rate(mcp_tool_calls_total{${C}}[$__rate_interval]))`, "{{tool}}"]],
            "reqps",
        ),
    );
    panels.push(
        timeseries(
            id++,
            "MCP tool errors by tool",
            { x: 8, y, w: 8, h: 8 },
            [
                [`sum by (tool, outcome) (rate(mcp_tool_calls_total{${C}, outcome!="success"}[$__rate_interval]))`, "{{tool}} {{outcome}}"],
                [`sum by (dependency) (rate(mcp_dependency_errors_total{${C}}[$__rate_interval]))`, "dependency {{dependency}}"],
            ],
            "reqps",
        ),
    );
    panels.push(
        timeseries(
            id++,
            "Alert analyst",
            { x: 16, y, w: 8, h: 8 },
            [
                [`sum(increase(analyst_alerts_received_total{${C}}[$__rate_interval]))`, "received"],
                [`sum(increase(analyst_reports_sent_total{${C}}[$__rate_interval]))`, "reports"],
                [`sum(increase(analyst_agent_failures_total{${C}}[$__rate_interval]))`, "agent failures"],
                [`sum(increase(analyst_alerts_dropped_total{${C}}[$__rate_interval]))`, "dropped"],
                [`sum(analyst_queue_depth{${C}})`, "queue depth"],
            ],
            "short",
        ),
    );
    y += 8;
    panels.push(
        timeseries(
            id++,
            "Training runs (Jobs named *train*: succeeded / failed)",
            { x: 0, y, w: 24, h: 7 },
            [
                [`sum by (namespace) (kube_job_status_succeeded{${C}, job_name=~".*train.*"} > 0)`, "succeeded {{namespace}}"],
                [`sum by (namespace) (kube_job_status_failed{${C}, job_name=~".*train.*"} > 0)`, "failed {{namespace}}"],
            ],
            "short",
            { options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } } },
        ),
    );

    const variable = (name: string, label: string, query: string) => ({
        name,
        label,
        type: "query",
        datasource: DS,
        query: { query, refId: `${name}-var` },
        definition: query,
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: ".*",
        current: { selected: true, text: ["All"], value: ["$__all"] },
        sort: 1,
    });
    return {
        uid: DASHBOARD_UID,
        title: "AIOps overview",
        description: "Node metrics with the anomaly detector's verdicts, the detector, the MCP tool, the alert analyst and training.",
        tags: ["aiops"],
        timezone: "utc",
        schemaVersion: 39,
        version: 1,
        editable: false,
        refresh: "30s",
        time: { from: "now-6h", to: "now" },
        annotations: {
            list: [
                {
                    name: "Anomalies",
                    datasource: DS,
                    enable: true,
                    iconColor: "red",
                    expr: `max by (cluster, instance, metric) (${SCORER_METRICS.anomalous}{${CI}}) > 0`,
                    step: "60s",
                    titleFormat: "{{metric}} anomalous on {{instance}}",
                    textFormat: "",
                    useValueForTime: false,
                },
            ],
        },
        templating: {
            list: [
                {
                    name: "datasource",
                    label: "Data source",
                    type: "datasource",
                    query: "prometheus",
                    current: { text: "Prometheus", value: DEFAULT_DATASOURCE_UID },
                },
                variable("cluster", "Cluster", "label_values(up, cluster)"),
                variable("instance", "Instance", 'label_values(node_uname_info{cluster=~"$cluster"}, instance)'),
            ],
        },
        panels,
    };
}

export interface AiopsDashboardArgs {
    /** Namespace of the ConfigMap; the sidecar searches all namespaces. Default the MCP tool's (`aiops`). */
    readonly namespace?: string;
}

/** The dashboard as a ConfigMap for the Grafana sidecar. Place it with the platform cluster's provider. */
export class AiopsDashboard extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;

    constructor(name: string, args: AiopsDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:AiopsDashboard", name, {}, opts);
        this.configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: {
                    name: "aiops-dashboard",
                    namespace: args.namespace ?? MCP_NAMESPACE,
                    labels: { ...GRAFANA_DASHBOARD_LABEL, ...PART_OF_LABEL },
                },
                data: { "aiops-overview.json": JSON.stringify(aiopsDashboard()) },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn) },
        );
        this.registerOutputs({});
    }
}
