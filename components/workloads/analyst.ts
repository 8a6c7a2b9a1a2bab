// The alert analyst (workloads/mcp-tool, entry point dist/analyst.js): Alertmanager posts warning and critical
// alerts to it; it gathers context, asks kagent's agent over A2A and posts a report. A hardened Deployment,
// its Service and ServiceMonitor, and a read-only ServiceAccount for Kubernetes events (get/list/watch on
// events, pods and nodes, nothing else: the AI advises, nothing in the cluster is changed).
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_PORTS } from "@aiops/contract";
import { handDown } from "../delivery";
import type { Footprint } from "../platform/footprint";
import { PART_OF_LABEL } from "../platform/namespace";
import { Profile, Size, footprint, resources, size } from "../platform/sizing";
import { AGENT_NAME } from "./agent";
import { workloadImage } from "./images";
import { MCP_NAMESPACE } from "./mcp-tool";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";

export const ANALYST_NAME = "aiops-analyst";
export const ANALYST_PORT = DEFAULT_PORTS.analyst;
/** The Secret key holding REPORT_WEBHOOK_URL (a Slack webhook URL is a credential). */
export const ANALYST_WEBHOOK_SECRET_KEY = "report-webhook-url";
/** kagent's controller serves every Agent's A2A endpoint on this port (kagent 0.9 chart, controller Service). */
export const KAGENT_A2A_PORT = 8083;

/** One replica on both profiles: which fingerprints were analysed lives in memory, a second replica would analyse twice. */
export const ANALYST_SIZES: Record<Profile, Size> = {
    lean: size("10m", "48Mi", "200m", "128Mi"),
    standard: size("25m", "64Mi", "500m", "192Mi"),
};

export function analystFootprint(profile: Profile): Footprint[] {
    return [footprint("aiops/analyst", [ANALYST_SIZES[profile]])];
}

/** The URL Alertmanager posts to. */
export function analystWebhookUrl(namespace = MCP_NAMESPACE): string {
    return `http://${ANALYST_NAME}.${namespace}.svc.cluster.local:${ANALYST_PORT}/alerts`;
}

/** kagent's A2A endpoint for an agent: http://kagent-controller.<ns>:8083/api/a2a/<ns>/<agent>/. */
export function kagentA2aUrl(kagentNamespace: string, agent = AGENT_NAME): string {
    return `http://kagent-controller.${kagentNamespace}.svc.cluster.local:${KAGENT_A2A_PORT}/api/a2a/${kagentNamespace}/${agent}/`;
}

/** The read-only rules: events, pods and nodes, get/list/watch. Pure. */
export function analystRbacRules(): k8sInput.rbac.v1.PolicyRule[] {
    return [{ apiGroups: [""], resources: ["events", "pods", "nodes"], verbs: ["get", "list", "watch"] }];
}

export interface AnalystPodArgs {
    readonly profile: Profile;
    readonly labels: Record<string, string>;
    readonly a2aUrl: string;
    readonly prometheusUrl: string;
    readonly inferenceServiceUrl: string;
    /** Name of the Secret with ANALYST_WEBHOOK_SECRET_KEY; none: reports go to the log. */
    readonly webhookSecret?: string;
    readonly image: string;
}

/** The pod template. Pure, tested directly. */
export function analystPodTemplate(args: AnalystPodArgs): k8sInput.core.v1.PodTemplateSpec {
    const probe = (period: number) => ({ httpGet: { path: "/healthz", port: "http" }, periodSeconds: period, timeoutSeconds: 3 });
    return {
        metadata: { labels: args.labels },
        spec: {
            serviceAccountName: ANALYST_NAME,
            // The token is how it reads events (in-cluster API); the RBAC only allows reads.
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurity(),
            containers: [
                {
                    name: "analyst",
                    image: args.image,
                    command: ["node", "--max-semi-space-size=1", "--max-old-space-size=64", "dist/analyst.js"],
                    ports: [{ name: "http", containerPort: ANALYST_PORT }],
                    env: [
                        { name: "PORT", value: String(ANALYST_PORT) },
                        { name: "A2A_URL", value: args.a2aUrl },
                        { name: "PROMETHEUS_URL", value: args.prometheusUrl },
                        { name: "INFERENCE_SERVICE_URL", value: args.inferenceServiceUrl },
                        ...(args.webhookSecret
                            ? [
                                  {
                                      name: "REPORT_WEBHOOK_URL",
                                      valueFrom: { secretKeyRef: { name: args.webhookSecret, key: ANALYST_WEBHOOK_SECRET_KEY } },
                                  },
                              ]
                            : []),
                    ],
                    livenessProbe: probe(20),
                    readinessProbe: probe(10),
                    resources: resources(ANALYST_SIZES[args.profile]),
                    securityContext: restrictedContainerSecurity(),
                },
            ],
        },
    };
}

export interface AlertAnalystArgs {
    /** Sizing from ANALYST_SIZES. */
    readonly profile: Profile;
    /** kagent's namespace; the A2A URL is kagentA2aUrl(namespace). */
    readonly kagentNamespace: string;
    /** The platform Prometheus, e.g. http://kps-prometheus.monitoring.svc.cluster.local:9090. */
    readonly prometheusUrl: string;
    /** The detector's predictor URL (AnomalyDetector.url). */
    readonly inferenceServiceUrl: string;
    /** Slack-compatible webhook for reports (a secret); undefined: reports go to the analyst's log. */
    readonly reportWebhookUrl?: pulumi.Input<string>;
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
    /** Labels Prometheus' ServiceMonitor selector wants. Default none. */
    readonly monitorLabels?: Record<string, string>;
}

/** Place it with the platform cluster's provider, in the MCP tool's namespace (depend on McpTool.namespaceResource). */
export class AlertAnalyst extends pulumi.ComponentResource {
    readonly url = analystWebhookUrl();

    constructor(name: string, args: AlertAnalystArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:AlertAnalyst", name, {}, opts);
        for (const [field, value] of [
            ["prometheusUrl", args.prometheusUrl],
            ["inferenceServiceUrl", args.inferenceServiceUrl],
        ] as const) {
            if (!/^https?:\/\/[^\s/]+/.test(value))
                throw new Error(`AlertAnalyst '${name}': ${field} must be an http(s) URL such as http://host:port; got '${value}'`);
        }
        const ns = MCP_NAMESPACE;
        const labels = { "app.kubernetes.io/name": ANALYST_NAME, "app.kubernetes.io/component": "alert-analyst" };
        const meta = (extra: Record<string, string> = {}) => ({
            name: ANALYST_NAME,
            namespace: ns,
            labels: { ...labels, ...PART_OF_LABEL, ...extra },
        });
        const after = handDown(opts?.dependsOn);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta() }, { parent: this, dependsOn: after });
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-reader`,
            { metadata: { name: `${ANALYST_NAME}-reader`, labels: { ...labels, ...PART_OF_LABEL } }, rules: analystRbacRules() },
            { parent: this },
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-reader`,
            {
                metadata: { name: `${ANALYST_NAME}-reader`, labels: { ...labels, ...PART_OF_LABEL } },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${ANALYST_NAME}-reader` },
                subjects: [{ kind: "ServiceAccount", name: ANALYST_NAME, namespace: ns }],
            },
            { parent: this, dependsOn: [role, sa] },
        );
        const secret =
            args.reportWebhookUrl !== undefined
                ? new k8s.core.v1.Secret(
                      `${name}-webhook`,
                      {
                          metadata: { ...meta(), name: `${ANALYST_NAME}-webhook` },
                          type: "Opaque",
                          stringData: { [ANALYST_WEBHOOK_SECRET_KEY]: pulumi.secret(args.reportWebhookUrl) },
                      },
                      { parent: this, dependsOn: after },
                  )
                : undefined;
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta(),
                spec: {
                    replicas: 1,
                    // Recreate: two analysts side by side during a rollout would both analyse the same alerts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: labels },
                    template: analystPodTemplate({
                        profile: args.profile,
                        labels,
                        a2aUrl: kagentA2aUrl(args.kagentNamespace),
                        prometheusUrl: args.prometheusUrl,
                        inferenceServiceUrl: args.inferenceServiceUrl,
                        webhookSecret: secret ? `${ANALYST_NAME}-webhook` : undefined,
                        image: workloadImage("mcp-tool", args.imageRepository),
                    }),
                },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [sa, ...(secret ? [secret] : [])]) },
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: meta(), spec: { selector: labels, ports: [{ name: "http", port: ANALYST_PORT, targetPort: "http" }] } },
            { parent: this, dependsOn: after },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-servicemonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: ANALYST_NAME, namespace: ns, labels: args.monitorLabels ?? {} },
                spec: { selector: { matchLabels: labels }, endpoints: [{ port: "http", path: "/metrics", interval: "30s" }] },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [service]) },
        );
        this.registerOutputs({ url: this.url });
    }
}
