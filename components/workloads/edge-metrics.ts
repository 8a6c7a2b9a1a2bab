// Edge metrics for hybrid: the k3d edge has no Prometheus operator, so a small Prometheus in agent mode
// (no PrometheusAgent CRD in the operator CRDs this project installs) scrapes the edge detector,
// node-exporter and the kubelet/cAdvisor there and remote-writes to the central Prometheus over the tailnet,
// with the external label `cluster`. On the control cluster the remote-write gate (workloads/mcp-tool,
// dist/remote-write-gate.js) takes those writes on a NodePort reachable only over the tailnet (the VM has no
// public address and its firewall opens only SSH and the API) and checks basic-auth credentials from a
// generated password before forwarding to Prometheus' receiver.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { stringify } from "yaml";
import { ArgoTarget, Delivery, HelmSource, ServiceRelease } from "../delivery";
import type { Footprint } from "../platform/footprint";
import { PART_OF_LABEL, platformNamespace } from "../platform/namespace";
import { Profile, Size, footprint, resources, size } from "../platform/sizing";
import { DETECTOR_NAME, DETECTOR_NAMESPACE, DETECTOR_PORT } from "./detector";
import { workloadImage } from "./images";
import { MCP_NAMESPACE } from "./mcp-tool";
import { DETECTOR_JOB } from "./alerts";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";

/** Prometheus LTS release run in agent mode on the edge. */
export const EDGE_PROMETHEUS_IMAGE = "quay.io/prometheus/prometheus:v3.5.0";
/** https://github.com/prometheus-community/helm-charts/blob/prometheus-node-exporter-4.56.1/charts/prometheus-node-exporter/Chart.yaml */
export const NODE_EXPORTER_CHART: HelmSource = {
    kind: "helm",
    repo: "https://prometheus-community.github.io/helm-charts",
    chart: "prometheus-node-exporter",
    version: "4.56.1",
};
export const EDGE_METRICS_NAMESPACE = "edge-metrics";
export const NODE_EXPORTER_RELEASE = "node-exporter";
export const GATE_NAME = "remote-write-gate";
export const GATE_PORT = 9104;
/** The NodePort on the control VM the edge writes to (over the tailnet). */
export const GATE_TAILNET_NODE_PORT = 30904;
export const GATE_USERNAME = "edge";

export const EDGE_METRICS_SIZES: Record<Profile, { agent: Size; nodeExporter: Size; gate: Size }> = {
    lean: {
        agent: size("25m", "96Mi", "250m", "256Mi"),
        nodeExporter: size("10m", "32Mi", "200m", "64Mi"),
        gate: size("10m", "48Mi", "200m", "128Mi"),
    },
    standard: {
        agent: size("50m", "128Mi", "500m", "384Mi"),
        nodeExporter: size("20m", "48Mi", "250m", "96Mi"),
        gate: size("20m", "64Mi", "500m", "160Mi"),
    },
};

export function edgeAgentFootprint(profile: Profile, nodeCount: number): Footprint[] {
    const s = EDGE_METRICS_SIZES[profile];
    return [footprint("edge-metrics/prometheus-agent", [s.agent]), footprint("edge-metrics/node-exporter", [s.nodeExporter], nodeCount)];
}

export function gateFootprint(profile: Profile): Footprint[] {
    return [footprint("aiops/remote-write-gate", [EDGE_METRICS_SIZES[profile].gate])];
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The agent's prometheus.yml. Pure: `cluster` is the external label, `remoteWriteUrl` the gate over the tailnet. */
export function edgeAgentConfig(cluster: string, remoteWriteUrl: string): Record<string, unknown> {
    const apiServer = "kubernetes.default.svc:443";
    // kubelet and cAdvisor through the API server proxy: no hostNetwork, no kubelet certificates to trust.
    const viaApi = (job: string, suffix: string) => ({
        job_name: job,
        scheme: "https",
        tls_config: { ca_file: `${SA_DIR}/ca.crt` },
        authorization: { credentials_file: `${SA_DIR}/token` },
        kubernetes_sd_configs: [{ role: "node" }],
        relabel_configs: [
            { target_label: "__address__", replacement: apiServer },
            {
                source_labels: ["__meta_kubernetes_node_name"],
                target_label: "__metrics_path__",
                replacement: `/api/v1/nodes/$1/proxy${suffix}`,
            },
            { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
        ],
    });
    return {
        global: { scrape_interval: "30s", external_labels: { cluster } },
        scrape_configs: [
            {
                // The same job name the control cluster's PodMonitor would give, so DetectorDown & co. apply as is.
                job_name: DETECTOR_JOB,
                kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [DETECTOR_NAMESPACE] } }],
                relabel_configs: [
                    {
                        source_labels: ["__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"],
                        regex: DETECTOR_NAME,
                        action: "keep",
                    },
                    { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(DETECTOR_PORT), action: "keep" },
                    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                ],
            },
            {
                job_name: "node-exporter",
                kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [EDGE_METRICS_NAMESPACE] } }],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_service_name"], regex: `${NODE_EXPORTER_RELEASE}.*`, action: "keep" },
                    { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
                ],
            },
            viaApi("kubelet", "/metrics"),
            viaApi("cadvisor", "/metrics/cadvisor"),
        ],
        remote_write: [
            { url: remoteWriteUrl, basic_auth: { username: GATE_USERNAME, password_file: "/etc/prometheus-remote-write/password" } },
        ],
    };
}

export interface RemoteWriteGateArgs {
    readonly profile: Profile;
    /** Prometheus' remote-write receiver, e.g. http://kps-prometheus.monitoring.svc.cluster.local:9090/api/v1/write. */
    readonly upstreamUrl: string;
    readonly imageRepository?: string;
}

/** Control side: the generated credentials, and the gate on a tailnet NodePort. */
export class RemoteWriteGate extends pulumi.ComponentResource {
    /** The password the edge must present (a secret). */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: RemoteWriteGateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:RemoteWriteGate", name, {}, opts);
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        this.password = pulumi.secret(password.result);
        const labels = { "app.kubernetes.io/name": GATE_NAME, "app.kubernetes.io/component": "remote-write-gate" };
        const meta = { name: GATE_NAME, namespace: MCP_NAMESPACE, labels: { ...labels, ...PART_OF_LABEL } };
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            { metadata: meta, type: "Opaque", stringData: { username: GATE_USERNAME, password: this.password } },
            { parent: this, dependsOn: opts?.dependsOn },
        );
        const s = EDGE_METRICS_SIZES[args.profile].gate;
        const probe = { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 20, timeoutSeconds: 3 };
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta,
                spec: {
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: restrictedPodSecurity(),
                            containers: [
                                {
                                    name: "gate",
                                    image: workloadImage("mcp-tool", args.imageRepository),
                                    command: ["node", "--max-old-space-size=64", "dist/remote-write-gate.js"],
                                    ports: [{ name: "http", containerPort: GATE_PORT }],
                                    env: [
                                        { name: "PORT", value: String(GATE_PORT) },
                                        { name: "UPSTREAM_URL", value: args.upstreamUrl },
                                        { name: "GATE_USERNAME", value: GATE_USERNAME },
                                        { name: "GATE_PASSWORD", valueFrom: { secretKeyRef: { name: GATE_NAME, key: "password" } } },
                                    ],
                                    livenessProbe: probe,
                                    readinessProbe: probe,
                                    resources: resources(s),
                                    securityContext: restrictedContainerSecurity(),
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [secret] },
        );
        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: meta,
                spec: {
                    type: "NodePort",
                    selector: labels,
                    ports: [{ name: "http", port: GATE_PORT, targetPort: "http", nodePort: GATE_TAILNET_NODE_PORT }],
                },
            },
            { parent: this, dependsOn: opts?.dependsOn },
        );
        this.registerOutputs({});
    }
}

export interface EdgeMetricsAgentArgs {
    readonly profile: Profile;
    readonly delivery: Delivery;
    /** Application target on the edge when delivery is argocd. */
    readonly argocd?: ArgoTarget;
    /** The external label `cluster` every edge series carries (the edge cluster's name). */
    readonly cluster: string;
    /** The gate over the tailnet: http://<control tailnet host>:GATE_TAILNET_NODE_PORT/api/v1/write. */
    readonly remoteWriteUrl: string;
    /** RemoteWriteGate.password. */
    readonly password: pulumi.Input<string>;
}

/** Edge side: node-exporter and the Prometheus agent. Place it with the edge cluster's provider. */
export class EdgeMetricsAgent extends pulumi.ComponentResource {
    /** The node-exporter release, for the AppProject (ArgoProject takes its releases explicitly). */
    readonly releases: readonly ServiceRelease[];

    constructor(name: string, args: EdgeMetricsAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:EdgeMetricsAgent", name, {}, opts);
        if (!/^https?:\/\/[^\s/]+\/api\/v1\/write$/.test(args.remoteWriteUrl))
            throw new Error(
                `EdgeMetricsAgent '${name}': remoteWriteUrl must be http(s)://<host>:<port>/api/v1/write; got '${args.remoteWriteUrl}'`,
            );
        const s = EDGE_METRICS_SIZES[args.profile];
        // node-exporter needs the host's PID and network namespaces.
        const ns = platformNamespace(`${name}-ns`, EDGE_METRICS_NAMESPACE, "privileged", { parent: this });
        const nodeExporter = new ServiceRelease(
            `${name}-node-exporter`,
            {
                delivery: args.delivery,
                source: NODE_EXPORTER_CHART,
                namespace: EDGE_METRICS_NAMESPACE,
                releaseName: NODE_EXPORTER_RELEASE,
                argocd: args.argocd,
                values: { resources: resources(s.nodeExporter), prometheus: { monitor: { enabled: false } } },
            },
            { parent: this, dependsOn: [ns] },
        );
        this.releases = [nodeExporter];
        const labels = { "app.kubernetes.io/name": "prometheus-agent", "app.kubernetes.io/component": "edge-metrics" };
        const meta = (n: string) => ({ name: n, namespace: EDGE_METRICS_NAMESPACE, labels: { ...labels, ...PART_OF_LABEL } });
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta("prometheus-agent") }, { parent: this, dependsOn: [ns] });
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-reader`,
            {
                metadata: { name: "edge-prometheus-agent", labels: { ...labels, ...PART_OF_LABEL } },
                rules: [
                    {
                        apiGroups: [""],
                        resources: ["nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints", "pods"],
                        verbs: ["get", "list", "watch"],
                    },
                    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
                ],
            },
            { parent: this },
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-reader`,
            {
                metadata: { name: "edge-prometheus-agent", labels: { ...labels, ...PART_OF_LABEL } },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edge-prometheus-agent" },
                subjects: [{ kind: "ServiceAccount", name: "prometheus-agent", namespace: EDGE_METRICS_NAMESPACE }],
            },
            { parent: this, dependsOn: [role, sa] },
        );
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: meta("prometheus-agent"),
                data: { "prometheus.yml": stringify(edgeAgentConfig(args.cluster, args.remoteWriteUrl)) },
            },
            { parent: this, dependsOn: [ns] },
        );
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            { metadata: meta("prometheus-agent-remote-write"), type: "Opaque", stringData: { password: pulumi.secret(args.password) } },
            { parent: this, dependsOn: [ns] },
        );
        const probe = (path: string) => ({ httpGet: { path, port: "http" }, periodSeconds: 20, timeoutSeconds: 3 });
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta("prometheus-agent"),
                spec: {
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: "prometheus-agent",
                            securityContext: restrictedPodSecurity(65534, { fsGroup: true }),
                            containers: [
                                {
                                    name: "prometheus",
                                    image: EDGE_PROMETHEUS_IMAGE,
                                    args: [
                                        "--agent",
                                        "--config.file=/etc/prometheus/prometheus.yml",
                                        "--storage.agent.path=/prometheus",
                                        "--web.listen-address=:9090",
                                    ],
                                    ports: [{ name: "http", containerPort: 9090 }],
                                    livenessProbe: probe("/-/healthy"),
                                    readinessProbe: probe("/-/ready"),
                                    resources: resources(s.agent),
                                    securityContext: restrictedContainerSecurity(),
                                    volumeMounts: [
                                        { name: "config", mountPath: "/etc/prometheus" },
                                        { name: "remote-write", mountPath: "/etc/prometheus-remote-write", readOnly: true },
                                        { name: "wal", mountPath: "/prometheus" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: "prometheus-agent" } },
                                { name: "remote-write", secret: { secretName: "prometheus-agent-remote-write" } },
                                // The WAL buffers while the tailnet is down; emptyDir survives container restarts.
                                { name: "wal", emptyDir: { sizeLimit: "1Gi" } },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [config, secret, sa] },
        );
        this.registerOutputs({});
    }
}
