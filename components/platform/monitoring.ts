// kube-prometheus-stack: Prometheus, Alertmanager, Grafana, node-exporter and kube-state-metrics.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ServiceRelease, WEBHOOK_CA_BUNDLE_DIFFERENCES } from "../delivery";
import type { ClusterContract } from "../cluster/contract";
import { schedulablePools } from "../cluster/contract";
import type { Footprint, HasFootprint, ServicePlan } from "./footprint";
import { PLATFORM_NAMESPACES, platformNamespace } from "./namespace";
import { PlatformServiceArgs, requireTarget } from "./service";
import { KPS_CHART, KPS_FULLNAME, PROMETHEUS_OPERATOR_CRDS_CHART } from "./values/monitoring";

export const MONITORING_NAMESPACE = "monitoring";
export const KPS_RELEASE = "kps";
export const PROMETHEUS_OPERATOR_CRDS_RELEASE = "prometheus-operator-crds";
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

export interface MonitoringArgs extends PlatformServiceArgs {
    /**
     * monitoringPlan(...) (components/platform/values/monitoring.ts), computed once by the stack: retention,
     * storage, the alert webhook, the stateful-node selector, remote write, node-exporter's node count, and
     * `crdsInChart` equal to `delivery === "helm"`.
     */
    readonly plan: ServicePlan;
}

/** Number of schedulable nodes, for the node-exporter DaemonSet's footprint. */
export function schedulableNodeCount(cluster: Pick<ClusterContract, "nodePools">): number {
    return schedulablePools(cluster).reduce((n, p) => n + p.count, 0);
}

export class Monitoring extends pulumi.ComponentResource implements HasFootprint {
    readonly namespace: string = MONITORING_NAMESPACE;
    readonly releaseName: string = KPS_RELEASE;
    /** Grafana's admin password (a secret). */
    readonly grafanaAdminPassword: pulumi.Output<string>;
    /** Service names (port-forwarding, in-cluster URLs): Grafana's subchart is named after the release. */
    readonly grafanaService = `${KPS_RELEASE}-grafana`;
    readonly prometheusService = `${KPS_FULLNAME}-prometheus`;
    readonly alertmanagerService = `${KPS_FULLNAME}-alertmanager`;
    readonly footprint: readonly Footprint[];
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];
    /**
     * The Helm release that installs the ServiceMonitor/PodMonitor/PrometheusRule CRDs: kube-prometheus-stack
     * itself with delivery helm, Pulumi's prometheus-operator-crds release with delivery argocd. Every
     * Pulumi-declared monitoring custom resource depends on it.
     */
    readonly crds: pulumi.Resource;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:Monitoring", name, {}, opts);
        requireTarget("Monitoring", args);
        const { plan } = args;
        this.footprint = plan.footprint;

        // node-exporter needs hostNetwork, hostPID and hostPath: the namespace must allow privileged pods.
        const ns = platformNamespace(
            `${name}-ns`,
            MONITORING_NAMESPACE,
            "privileged",
            { parent: this },
            {
                // The MCP tool and kagent's tools query Prometheus; the operator's admission webhook (internalPort 10250).
                // The MCP tool, scorer and analyst, kagent, the trainer and pipeline steps read Prometheus; Grafana's
                // UI comes through the cluster's ingress controller (Traefik in kube-system on k3s and local).
                fromNamespaces: [
                    PLATFORM_NAMESPACES.mcpTool,
                    PLATFORM_NAMESPACES.kagent,
                    PLATFORM_NAMESPACES.training,
                    PLATFORM_NAMESPACES.kubeflow,
                    PLATFORM_NAMESPACES.kubeSystem,
                ],
                webhookPorts: [10250],
            },
        );
        const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 24, special: false }, { parent: this });
        this.grafanaAdminPassword = pulumi.secret(password.result);
        const secret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: GRAFANA_ADMIN_SECRET, namespace: MONITORING_NAMESPACE },
                type: "Opaque",
                stringData: { "admin-user": "admin", "admin-password": password.result },
            },
            { parent: this, dependsOn: [ns] },
        );
        // With argocd delivery Pulumi still installs the CRDs (always as a Helm release): its own monitors
        // and rules are declared in the same `pulumi up`, before Argo CD has synced kube-prometheus-stack.
        const crdRelease =
            args.delivery === "argocd"
                ? new ServiceRelease(
                      `${name}-crds`,
                      {
                          delivery: "helm",
                          source: PROMETHEUS_OPERATOR_CRDS_CHART,
                          namespace: MONITORING_NAMESPACE,
                          releaseName: PROMETHEUS_OPERATOR_CRDS_RELEASE,
                          values: {},
                      },
                      { parent: this, dependsOn: [ns] },
                  )
                : undefined;
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                source: KPS_CHART,
                namespace: MONITORING_NAMESPACE,
                releaseName: KPS_RELEASE,
                values: plan.values,
                argocd: args.argocd,
                ignoreDifferences: WEBHOOK_CA_BUNDLE_DIFFERENCES,
            },
            { parent: this, dependsOn: [ns, secret, ...(crdRelease ? [crdRelease.resource] : [])] },
        );
        this.crds = (crdRelease ?? this.release).resource;
        this.releases = [...(crdRelease ? [crdRelease] : []), this.release];
        this.registerOutputs({ grafanaAdminPassword: this.grafanaAdminPassword });
    }
}
