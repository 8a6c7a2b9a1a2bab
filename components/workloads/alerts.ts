// Alerts for the AIOps workloads, written once as data: applied as a PrometheusRule and also rendered as
// a plain Prometheus rules file, so `promtool check rules` / `promtool test rules` run on the same rules.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { handDown } from "../delivery";
import { SCORER_METRICS } from "@aiops/contract";
import { DETECTOR_NAME, DETECTOR_NAMESPACE } from "./detector";
import { MCP_NAMESPACE, MCP_SERVICE } from "./mcp-tool";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: Record<string, string>;
    readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url?: string };
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

/** Scrape jobs as the Prometheus operator names them: `<ns>/<podmonitor>` for PodMonitors, the Service name for ServiceMonitors. */
export const DETECTOR_JOB = `${DETECTOR_NAMESPACE}/${DETECTOR_NAME}`;
export const MCP_JOB = MCP_SERVICE;

/** docs/runbooks.md on the project's default branch; every alert links to its own section there. */
export const DEFAULT_RUNBOOK_BASE_URL = "https://github.com/aiops-mlops/aiops-mlops-platform/blob/main/docs/runbooks.md";

/**
 * The namespaces the platform installs into: crash looping anywhere here pages. Kept as literals (the
 * platform components import from components/delivery, which must not load the workloads); a test checks the
 * list against each component's exported namespace constant.
 */
export const PLATFORM_NAMESPACES = [
    "aiops",
    "aiops-serving",
    "argocd",
    "cert-manager",
    "kagent",
    "kserve",
    "kubeflow",
    "mlflow",
    "monitoring",
    "object-store",
] as const;

/** Above this the detector's p99 inference latency is too slow for the scorer's round (seconds). */
export const INFERENCE_P99_THRESHOLD_SECONDS = 0.5;
/** The scorer is stale when its last successful round is older than this (seconds): several missed rounds. */
export const SCORER_STALE_SECONDS = 600;

/** The markdown anchor GitHub gives a `## <AlertName>` heading. */
export function runbookAnchor(alert: string): string {
    return alert
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-");
}

export interface AlertRulesArgs {
    /**
     * Whether this Prometheus scrapes the detector. False on hybrid, where the detector runs on the edge
     * cluster and the control cluster's Prometheus cannot see it (the detector rules would fire forever).
     */
    readonly detectorScraped: boolean;
    /** Where docs/runbooks.md is published; each rule's runbook_url is `<this>#<alert>`. Default DEFAULT_RUNBOOK_BASE_URL. */
    readonly runbookBaseUrl?: string;
}

/** Critical when no target of `job` has been up for 5 minutes (also when the job vanished altogether). */
export function downRule(alert: string, job: string, component: string, summary: string, description: string): AlertRule {
    return {
        alert,
        expr: `absent(up{job="${job}"} == 1)`,
        for: "5m",
        labels: { severity: "critical", component },
        annotations: { summary, description },
    };
}

/** The rule groups. Pure. */
export function aiopsRuleGroups(args: AlertRulesArgs): RuleGroup[] {
    const detector: RuleGroup = {
        name: "aiops-detector",
        rules: [
            {
                alert: "DetectorFeatureDrift",
                expr: "max by (model, feature) (detector_feature_drift_psi) > 0.25",
                for: "30m",
                labels: { severity: "warning", component: "detector" },
                annotations: {
                    summary: 'Feature {{ $labels.feature }} of model {{ $labels.model }} has drifted (PSI {{ $value | printf "%.2f" }})',
                    description:
                        "The population stability index of the recent inputs against the training data has stayed above 0.25 for 30 minutes: the model sees data it was not trained on. Retrain it on recent metrics (the KFP training pipeline) or check the input source.",
                },
            },
            downRule(
                "DetectorDown",
                DETECTOR_JOB,
                "detector",
                "No anomaly detector replica is up",
                `Prometheus has scraped no healthy ${DETECTOR_NAME} pod in ${DETECTOR_NAMESPACE} for 5 minutes; anomaly predictions and the agent's tools fail. Check \`kubectl -n ${DETECTOR_NAMESPACE} get inferenceservice ${DETECTOR_NAME}\` and the storage-initializer logs.`,
            ),
        ],
    };
    const mcp: RuleGroup = {
        name: "aiops-mcp-tool",
        rules: [
            {
                alert: "McpDependencyErrors",
                expr: "sum by (dependency) (increase(mcp_dependency_errors_total[10m])) > 3",
                for: "5m",
                labels: { severity: "warning", component: "mcp-tool" },
                annotations: {
                    summary: "The MCP tool keeps failing to reach {{ $labels.dependency }}",
                    description:
                        "More than 3 calls from the MCP tool to {{ $labels.dependency }} failed in 10 minutes. The agent's answers are incomplete; check that dependency's Service and the tool's PROMETHEUS_URL / INFERENCE_SERVICE_URL.",
                },
            },
            downRule(
                "McpToolDown",
                MCP_JOB,
                "mcp-tool",
                "No MCP tool replica is up",
                `kagent's agent has no tools: no healthy ${MCP_SERVICE} pod in ${MCP_NAMESPACE} for 5 minutes.`,
            ),
        ],
    };
    const base = args.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
    const withRunbook = (g: RuleGroup): RuleGroup => ({
        ...g,
        rules: g.rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: `${base}#${runbookAnchor(r.alert)}` } })),
    });
    const groups = args.detectorScraped ? [detector, serving(), mcp, loop()] : [mcp, loop()];
    return [...groups, platform()].map(withRunbook);
}

/** The serving group: the detector's own latency and the model-serving pods' memory. */
function serving(): RuleGroup {
    const ns = `namespace="${DETECTOR_NAMESPACE}"`;
    return {
        name: "aiops-serving",
        rules: [
            {
                alert: "DetectorInferenceSlow",
                expr: `histogram_quantile(0.99, sum by (cluster, model, le) (rate(detector_inference_duration_seconds_bucket[5m]))) > ${INFERENCE_P99_THRESHOLD_SECONDS}`,
                for: "10m",
                labels: { severity: "warning", component: "detector" },
                annotations: {
                    summary: "Detector p99 inference latency of model {{ $labels.model }} is {{ $value | humanizeDuration }}",
                    description: `The 99th percentile of the detector's inference time has stayed above ${INFERENCE_P99_THRESHOLD_SECONDS * 1000} ms for 10 minutes: the scorer's rounds and the agent's tools slow down with it. Check the predictor's CPU throttling and the request batch sizes.`,
                },
            },
            {
                alert: "ModelServingOOMKilled",
                // kube-state-metrics says why the last container died; the restart in the same window says it
                // just happened (the reason stays OOMKilled until the next termination). cAdvisor's OOM counter
                // covers clusters whose kube-state-metrics is not scraped (the hybrid edge, via the agent).
                expr:
                    `max by (cluster, namespace, pod, container) ((increase(kube_pod_container_status_restarts_total{${ns}}[10m]) >= 1)` +
                    ` and on (namespace, pod, container) (kube_pod_container_status_last_terminated_reason{${ns}, reason="OOMKilled"} == 1))` +
                    ` or max by (cluster, namespace, pod, container) (increase(container_oom_events_total{${ns}, container!=""}[10m]) > 0)`,
                for: "0m",
                labels: { severity: "warning", component: "detector" },
                annotations: {
                    summary: "Model-serving container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} was OOMKilled",
                    description:
                        "The kernel killed a model-serving container for exceeding its memory limit in the last 10 minutes. Requests to it failed while it restarted. Compare its working set with the limit (DETECTOR_SIZES) and the size of the loaded models.",
                },
            },
        ],
    };
}

/** The anomaly loop: what the scorer flags, and whether it still runs. */
function loop(): RuleGroup {
    const m = SCORER_METRICS;
    return {
        name: "aiops-anomaly-loop",
        rules: [
            {
                alert: "NodeMetricAnomalous",
                expr: `max by (cluster, instance, metric) (${m.anomalous}) > 0`,
                for: "5m",
                labels: { severity: "warning", component: "scorer" },
                annotations: {
                    summary: "{{ $labels.metric }} on {{ $labels.instance }} has been anomalous for 5 minutes",
                    description:
                        "The anomaly detector has flagged every recent point of {{ $labels.metric }} on {{ $labels.instance }} for 5 minutes. Look at the node's dashboard row and the analyst's report; ask the agent for the recent window.",
                },
            },
            {
                alert: "AnomalyScorerStale",
                expr: `time() - max by (cluster) (${m.lastSuccess}) > ${SCORER_STALE_SECONDS}`,
                for: "5m",
                labels: { severity: "warning", component: "scorer" },
                annotations: {
                    summary: "The anomaly scorer has not completed a round for {{ $value | humanizeDuration }}",
                    description: `The scorer runs but has reached neither Prometheus nor the detector for over ${SCORER_STALE_SECONDS / 60} minutes, so anomaly scores are old and NodeMetricAnomalous cannot fire. See ${m.errors} by dependency.`,
                },
            },
            {
                alert: "AnomalyScorerDown",
                // Its series go stale when the target is down or gone, whatever its scrape job is called.
                expr: `absent(${m.lastSuccess})`,
                for: "5m",
                labels: { severity: "critical", component: "scorer" },
                annotations: {
                    summary: "The anomaly scorer exports nothing",
                    description: `Prometheus has had no ${m.lastSuccess} for 5 minutes: the scorer is down, not scraped, or has never completed a round. Nodes are not being watched for anomalies.`,
                },
            },
        ],
    };
}

/** Crash loops anywhere the platform runs. */
function platform(): RuleGroup {
    return {
        name: "aiops-platform",
        rules: [
            {
                alert: "PlatformPodCrashLooping",
                expr: `max by (cluster, namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", namespace=~"${PLATFORM_NAMESPACES.join("|")}"}[5m])) >= 1`,
                for: "15m",
                labels: { severity: "warning", component: "platform" },
                annotations: {
                    summary: "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash looping",
                    description:
                        "The container has been waiting in CrashLoopBackOff for 15 minutes. `kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c {{ $labels.container }} --previous` shows why it exits.",
                },
            },
        ],
    };
}

/** The same groups as a Prometheus rules file. */
export function rulesFileYaml(groups: readonly RuleGroup[]): string {
    return stringify({ groups }, { lineWidth: 0 });
}

export interface AiopsAlertsArgs extends AlertRulesArgs {
    /** Namespace of the PrometheusRule (the MCP tool's, which exists on the platform cluster). */
    readonly namespace?: string;
    /** Labels Prometheus' rule selector wants. Default none. */
    readonly labels?: Record<string, string>;
}

export class AiopsAlerts extends pulumi.ComponentResource {
    readonly groups: readonly RuleGroup[];

    constructor(name: string, args: AiopsAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:AiopsAlerts", name, {}, opts);
        this.groups = aiopsRuleGroups(args);
        new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "aiops-workloads", namespace: args.namespace ?? MCP_NAMESPACE, labels: args.labels ?? {} },
                spec: { groups: this.groups },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn) },
        );
        this.registerOutputs({});
    }
}
