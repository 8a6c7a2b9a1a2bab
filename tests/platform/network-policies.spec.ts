// Network isolation by default: every namespace the program declares denies ingress unless a rule allows
// it, and the rules allow exactly the flows the services need. k3s enforces NetworkPolicies out of the box;
// on EKS the VPC CNI's network policy agent does (enabled in the vpc-cni add-on, see README).
import { expect } from "chai";
import { isDefaultDenyIngress } from "../../policies/rules/k8s-namespace-requires-default-deny-ingress";
import { ARGOCD_NAMESPACE } from "../../components/platform/argocd";
import { KAGENT_NAMESPACE } from "../../components/platform/kagent";
import { KFP_NAMESPACE } from "../../components/platform/kubeflow-pipelines/overlay";
import { MLFLOW_NAMESPACE } from "../../components/platform/mlflow";
import { MONITORING_NAMESPACE } from "../../components/platform/monitoring";
import { PLATFORM_NAMESPACES, namespaceNetworkPolicies } from "../../components/platform/namespace";
import { IN_CLUSTER_STORE } from "../../components/platform/object-store/types";
import { DETECTOR_NAMESPACE, DETECTOR_PORT } from "../../components/workloads/detector";
import { GATE_PORT } from "../../components/workloads/edge-metrics";
import { TRAINING_NAMESPACE } from "../../components/workloads/training";
import { MCP_NAMESPACE } from "../../components/workloads/mcp-tool";
import type { StackRun } from "../harness";
import { unwrapSecrets } from "../harness";
import { DELIVERIES, STACKS, platformRun } from "./runs";

type Obj = Record<string, any>;
interface Policy {
    namespace: string;
    provider: string | null;
    spec: Obj;
}

/** A source of traffic: a pod in a namespace, or something outside the pod network (API server, NodePort). */
type Source = { namespace: string } | "outside";

function policiesOf(run: StackRun): Policy[] {
    return run.registrations
        .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        .map((r) => {
            const i = unwrapSecrets(r.inputs) as Obj;
            return { namespace: i.metadata.namespace, provider: r.provider, spec: i.spec };
        });
}

/** NetworkPolicy ingress semantics for policies that select every pod (all the program declares). */
function allows(policies: Policy[], namespace: string, from: Source, port: number): boolean {
    return policies
        .filter((p) => p.namespace === namespace && (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress"))
        .some((p) => {
            expect(p.spec.podSelector, "policies select every pod of their namespace").to.deep.equal({});
            return (p.spec.ingress ?? []).some((rule: Obj) => {
                const portOk = !rule.ports || rule.ports.some((x: Obj) => x.port === port);
                const peers: Obj[] | undefined = rule.from;
                const fromOk =
                    peers === undefined ||
                    peers.some((peer) =>
                        from === "outside"
                            ? false
                            : peer.podSelector !== undefined && peer.namespaceSelector === undefined
                              ? from.namespace === namespace
                              : peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === from.namespace,
                    );
                return portOk && fromOk;
            });
        });
}

describe("network isolation: namespaceNetworkPolicies", () => {
    it("names the same namespaces as the components", () => {
        expect(PLATFORM_NAMESPACES).to.deep.equal({
            monitoring: MONITORING_NAMESPACE,
            kubeSystem: "kube-system",
            kubeflow: KFP_NAMESPACE,
            mlflow: MLFLOW_NAMESPACE,
            kagent: KAGENT_NAMESPACE,
            objectStore: IN_CLUSTER_STORE.namespace,
            mcpTool: MCP_NAMESPACE,
            serving: DETECTOR_NAMESPACE,
            training: TRAINING_NAMESPACE,
        });
    });

    it("denies by default and allows only its own pods and Prometheus when nothing else is asked", () => {
        const ps = namespaceNetworkPolicies().map((p) => ({ namespace: "x", provider: null, spec: p.spec }));
        expect(ps.filter((p) => isDefaultDenyIngress({ spec: p.spec }))).to.have.length(1);
        expect(allows(ps, "x", { namespace: "x" }, 80)).to.equal(true);
        expect(allows(ps, "x", { namespace: "monitoring" }, 9100)).to.equal(true);
        expect(allows(ps, "x", { namespace: "kagent" }, 80)).to.equal(false);
        expect(allows(ps, "x", "outside", 443)).to.equal(false);
    });

    it("opens webhook and NodePort-target ports to any source, and consumer namespaces to any port", () => {
        const ps = namespaceNetworkPolicies({ fromNamespaces: ["a"], webhookPorts: [9443], openPorts: [8080] }).map((p) => ({
            namespace: "x",
            provider: null,
            spec: p.spec,
        }));
        expect(allows(ps, "x", "outside", 9443)).to.equal(true);
        expect(allows(ps, "x", "outside", 8080)).to.equal(true);
        expect(allows(ps, "x", "outside", 22)).to.equal(false);
        expect(allows(ps, "x", { namespace: "a" }, 5000)).to.equal(true);
        expect(allows(ps, "x", { namespace: "b" }, 5000)).to.equal(false);
    });
});

describe("network isolation in every stack", function () {
    this.timeout(300_000);
    for (const stack of STACKS)
        for (const delivery of DELIVERIES)
            it(`${stack} with delivery ${delivery}: default deny everywhere, and each service's flows allowed`, async () => {
                const { run } = await platformRun(stack, delivery);
                const policies = policiesOf(run);
                const namespaces = run.registrations
                    .filter((r) => r.type === "kubernetes:core/v1:Namespace")
                    .map((r) => ({ name: (r.inputs as Obj).metadata.name as string, provider: r.provider }));
                expect(namespaces.length).to.be.greaterThan(5);
                for (const ns of namespaces) {
                    const deny = policies.filter(
                        (p) => p.namespace === ns.name && p.provider === ns.provider && isDefaultDenyIngress({ spec: p.spec }),
                    );
                    expect(deny, `default-deny ingress in ${ns.name} on ${ns.provider}`).to.have.length(1);
                    // Prometheus scrapes every namespace.
                    expect(allows(policies, ns.name, { namespace: MONITORING_NAMESPACE }, 8080), `scrape ${ns.name}`).to.equal(true);
                }
                const has = (n: string) => namespaces.some((ns) => ns.name === n);
                const flow = (to: string, from: Source, port: number) =>
                    expect(allows(policies, to, from, port), `${JSON.stringify(from)} -> ${to}:${port}`).to.equal(true);
                const blocked = (to: string, from: Source, port: number) =>
                    expect(allows(policies, to, from, port), `${JSON.stringify(from)} -> ${to}:${port} must be denied`).to.equal(false);

                // The API server to admission webhooks.
                flow("cert-manager", "outside", 10250);
                flow("kserve", "outside", 9443);
                flow(MONITORING_NAMESPACE, "outside", 10250);
                if (has(KFP_NAMESPACE)) flow(KFP_NAMESPACE, "outside", 8443);
                // The detector from the MCP tool and from scoring pipeline steps.
                flow(DETECTOR_NAMESPACE, { namespace: MCP_NAMESPACE }, DETECTOR_PORT);
                flow(DETECTOR_NAMESPACE, { namespace: KFP_NAMESPACE }, DETECTOR_PORT);
                if (stack === "hybrid") flow(DETECTOR_NAMESPACE, "outside", DETECTOR_PORT);
                else blocked(DETECTOR_NAMESPACE, "outside", DETECTOR_PORT);
                // Egress stays open: the hybrid edge's model roller (aiops-serving) reaches the API server and the
                // cloud object store, which no namespace selector can name.
                expect(
                    policies.filter((p) => (p.spec.policyTypes ?? []).includes("Egress")).map((p) => p.namespace),
                    "policies restricting egress",
                ).to.deep.equal([]);
                // The object store from pipelines, predictors and MLflow, and from nobody else.
                if (has(IN_CLUSTER_STORE.namespace)) {
                    for (const from of [KFP_NAMESPACE, DETECTOR_NAMESPACE, MLFLOW_NAMESPACE])
                        flow(IN_CLUSTER_STORE.namespace, { namespace: from }, 9000);
                    blocked(IN_CLUSTER_STORE.namespace, { namespace: KAGENT_NAMESPACE }, 9000);
                }
                // kagent to the MCP tool; the MCP tool to Prometheus; pipelines to MLflow.
                flow(MCP_NAMESPACE, { namespace: KAGENT_NAMESPACE }, 8080);
                flow(MONITORING_NAMESPACE, { namespace: MCP_NAMESPACE }, 9090);
                flow(MLFLOW_NAMESPACE, { namespace: KFP_NAMESPACE }, 5000);
                // The trainer (bootstrap Job, CronJob, KFP registration Job) reads Prometheus, records in MLflow,
                // writes the model store and registers the pipeline; pipeline steps read Prometheus too.
                flow(MONITORING_NAMESPACE, { namespace: TRAINING_NAMESPACE }, 9090);
                flow(MONITORING_NAMESPACE, { namespace: KFP_NAMESPACE }, 9090);
                flow(MLFLOW_NAMESPACE, { namespace: TRAINING_NAMESPACE }, 5000);
                if (has(IN_CLUSTER_STORE.namespace)) flow(IN_CLUSTER_STORE.namespace, { namespace: TRAINING_NAMESPACE }, 9000);
                if (has(KFP_NAMESPACE)) flow(KFP_NAMESPACE, { namespace: TRAINING_NAMESPACE }, 8888);
                // The alert analyst (next to the MCP tool) asks kagent's agent over A2A; Alertmanager reaches it.
                flow(KAGENT_NAMESPACE, { namespace: MCP_NAMESPACE }, 8083);
                flow(MCP_NAMESPACE, { namespace: MONITORING_NAMESPACE }, 9103);
                // UIs through the cluster's ingress controller (Traefik, kube-system) on k3s and local.
                for (const ui of [MONITORING_NAMESPACE, KAGENT_NAMESPACE, MLFLOW_NAMESPACE]) flow(ui, { namespace: "kube-system" }, 80);
                // hybrid: the edge's Prometheus agent reaches the remote-write gate over the tailnet NodePort.
                if (stack === "hybrid") flow(MCP_NAMESPACE, "outside", GATE_PORT);
                else blocked(MCP_NAMESPACE, "outside", GATE_PORT);
                // Isolation is real: nothing else reaches Argo CD or MLflow.
                if (has(ARGOCD_NAMESPACE)) blocked(ARGOCD_NAMESPACE, { namespace: KAGENT_NAMESPACE }, 8080);
                blocked(MLFLOW_NAMESPACE, { namespace: KAGENT_NAMESPACE }, 5000);
                blocked(KFP_NAMESPACE, "outside", 8888);
            });
});
