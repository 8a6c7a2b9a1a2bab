// kube-prometheus-stack values, built from typed arguments. Pure: tested directly.
import type { HelmSource } from "../../delivery/source";
import { parseMemory } from "../../shared/quantity";
import type { Footprint } from "../footprint";
import { Profile, Size, footprint, resources, size } from "../sizing";
import { TRAINER_DEFAULTS } from "@aiops/contract";

/** https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/Chart.yaml (operator v0.93.1). */
export const KPS_CHART: HelmSource = {
    kind: "helm",
    repo: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "88.5.3",
};

/**
 * The prometheus-operator CRDs alone, at the operator version KPS_CHART runs (appVersion v0.93.1):
 * https://github.com/prometheus-community/helm-charts/blob/prometheus-operator-crds-31.0.1/charts/prometheus-operator-crds/Chart.yaml
 * Pulumi installs it with delivery argocd, where its own ServiceMonitors/PodMonitors/PrometheusRules
 * would otherwise race Argo CD's sync of kube-prometheus-stack for the CRDs.
 */
export const PROMETHEUS_OPERATOR_CRDS_CHART: HelmSource = {
    kind: "helm",
    repo: "https://prometheus-community.github.io/helm-charts",
    chart: "prometheus-operator-crds",
    version: "31.0.1",
};

/** Short object names (kps-prometheus, kps-alertmanager, kps-operator) instead of kps-kube-prometheus-stack-*. */
export const KPS_FULLNAME = "kps";

/** Receiver that drops alerts: the route's default when no AIOps webhook is configured. */
export const NULL_RECEIVER = "null";
export const WEBHOOK_RECEIVER = "aiops-webhook";

export interface MonitoringSizes {
    readonly prometheus: Size;
    readonly alertmanager: Size;
    /** The config-reloader sidecar in the Prometheus and Alertmanager pods. */
    readonly configReloader: Size;
    readonly operator: Size;
    readonly grafana: Size;
    /** Each of Grafana's two sidecars (dashboards, datasources). */
    readonly grafanaSidecar: Size;
    readonly kubeStateMetrics: Size;
    /** Per node: node-exporter is a DaemonSet. */
    readonly nodeExporter: Size;
    /** Short-lived admission-webhook certificate Jobs (not counted as always-on). */
    readonly webhookJob: Size;
    readonly grafanaStorage: string;
    readonly alertmanagerStorage: string;
}

export const MONITORING_SIZES: Record<Profile, MonitoringSizes> = {
    standard: {
        prometheus: size("300m", "1536Mi", "2", "3Gi"),
        alertmanager: size("20m", "64Mi", "200m", "128Mi"),
        configReloader: size("10m", "32Mi", "100m", "64Mi"),
        operator: size("100m", "128Mi", "500m", "256Mi"),
        grafana: size("100m", "256Mi", "1", "512Mi"),
        grafanaSidecar: size("20m", "96Mi", "200m", "192Mi"),
        kubeStateMetrics: size("50m", "96Mi", "500m", "256Mi"),
        nodeExporter: size("20m", "48Mi", "250m", "96Mi"),
        webhookJob: size("10m", "32Mi", "100m", "64Mi"),
        grafanaStorage: "5Gi",
        alertmanagerStorage: "2Gi",
    },
    lean: {
        prometheus: size("150m", "512Mi", "1", "1Gi"),
        alertmanager: size("10m", "48Mi", "100m", "96Mi"),
        configReloader: size("5m", "24Mi", "50m", "48Mi"),
        operator: size("50m", "96Mi", "250m", "192Mi"),
        grafana: size("50m", "160Mi", "500m", "384Mi"),
        grafanaSidecar: size("10m", "64Mi", "100m", "128Mi"),
        kubeStateMetrics: size("20m", "48Mi", "200m", "128Mi"),
        nodeExporter: size("10m", "32Mi", "200m", "64Mi"),
        webhookJob: size("10m", "32Mi", "100m", "64Mi"),
        grafanaStorage: "1Gi",
        alertmanagerStorage: "1Gi",
    },
};

export interface MonitoringValuesArgs {
    readonly profile: Profile;
    readonly storageClass: string;
    /** Prometheus duration, e.g. "10d". */
    readonly retention: string;
    /** Prometheus PVC size, e.g. "20Gi". */
    readonly storage: string;
    /** Secret (in the release namespace) holding `admin-user` and `admin-password`. */
    readonly grafanaAdminSecret: string;
    /** Alertmanager posts every alert here (AIOps webhook); undefined routes alerts to the null receiver. */
    readonly alertWebhookUrl?: string;
    /** Schedulable nodes node-exporter runs on (it is a DaemonSet), for the footprint. */
    readonly nodeCount: number;
    /** Where the stateful pods (Prometheus, Alertmanager, Grafana) go, e.g. the homelab's statefulNode. */
    readonly statefulNodeSelector?: Readonly<Record<string, string>>;
    /**
     * kube-prometheus-stack installs the prometheus-operator CRDs itself (its `crds` subchart). Default
     * true; false when PROMETHEUS_OPERATOR_CRDS_CHART carries them, so the two never own the same CRDs.
     */
    readonly crdsInChart?: boolean;
    /**
     * Prometheus accepts remote write on /api/v1/write (hybrid: the edge's agent, through the remote-write
     * gate that checks its credentials; the receiver itself is not exposed outside the cluster). Default false.
     */
    readonly remoteWriteReceiver?: boolean;
}

export interface MonitoringPlan {
    readonly values: Record<string, unknown>;
    readonly footprint: Footprint[];
}

/** Size limit Prometheus keeps its TSDB under: 85% of the PVC, so compaction never fills the disk. */
export function retentionSize(storage: string): string {
    return `${Math.floor((parseMemory(storage) * 0.85) / 2 ** 20)}MiB`;
}

/** Severities Alertmanager hands to the alert analyst; `info` and `none` stay in Alertmanager's UI. */
export const ANALYSED_SEVERITIES = ["warning", "critical"] as const;

/**
 * Alertmanager routing: `warning` and `critical` alerts to the AIOps webhook (the alert analyst) when there
 * is one, everything else (and Watchdog/InfoInhibitor always) to the null receiver. `max_alerts: 0` sends
 * every alert of a group; `send_resolved` lets the analyst forget resolved fingerprints.
 */
export function alertmanagerConfig(webhookUrl: string | undefined): Record<string, unknown> {
    const quiet = ["Watchdog", "InfoInhibitor"].map((alert) => ({ receiver: NULL_RECEIVER, matchers: [`alertname = "${alert}"`] }));
    const analysed = webhookUrl ? [{ receiver: WEBHOOK_RECEIVER, matchers: [`severity =~ "${ANALYSED_SEVERITIES.join("|")}"`] }] : [];
    return {
        global: { resolve_timeout: "5m" },
        route: {
            group_by: ["namespace", "alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            receiver: NULL_RECEIVER,
            routes: [...quiet, ...analysed],
        },
        receivers: [
            { name: NULL_RECEIVER },
            ...(webhookUrl ? [{ name: WEBHOOK_RECEIVER, webhook_configs: [{ url: webhookUrl, send_resolved: true, max_alerts: 0 }] }] : []),
        ],
        templates: ["/etc/alertmanager/config/*.tmpl"],
    };
}

export function monitoringPlan(args: MonitoringValuesArgs): MonitoringPlan {
    if (!/^https?:\/\//.test(args.alertWebhookUrl ?? "http://")) {
        throw new Error(
            `alertWebhookUrl must be an http(s) URL such as http://aiops-api.aiops.svc:8080/api/alerts; got '${args.alertWebhookUrl}'`,
        );
    }
    const s = MONITORING_SIZES[args.profile];
    const pvc = (storage: string) => ({
        volumeClaimTemplate: {
            spec: { storageClassName: args.storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
        },
    });
    const pin = args.statefulNodeSelector ? { nodeSelector: { ...args.statefulNodeSelector } } : {};

    const values: Record<string, unknown> = {
        fullnameOverride: KPS_FULLNAME,
        crds: { enabled: args.crdsInChart ?? true },
        // k3s/k3d run controller-manager, scheduler and proxy in one process bound to 127.0.0.1, and the EKS
        // control plane is not scrapeable: their targets would be down forever (helm-charts#1966, k3s#3619).
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        kubeEtcd: { enabled: false },
        defaultRules: {
            rules: {
                etcd: false,
                kubeControllerManager: false,
                kubeProxy: false,
                kubeSchedulerAlerting: false,
                kubeSchedulerRecording: false,
                windows: false,
            },
        },
        prometheusOperator: {
            resources: resources(s.operator),
            prometheusConfigReloader: { resources: resources(s.configReloader) },
            admissionWebhooks: { patch: { resources: resources(s.webhookJob) } },
        },
        prometheus: {
            prometheusSpec: {
                retention: args.retention,
                retentionSize: retentionSize(args.storage),
                walCompression: true,
                resources: resources(s.prometheus),
                storageSpec: pvc(args.storage),
                // Select every ServiceMonitor/PodMonitor/rule in the cluster, not only those labelled
                // release=<this release>: the platform's own monitors would otherwise be ignored.
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
                scrapeConfigSelectorNilUsesHelmValues: false,
                ...(args.remoteWriteReceiver ? { enableRemoteWriteReceiver: true } : {}),
                ...pin,
            },
        },
        alertmanager: {
            alertmanagerSpec: { resources: resources(s.alertmanager), storage: pvc(s.alertmanagerStorage), ...pin },
            config: alertmanagerConfig(args.alertWebhookUrl),
        },
        grafana: {
            admin: { existingSecret: args.grafanaAdminSecret, userKey: "admin-user", passwordKey: "admin-password" },
            persistence: {
                enabled: true,
                type: "pvc",
                size: s.grafanaStorage,
                storageClassName: args.storageClass,
                accessModes: ["ReadWriteOnce"],
            },
            // A ReadWriteOnce volume cannot be attached to the old and the new pod at once.
            deploymentStrategy: { type: "Recreate" },
            // The chown init container runs as root; the provisioners used here hand out writable volumes.
            initChownData: { enabled: false },
            testFramework: { enabled: false },
            resources: resources(s.grafana),
            sidecar: { resources: resources(s.grafanaSidecar) },
            ...pin,
        },
        "kube-state-metrics": { resources: resources(s.kubeStateMetrics) },
        "prometheus-node-exporter": {
            resources: resources(s.nodeExporter),
            // Scrape node-exporter at the step the detector trains and scores at (TRAINING_STEP_SECONDS): a coarser
            // scrape would repeat samples inside every step and hand the models flat runs they never see live.
            // Key checked against kube-prometheus-stack 88.5.3's values (prometheus-node-exporter.prometheus.monitor.interval).
            prometheus: { monitor: { interval: `${TRAINER_DEFAULTS.trainingStepSeconds}s` } },
        },
    };

    const footprints = [
        footprint("kube-prometheus-stack/prometheus", [s.prometheus, s.configReloader]),
        footprint("kube-prometheus-stack/alertmanager", [s.alertmanager, s.configReloader]),
        footprint("kube-prometheus-stack/operator", [s.operator]),
        footprint("kube-prometheus-stack/grafana", [s.grafana, s.grafanaSidecar, s.grafanaSidecar]),
        footprint("kube-prometheus-stack/kube-state-metrics", [s.kubeStateMetrics]),
        footprint("kube-prometheus-stack/node-exporter", [s.nodeExporter], args.nodeCount),
    ];
    return { values, footprint: footprints };
}
