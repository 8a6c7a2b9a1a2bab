// The continuous scorer (workloads/mcp-tool, `node dist/scorer.js`): every minute it scores each node's
// latest window for each metric through the detector and exports aiops_anomaly_score / aiops_anomalous,
// which the alert rules and the dashboard read. One Deployment next to the MCP tool, its Service and a
// ServiceMonitor so the platform Prometheus scrapes it.
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_PORTS, TRAINING_HINT_ENV } from "@aiops/contract";
import type { Footprint } from "../platform/footprint";
import { PART_OF_LABEL } from "../platform/namespace";
import { Profile, Size, footprint, resources, size } from "../platform/sizing";
import { workloadImage } from "./images";
import { MCP_NAMESPACE } from "./mcp-tool";
import { handDown } from "../delivery";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";

export const SCORER_NAME = "aiops-scorer";
export const SCORER_PORT = DEFAULT_PORTS.scorer;
/** Seconds between rounds; the alert rules' `for:` clauses assume about a minute. */
export const SCORE_INTERVAL_SECONDS = 60;

/** One replica: a second would score every node twice and double the detector's load for nothing. */
export const SCORER_SIZES: Record<Profile, { server: Size; replicas: number }> = {
    lean: { server: size("25m", "64Mi", "250m", "128Mi"), replicas: 1 },
    standard: { server: size("50m", "96Mi", "500m", "192Mi"), replicas: 1 },
};

/** Requests of the scorer. Pure. */
export function scorerFootprint(profile: Profile): Footprint[] {
    return [footprint("aiops/scorer", [SCORER_SIZES[profile].server], SCORER_SIZES[profile].replicas)];
}

export interface ScorerPodArgs {
    readonly prometheusUrl: string;
    readonly inferenceServiceUrl: string;
    /** MODEL_TRAINING_HINT, logged with "no model trained yet". */
    readonly trainingHint: string;
    readonly profile: Profile;
    readonly labels: Record<string, string>;
    /** Default: the mcp-tool image (the scorer ships in it). */
    readonly image?: string;
}

/** The scorer's pod template. Pure, tested directly. */
export function scorerPodTemplate(args: ScorerPodArgs): k8sInput.core.v1.PodTemplateSpec {
    const probe = (path: string, period: number) => ({ httpGet: { path, port: "http-metrics" }, periodSeconds: period, timeoutSeconds: 3 });
    return {
        metadata: { labels: args.labels },
        spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            containers: [
                {
                    name: "scorer",
                    image: args.image ?? workloadImage("mcp-tool"),
                    // The image's ENTRYPOINT starts the MCP server; the same heap bound as it (Dockerfile).
                    command: ["node", "--max-semi-space-size=1", "--max-old-space-size=96", "dist/scorer.js"],
                    ports: [{ name: "http-metrics", containerPort: SCORER_PORT }],
                    env: [
                        { name: "PORT", value: String(SCORER_PORT) },
                        { name: "PROMETHEUS_URL", value: args.prometheusUrl },
                        { name: "INFERENCE_SERVICE_URL", value: args.inferenceServiceUrl },
                        { name: "SCORE_INTERVAL_SECONDS", value: String(SCORE_INTERVAL_SECONDS) },
                        { name: TRAINING_HINT_ENV, value: args.trainingHint },
                    ],
                    // Neither probe depends on Prometheus or the detector: an outage must stay scrapeable
                    // (aiops_scorer_errors_total), which a pod out of its Service's endpoints would not be.
                    livenessProbe: probe("/healthz", 20),
                    readinessProbe: probe("/readyz", 10),
                    resources: resources(SCORER_SIZES[args.profile].server),
                    securityContext: restrictedContainerSecurity(),
                },
            ],
        },
    };
}

export interface ScorerArgs {
    readonly profile: Profile;
    /** The platform Prometheus. */
    readonly prometheusUrl: string;
    /** The detector's predictor URL (AnomalyDetector.url). */
    readonly inferenceServiceUrl: string;
    /** When the first training runs (DetectorTraining.hint). */
    readonly trainingHint: string;
    /** Labels Prometheus' ServiceMonitor selector wants. Default none. */
    readonly monitorLabels?: Record<string, string>;
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
}

/** Place it with the platform cluster's provider, after the MCP tool's namespace (dependsOn). */
export class Scorer extends pulumi.ComponentResource {
    readonly namespace = MCP_NAMESPACE;
    /** In-cluster URL of its /metrics. */
    readonly metricsUrl = `http://${SCORER_NAME}.${MCP_NAMESPACE}.svc.cluster.local:${SCORER_PORT}/metrics`;

    constructor(name: string, args: ScorerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:Scorer", name, {}, opts);
        for (const [field, value] of [
            ["prometheusUrl", args.prometheusUrl],
            ["inferenceServiceUrl", args.inferenceServiceUrl],
        ] as const) {
            if (!/^https?:\/\/[^\s/]+/.test(value))
                throw new Error(
                    `Scorer '${name}': ${field} must be an http(s) URL such as http://prometheus.monitoring.svc:9090; got '${value}'`,
                );
        }
        const labels = { "app.kubernetes.io/name": SCORER_NAME, "app.kubernetes.io/component": "scorer" };
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name: SCORER_NAME, namespace: MCP_NAMESPACE, labels: { ...labels, ...PART_OF_LABEL } },
                spec: {
                    replicas: SCORER_SIZES[args.profile].replicas,
                    selector: { matchLabels: labels },
                    template: scorerPodTemplate({
                        prometheusUrl: args.prometheusUrl,
                        inferenceServiceUrl: args.inferenceServiceUrl,
                        trainingHint: args.trainingHint,
                        profile: args.profile,
                        labels,
                        image: workloadImage("mcp-tool", args.imageRepository),
                    }),
                },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, []) },
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: SCORER_NAME, namespace: MCP_NAMESPACE, labels: { ...labels, ...PART_OF_LABEL } },
                spec: { selector: labels, ports: [{ name: "http-metrics", port: SCORER_PORT, targetPort: "http-metrics" }] },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, []) },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-servicemonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: SCORER_NAME, namespace: MCP_NAMESPACE, labels: args.monitorLabels ?? {} },
                spec: {
                    selector: { matchLabels: labels },
                    // Twice per round: the gauges change once a minute.
                    // honorLabels: the series' `instance` is the scored node, not the scorer pod; without it
                    // Prometheus renames it exported_instance and every node's score collides on one label set.
                    endpoints: [{ port: "http-metrics", path: "/metrics", interval: "30s", honorLabels: true }],
                },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [service]) },
        );
        this.registerOutputs({ metricsUrl: this.metricsUrl });
    }
}
