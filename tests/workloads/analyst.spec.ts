// The alert analyst's Kubernetes objects: read-only RBAC, the A2A/Prometheus wiring, the webhook as a Secret.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ANALYST_NAME, ANALYST_PORT, AlertAnalyst, analystWebhookUrl, kagentA2aUrl } from "../../components/workloads/analyst";
import { AGENT_NAME } from "../../components/workloads/agent";
import { alertmanagerConfig } from "../../components/platform/values/monitoring";
import { ofType, only, plain, runComponents } from "./support/components";

const base = {
    profile: "lean" as const,
    kagentNamespace: "kagent",
    prometheusUrl: "http://kps-prometheus.monitoring.svc.cluster.local:9090",
    inferenceServiceUrl: "http://anomaly-detector-predictor.aiops-serving.svc.cluster.local",
};

describe("AlertAnalyst", () => {
    it("may only get, list and watch events, pods and nodes", async () => {
        const regs = await runComponents(() => {
            new AlertAnalyst("a", base);
        });
        const role = plain(only(regs, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"));
        expect(role.rules).to.deep.equal([{ apiGroups: [""], resources: ["events", "pods", "nodes"], verbs: ["get", "list", "watch"] }]);
        const binding = plain(only(regs, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"));
        expect(binding.subjects).to.deep.equal([{ kind: "ServiceAccount", name: ANALYST_NAME, namespace: "aiops" }]);
        expect(ofType(regs, "kubernetes:rbac.authorization.k8s.io/v1:Role")).to.have.length(0);
        expect(ofType(regs, "kubernetes:core/v1:Secret")).to.have.length(0);
    });

    it("runs dist/analyst.js with the A2A, Prometheus and detector URLs, one replica, hardened", async () => {
        const regs = await runComponents(() => {
            new AlertAnalyst("a", base);
        });
        const d = plain(only(regs, "kubernetes:apps/v1:Deployment"));
        expect(d.spec.replicas).to.equal(1);
        const pod = d.spec.template.spec;
        expect(pod.serviceAccountName).to.equal(ANALYST_NAME);
        const c = pod.containers[0];
        expect(c.command.at(-1)).to.equal("dist/analyst.js");
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
        expect(env).to.deep.equal({
            PORT: "9103",
            A2A_URL: `http://kagent-controller.kagent.svc.cluster.local:8083/api/a2a/kagent/${AGENT_NAME}/`,
            PROMETHEUS_URL: base.prometheusUrl,
            INFERENCE_SERVICE_URL: base.inferenceServiceUrl,
        });
        expect(c.securityContext).to.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true });
        expect(c.resources.limits).to.have.keys("cpu", "memory");
        expect(c.readinessProbe.httpGet.path).to.equal("/healthz");
        const svc = plain(only(regs, "kubernetes:core/v1:Service"));
        expect(svc.spec.ports[0].port).to.equal(ANALYST_PORT);
        expect(analystWebhookUrl()).to.equal(
            `http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${ANALYST_PORT}/alerts`,
        );
        expect(only(regs, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).to.not.equal(undefined);
    });

    it("keeps the report webhook URL in a Secret, never in the pod spec", async () => {
        const regs = await runComponents(() => {
            new AlertAnalyst("a", { ...base, reportWebhookUrl: pulumi.secret("https://hooks.slack.com/services/T/B/X") });
        });
        const d = plain(only(regs, "kubernetes:apps/v1:Deployment"));
        const env = d.spec.template.spec.containers[0].env.find((e: any) => e.name === "REPORT_WEBHOOK_URL");
        expect(env).to.deep.equal({
            name: "REPORT_WEBHOOK_URL",
            valueFrom: { secretKeyRef: { name: `${ANALYST_NAME}-webhook`, key: "report-webhook-url" } },
        });
        expect(JSON.stringify(d)).to.not.contain("hooks.slack.com");
        expect(plain(only(regs, "kubernetes:core/v1:Secret")).stringData["report-webhook-url"]).to.equal(
            "https://hooks.slack.com/services/T/B/X",
        );
    });

    it("refuses a Prometheus URL that is not http(s), naming the field", async () => {
        await runComponents(() => {
            new AlertAnalyst("a", { ...base, prometheusUrl: "kps-prometheus:9090" });
        }).then(
            () => expect.fail("should throw"),
            (e: Error) => expect(e.message).to.contain("prometheusUrl must be an http(s) URL"),
        );
    });

    it("is what Alertmanager's route posts warning and critical alerts to", () => {
        const cfg = alertmanagerConfig(analystWebhookUrl()) as any;
        expect(cfg.receivers[1].webhook_configs[0].url).to.equal(analystWebhookUrl());
        expect(kagentA2aUrl("kagent")).to.match(/^http:\/\/kagent-controller\.kagent\.svc\.cluster\.local:8083\/api\/a2a\/kagent\//);
    });
});
