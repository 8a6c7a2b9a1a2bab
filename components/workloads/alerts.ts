// Alerts for the AIOps workloads, written once as data: applied as a PrometheusRule and also rendered as
// a plain Prometheus rules file, so `promtool check rules` / `promtool test rules` run on the same rules.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { handDown } from "../delivery";
import { DETECTOR_NAME, DETECTOR_NAMESPACE } from "./detector";
import { MCP_NAMESPACE, MCP_SERVICE } from "./mcp-tool";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: Record<string, string>;
    readonly annotations: { readonly summary: string; readonly description: string; readonly runbook?: string };
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

/** Scrape jobs as the Prometheus operator names them: `<ns>/<podmonitor>` for PodMonitors, the Service name for ServiceMonitors. */
export const DETECTOR_JOB = `${DETECTOR_NAMESPACE}/${DETECTOR_NAME}`;
export const MCP_JOB = MCP_SERVICE;

export interface AlertRulesArgs {
    /**
     * Whether this Prometheus scrapes the detector. False on hybrid, where the detector runs on the edge
     * cluster and the control cluster's Prometheus cannot see it (the detector rules would fire forever).
     */
    readonly detectorScraped: boolean;
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
    return args.detectorScraped ? [detector, mcp] : [mcp];
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
