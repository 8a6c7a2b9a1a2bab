// The AIOps workloads: the detector's InferenceService, the MCP tool, kagent's RemoteMCPServer and
// Agent, validated against the upstream CRDs, and their placement per stack.
import * as path from "node:path";
import { expect } from "chai";
import {
    AGENT_NAME,
    DETECTOR_IMAGE,
    MCP_TOOL_IMAGE,
    MCP_TOOL_NAMES,
    agentObjects,
    detectorInferenceService,
    detectorPodMonitor,
    kserveS3Annotations,
    mcpAllowedHosts,
    mcpPodTemplate,
    mcpUrl,
    predictorUrl,
} from "../../components/workloads";
import { IN_CLUSTER_HOST } from "../../components/platform/object-store";
import { REPO_ROOT, runStack } from "../harness";
import type { Registration } from "../harness";
import { SchemaRegistry } from "../platform/k8s-schema";

const registry = new SchemaRegistry(path.resolve(REPO_ROOT, "../shared/reference/crds"));
type Json = Record<string, any>;

describe("detector InferenceService", () => {
    const isvc = detectorInferenceService({
        name: "anomaly-detector",
        namespace: "aiops-serving",
        serviceAccountName: "anomaly-detector",
        storageUri: "s3://models/anomaly-detector/current",
        profile: "lean",
    }) as Json;

    it("is a valid serving.kserve.io/v1beta1 InferenceService (KServe v0.20 CRD)", () => {
        expect(registry.validate(isvc)).to.deep.equal([]);
    });

    it("runs in Standard mode with a custom predictor KServe feeds from STORAGE_URI", () => {
        expect(isvc.metadata.annotations).to.include({ "serving.kserve.io/deploymentMode": "Standard" });
        // Read only for queue-proxy metric aggregation, which is off (and Knative-only): misleading, so absent.
        expect(Object.keys(isvc.metadata.annotations).filter((k) => k.startsWith("prometheus.kserve.io/"))).to.deep.equal([]);
        const c = isvc.spec.predictor.containers[0];
        expect(c.name).to.equal("kserve-container");
        expect(c.image)
            .to.equal(DETECTOR_IMAGE)
            .and.to.match(/^ghcr\.io\/aiops-mlops\/detector:\d+\.\d+\.\d+$/);
        expect(c.args).to.deep.equal(["serve", "--model-dir", "/mnt/models", "--port", "8080"]);
        expect(c.env).to.deep.include({ name: "STORAGE_URI", value: "s3://models/anomaly-detector/current" });
        // KServe v0.20 CustomPredictor.GetProtocol reads PROTOCOL on the first container; without it, v1.
        expect(isvc.spec.predictor.containers.indexOf(c)).to.equal(0);
        expect(c.env).to.deep.include({ name: "PROTOCOL", value: "v2" });
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/v2/health/ready", port: 8080 });
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/v2/health/live", port: 8080 });
        expect(c.resources.requests).to.deep.equal({ cpu: "50m", memory: "128Mi" });
        expect(c.securityContext).to.include({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
        expect(isvc.spec.predictor.securityContext).to.include({ runAsNonRoot: true });
        expect(isvc.spec.predictor.serviceAccountName).to.equal("anomaly-detector");
        // Multi-arch image: no arch pin.
        expect(isvc.spec.predictor.nodeSelector).to.equal(undefined);
    });

    it("tells KServe where the in-cluster store is, over plain HTTP; cloud stores over HTTPS", () => {
        expect(
            kserveS3Annotations({ endpoint: `${IN_CLUSTER_HOST}:9000`, useHttps: false, region: "us-east-1", inCluster: true }),
        ).to.deep.equal({
            "serving.kserve.io/s3-endpoint": "object-store.object-store.svc.cluster.local:9000",
            "serving.kserve.io/s3-usehttps": "0",
            "serving.kserve.io/s3-region": "us-east-1",
            "serving.kserve.io/s3-usevirtualbucket": "false",
        });
        expect(
            kserveS3Annotations({ endpoint: "storage.googleapis.com", useHttps: true, region: "auto", inCluster: false })[
                "serving.kserve.io/s3-usehttps"
            ],
        ).to.equal("1");
    });

    it("is scraped through a valid PodMonitor on its predictor pods", () => {
        const pm = detectorPodMonitor("anomaly-detector", "aiops-serving", {});
        expect(registry.validate(pm)).to.deep.equal([]);
        expect((pm.spec as Json).selector.matchLabels).to.deep.equal({ "serving.kserve.io/inferenceservice": "anomaly-detector" });
    });
});

describe("MCP tool", () => {
    const tpl = mcpPodTemplate({
        prometheusUrl: "http://kps-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090",
        inferenceServiceUrl: predictorUrl(),
        profile: "lean",
        labels: { app: "x" },
    }) as Json;

    it("gets its dependencies and allowed hosts from the environment", () => {
        const env = Object.fromEntries(tpl.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env).to.deep.equal({
            PORT: "8080",
            PROMETHEUS_URL: "http://kps-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090",
            INFERENCE_SERVICE_URL: "http://anomaly-detector-predictor.aiops-serving.svc.cluster.local",
            ALLOWED_HOSTS: "aiops-mcp,aiops-mcp.aiops,aiops-mcp.aiops.svc,aiops-mcp.aiops.svc.cluster.local",
        });
        expect(mcpAllowedHosts()).to.include("aiops-mcp.aiops.svc.cluster.local");
        expect(mcpUrl()).to.equal("http://aiops-mcp.aiops.svc.cluster.local:8080/mcp");
    });

    it("is hardened, sized and probed on /healthz and /readyz", () => {
        const c = tpl.spec.containers[0];
        expect(c.image)
            .to.equal(MCP_TOOL_IMAGE)
            .and.to.match(/^ghcr\.io\/aiops-mlops\/mcp-tool:\d+\.\d+\.\d+$/);
        expect(c.livenessProbe.httpGet.path).to.equal("/healthz");
        expect(c.readinessProbe.httpGet.path).to.equal("/readyz");
        expect(c.securityContext).to.deep.equal({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        });
        expect(tpl.spec.securityContext).to.include({ runAsNonRoot: true });
        expect(tpl.spec.automountServiceAccountToken).to.equal(false);
        expect(c.resources).to.deep.equal({ requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } });
    });
});

describe("kagent objects", () => {
    const { remoteMcpServer, agent } = agentObjects({ namespace: "kagent", modelConfig: "default-model-config", mcpUrl: mcpUrl() }) as {
        remoteMcpServer: Json;
        agent: Json;
    };

    it("are valid kagent.dev/v1alpha2 RemoteMCPServer and Agent (kagent 0.9.12 CRDs)", () => {
        expect(registry.validate(remoteMcpServer)).to.deep.equal([]);
        expect(registry.validate(agent)).to.deep.equal([]);
    });

    it("connect the agent to the MCP tool over streamable HTTP with its three tools", () => {
        expect(remoteMcpServer.spec).to.include({
            url: "http://aiops-mcp.aiops.svc.cluster.local:8080/mcp",
            protocol: "STREAMABLE_HTTP",
            timeout: "30s",
        });
        expect(agent.spec.type).to.equal("Declarative");
        expect(agent.spec.declarative.modelConfig).to.equal("default-model-config");
        expect(agent.spec.declarative.tools).to.deep.equal([
            {
                type: "McpServer",
                mcpServer: {
                    apiGroup: "kagent.dev",
                    kind: "RemoteMCPServer",
                    name: remoteMcpServer.metadata.name,
                    toolNames: ["predict_anomalies", "query_prometheus_and_predict", "list_instances"],
                },
            },
        ]);
        expect(MCP_TOOL_NAMES).to.have.length(3);
        expect(agent.spec.declarative.systemMessage).to.contain("list_instances").and.to.contain("You can only read");
    });
});

describe("workload placement", () => {
    const providerOf = (run: { registrations: Registration[] }, type: string) =>
        run.registrations.filter((r) => r.type === type).map((r) => r.provider);

    it("hybrid: the detector goes to the edge cluster, the MCP tool and kagent objects to the control cluster", async () => {
        const run = await runStack("hybrid", { objectStore: "gcs" });
        const edge = providerOf(run, "kubernetes:serving.kserve.io/v1beta1:InferenceService");
        expect(edge).to.have.length(1);
        expect(edge[0]).to.match(/edge/);
        for (const type of [
            "kubernetes:apps/v1:Deployment",
            "kubernetes:kagent.dev/v1alpha2:Agent",
            "kubernetes:kagent.dev/v1alpha2:RemoteMCPServer",
            "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        ]) {
            const providers = run.registrations.filter((r) => r.type === type && r.name.includes("aiops")).map((r) => r.provider);
            expect(providers, type).to.have.length.greaterThan(0);
            for (const p of providers) expect(p, type).to.match(/control/);
        }
        // The edge runs no Prometheus operator: no PodMonitor there. Its Prometheus agent remote-writes the
        // detector's metrics to the control cluster, so the detector and serving rules apply there too.
        expect(run.registrations.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")).to.have.length(0);
        const rule = run.registrations.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!;
        expect(((rule.inputs.spec as Json).groups as Json[]).map((g) => g.name)).to.deep.equal([
            "aiops-detector",
            "aiops-serving",
            "aiops-mcp-tool",
            "aiops-anomaly-loop",
            "aiops-platform",
        ]);
        const agent = run.registrations.find((r) => r.type === "aiops:workloads:EdgeMetricsAgent")!;
        expect(agent, "the edge metrics agent").to.not.equal(undefined);
        for (const r of run.registrations.filter(
            (x) => x.parent === `aiops:workloads:EdgeMetricsAgent::${agent.name}` && x.type.startsWith("kubernetes:"),
        ))
            expect(r.provider, r.name).to.match(/edge/);
        const gate = run.registrations.find(
            (r) => r.type === "kubernetes:core/v1:Service" && (r.inputs.metadata as Json).name === "remote-write-gate",
        )!;
        expect(gate.provider).to.match(/control/);
    });

    it("homelab: everything on the one cluster, the agent waiting for kagent's CRDs", async () => {
        const run = await runStack("homelab", {});
        const agent = run.registrations.find((r) => r.type === "kubernetes:kagent.dev/v1alpha2:Agent" && r.name === "homelab-aiops-agent")!;
        expect((agent.inputs.metadata as Json).name).to.equal(AGENT_NAME);
        expect(
            agent.dependsOn.some((d) => d.endsWith("::homelab-kagent-crds")),
            agent.dependsOn.join(", "),
        ).to.equal(true);
        const isvc = run.registrations.find((r) => r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService")!;
        expect(isvc.provider).to.equal(agent.provider);
        const env = ((isvc.inputs.spec as Json).predictor.containers[0].env as Json[]).find((e) => e.name === "STORAGE_URI");
        expect(env!.value).to.equal("s3://models/anomaly-detector/current");
    });
});

describe("workload ordering on pulumi up", () => {
    it("creates the alerts' PrometheusRule only after McpTool has created the aiops namespace it lives in", async () => {
        const run = await runStack("homelab", {});
        const rule = run.registrations.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!;
        expect((rule.inputs.metadata as Json).namespace).to.equal("aiops");
        const ns = run.registrations.find(
            (r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as Json).name === "aiops",
        )!;
        expect(rule.dependsOn, rule.dependsOn.join(", ")).to.include(`kubernetes:core/v1:Namespace::${ns.name}`);
    });

    it("does not await the MCP tool's readiness, which needs a trained model behind the detector", async () => {
        const run = await runStack("homelab", {});
        const mcp = run.registrations.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && (r.inputs.metadata as Json).name === "aiops-mcp",
        )!;
        expect((mcp.inputs.metadata as Json).annotations).to.deep.equal({ "pulumi.com/skipAwait": "true" });
        // The readiness probe itself stays: a broken dependency still takes the pod out of rotation.
        expect(((mcp.inputs.spec as Json).template.spec.containers[0].readinessProbe as Json).httpGet.path).to.equal("/readyz");
    });
});

describe("workload images", () => {
    it("follow imageRepository from config, at the pinned release tag", async () => {
        const { runStack } = await import("../harness/run");
        const run = await runStack("homelab", { imageRepository: "registry.example.com/platform" });
        const isvc = run.registrations.find((r) => r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService");
        const mcp = run.registrations.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("mcp-tool:"),
        );
        expect(JSON.stringify(isvc?.inputs)).to.include('"image":"registry.example.com/platform/detector:0.1.0"');
        expect(JSON.stringify(mcp?.inputs)).to.include('"image":"registry.example.com/platform/mcp-tool:0.1.0"');
    });
});

describe("detector reachability across clusters", () => {
    it("hybrid: the MCP tool on the control cluster calls the edge's predictor over the tailnet NodePort", async () => {
        const { runStack } = await import("../harness/run");
        const run = await runStack("hybrid");
        const k3d = run.registrations.find(
            (r) => r.type === "command:local:Command" && String(r.inputs.create).includes("k3d cluster create"),
        );
        expect(String(k3d?.inputs.create), "k3d publishes the NodePort on the tailnet address only").to.include(
            "--port 100.101.102.103:30080:30080@server:0",
        );
        const svc = run.registrations.find(
            (r) => r.type === "kubernetes:core/v1:Service" && (r.inputs as Json).metadata?.name === "anomaly-detector-tailnet",
        );
        expect(svc?.provider, "the Service lives on the edge").to.equal("pulumi:providers:kubernetes::hybrid-edge-k8s");
        expect((svc?.inputs as Json).spec).to.deep.include({
            type: "NodePort",
            selector: { "serving.kserve.io/inferenceservice": "anomaly-detector", component: "predictor" },
        });
        expect((svc?.inputs as Json).spec.ports[0]).to.include({ port: 8080, targetPort: 8080, nodePort: 30080 });
        const mcp = run.registrations.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("mcp-tool:"),
        );
        const env = (mcp?.inputs as Json).spec.template.spec.containers[0].env as { name: string; value?: string }[];
        expect(env.find((e) => e.name === "INFERENCE_SERVICE_URL")?.value).to.equal("http://100.101.102.103:30080");
    });

    it("homelab: one cluster, so the in-cluster predictor Service and no NodePort", async () => {
        const { runStack } = await import("../harness/run");
        const run = await runStack("homelab");
        expect(run.registrations.some((r) => (r.inputs as Json).metadata?.name === "anomaly-detector-tailnet")).to.equal(false);
        const mcp = run.registrations.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("mcp-tool:"),
        );
        const env = (mcp?.inputs as Json).spec.template.spec.containers[0].env as { name: string; value?: string }[];
        expect(env.find((e) => e.name === "INFERENCE_SERVICE_URL")?.value).to.equal(
            "http://anomaly-detector-predictor.aiops-serving.svc.cluster.local",
        );
    });
});
