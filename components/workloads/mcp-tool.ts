// The MCP tool server (workloads/mcp-tool) that kagent's agent calls: it queries Prometheus and asks
// the detector. A hardened Deployment, its Service and a ServiceMonitor.
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import type { Footprint } from "../platform/footprint";
import { PART_OF_LABEL, PLATFORM_NAMESPACES, platformNamespace } from "../platform/namespace";
import { Profile, Size, footprint, resources, size } from "../platform/sizing";
import { workloadImage } from "./images";
import { handDown } from "../delivery";
import { TRAINING_HINT_ENV } from "@aiops/contract";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";

/** workloads/mcp-tool at the pinned release. */
export const MCP_TOOL_IMAGE = workloadImage("mcp-tool");
export const MCP_NAMESPACE = "aiops";
export const MCP_SERVICE = "aiops-mcp";
export const MCP_PORT = 8080;

export const MCP_SIZES: Record<Profile, { server: Size; replicas: number }> = {
    lean: { server: size("25m", "64Mi", "250m", "128Mi"), replicas: 1 },
    standard: { server: size("50m", "96Mi", "500m", "256Mi"), replicas: 2 },
};

/** Requests of the MCP tool's replicas. Pure. */
export function mcpToolFootprint(profile: Profile): Footprint[] {
    return [footprint("aiops/mcp-tool", [MCP_SIZES[profile].server], MCP_SIZES[profile].replicas)];
}

/** The Service's DNS names; the tool refuses any other Host header on /mcp (DNS-rebinding guard). */
export function mcpAllowedHosts(namespace = MCP_NAMESPACE): string[] {
    return [MCP_SERVICE, `${MCP_SERVICE}.${namespace}`, `${MCP_SERVICE}.${namespace}.svc`, `${MCP_SERVICE}.${namespace}.svc.cluster.local`];
}

/** The URL kagent's RemoteMCPServer points at. */
export function mcpUrl(namespace = MCP_NAMESPACE): string {
    return `http://${MCP_SERVICE}.${namespace}.svc.cluster.local:${MCP_PORT}/mcp`;
}

export interface McpPodArgs {
    /** PROMETHEUS_URL: the platform Prometheus (McpToolArgs.prometheusUrl). */
    readonly prometheusUrl: string;
    /** INFERENCE_SERVICE_URL: the detector's predictor (McpToolArgs.inferenceServiceUrl). */
    readonly inferenceServiceUrl: string;
    /** Sizing: replicas and requests/limits from MCP_SIZES. */
    readonly profile: Profile;
    /** Pod labels; the Deployment selector and the Service select on them. */
    readonly labels: Record<string, string>;
    /** Default MCP_TOOL_IMAGE. */
    readonly image?: string;
    /** MODEL_TRAINING_HINT: when the first training runs, for "no model trained yet" answers. Default none. */
    readonly trainingHint?: string;
}

/** The pod template. Pure, tested directly. */
export function mcpPodTemplate(args: McpPodArgs): k8sInput.core.v1.PodTemplateSpec {
    const probe = (path: string, period: number) => ({ httpGet: { path, port: "http" }, periodSeconds: period, timeoutSeconds: 3 });
    return {
        metadata: { labels: args.labels },
        spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(),
            containers: [
                {
                    name: "mcp-tool",
                    image: args.image ?? MCP_TOOL_IMAGE,
                    ports: [{ name: "http", containerPort: MCP_PORT }],
                    env: [
                        { name: "PORT", value: String(MCP_PORT) },
                        { name: "PROMETHEUS_URL", value: args.prometheusUrl },
                        { name: "INFERENCE_SERVICE_URL", value: args.inferenceServiceUrl },
                        { name: "ALLOWED_HOSTS", value: mcpAllowedHosts().join(",") },
                        ...(args.trainingHint !== undefined ? [{ name: TRAINING_HINT_ENV, value: args.trainingHint }] : []),
                    ],
                    livenessProbe: probe("/healthz", 20),
                    // /readyz checks Prometheus and the detector, so a broken dependency takes the pod out of rotation.
                    readinessProbe: probe("/readyz", 10),
                    resources: resources(MCP_SIZES[args.profile].server),
                    securityContext: restrictedContainerSecurity(),
                },
            ],
        },
    };
}

export interface McpToolArgs {
    /** Sizing: replicas and requests/limits from MCP_SIZES. */
    readonly profile: Profile;
    /** The platform Prometheus, e.g. http://kps-prometheus.monitoring.svc.cluster.local:9090. */
    readonly prometheusUrl: string;
    /** The detector's predictor Service URL (AnomalyDetector.url). */
    readonly inferenceServiceUrl: string;
    /** Labels Prometheus' ServiceMonitor selector wants. Default none. */
    readonly monitorLabels?: Record<string, string>;
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
    /** When the first training runs (DetectorTraining.hint). Default none. */
    readonly trainingHint?: string;
    /**
     * Ports of other pods in this namespace open to any source, for traffic from outside the pod network
     * (hybrid: the remote-write gate's port, which the edge reaches over the tailnet NodePort). Default none.
     */
    readonly openPorts?: readonly number[];
}

/** Place it with the platform cluster's provider (hybrid: the control cluster, next to kagent). */
export class McpTool extends pulumi.ComponentResource {
    readonly url = mcpUrl();
    readonly namespace = MCP_NAMESPACE;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    /** The `aiops` Namespace, for resources other components put there (AiopsAlerts' PrometheusRule). */
    readonly namespaceResource: k8s.core.v1.Namespace;

    constructor(name: string, args: McpToolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:McpTool", name, {}, opts);
        for (const [field, value] of [
            ["prometheusUrl", args.prometheusUrl],
            ["inferenceServiceUrl", args.inferenceServiceUrl],
        ] as const) {
            if (!/^https?:\/\/[^\s/]+/.test(value))
                throw new Error(
                    `McpTool '${name}': ${field} must be an http(s) URL such as http://prometheus.monitoring.svc:9090; got '${value}'`,
                );
        }
        const labels = { "app.kubernetes.io/name": MCP_SERVICE, "app.kubernetes.io/component": "mcp-tool" };
        const sizes = MCP_SIZES[args.profile];
        const ns = platformNamespace(
            `${name}-ns`,
            MCP_NAMESPACE,
            "restricted",
            { parent: this },
            {
                // kagent's agents call the tool.
                fromNamespaces: [PLATFORM_NAMESPACES.kagent],
                openPorts: args.openPorts ?? [],
            },
        );
        this.namespaceResource = ns;
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: {
                    name: MCP_SERVICE,
                    namespace: MCP_NAMESPACE,
                    labels: { ...labels, ...PART_OF_LABEL },
                    // /readyz needs the detector, which is not ready until the training pipeline has put a model in
                    // the bucket: awaiting readiness would fail the first `pulumi up` after its 10-minute timeout.
                    annotations: { "pulumi.com/skipAwait": "true" },
                },
                spec: {
                    replicas: sizes.replicas,
                    selector: { matchLabels: labels },
                    template: mcpPodTemplate({
                        prometheusUrl: args.prometheusUrl,
                        inferenceServiceUrl: args.inferenceServiceUrl,
                        profile: args.profile,
                        labels,
                        image: workloadImage("mcp-tool", args.imageRepository),
                        trainingHint: args.trainingHint,
                    }),
                },
            },
            { parent: this, dependsOn: [ns] },
        );
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: MCP_SERVICE, namespace: MCP_NAMESPACE, labels: { ...labels, ...PART_OF_LABEL } },
                spec: { selector: labels, ports: [{ name: "http", port: MCP_PORT, targetPort: "http" }] },
            },
            { parent: this, dependsOn: [ns] },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-servicemonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: MCP_SERVICE, namespace: MCP_NAMESPACE, labels: args.monitorLabels ?? {} },
                spec: { selector: { matchLabels: labels }, endpoints: [{ port: "http", path: "/metrics", interval: "30s" }] },
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [this.service]) },
        );
        this.registerOutputs({ url: this.url });
    }
}
