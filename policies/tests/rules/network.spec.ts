import { expect } from "chai";
import { checkStack, runStackPolicy } from "../../offline/evaluate";
import { isDefaultDenyIngress, k8sNamespaceRequiresDefaultDenyIngress } from "../../rules/k8s-namespace-requires-default-deny-ingress";
import { Entry, stackOf, urnOf } from "../support/graph";

const policy = k8sNamespaceRequiresDefaultDenyIngress;
const ns = (name: string): Entry => ({ type: "kubernetes:core/v1:Namespace", name: `${name}-ns`, inputs: { metadata: { name } } });
const netpol = (name: string, namespace: string, spec: Record<string, unknown>): Entry => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    name,
    inputs: { metadata: { name, namespace }, spec },
});
const DENY = { podSelector: {}, policyTypes: ["Ingress"] };

describe("k8s-namespace-requires-default-deny-ingress", () => {
    it("passes a namespace with a default-deny ingress policy next to its allow rules", async () => {
        const stack = stackOf([
            ns("mlflow"),
            netpol("deny", "mlflow", DENY),
            netpol("allow", "mlflow", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] }),
        ]);
        expect(await runStackPolicy(policy, stack)).to.deep.equal([]);
    });

    it("fails a namespace without one, against the namespace, and names the fix", async () => {
        const stack = stackOf([ns("mlflow"), ns("aiops"), netpol("deny", "aiops", DENY)]);
        expect(await runStackPolicy(policy, stack)).to.deep.equal([
            {
                message:
                    "namespace 'mlflow' has no default-deny ingress NetworkPolicy; add one in it with podSelector: {}, " +
                    'policyTypes: ["Ingress"] and no ingress rules, plus allow rules for the traffic its services need.',
                urn: urnOf(stack, "mlflow-ns"),
            },
        ]);
    });

    it("does not count an allow-all, a partial selector, an egress-only policy or one in another namespace", async () => {
        for (const spec of [
            { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] },
            { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress"] },
            { podSelector: {}, policyTypes: ["Egress"] },
        ]) {
            expect(isDefaultDenyIngress({ spec }), JSON.stringify(spec)).to.equal(false);
            expect(await runStackPolicy(policy, stackOf([ns("mlflow"), netpol("p", "mlflow", spec)]))).to.have.length(1);
        }
        expect(await runStackPolicy(policy, stackOf([ns("mlflow"), netpol("deny", "aiops", DENY)]))).to.have.length(1);
        // policyTypes defaults to Ingress when absent.
        expect(isDefaultDenyIngress({ spec: { podSelector: {} } })).to.equal(true);
    });

    it("is not applicable without namespaces", async () => {
        const { violations, notApplicable } = await checkStack(policy, stackOf([]));
        expect(violations).to.deep.equal([]);
        expect(notApplicable).to.equal("The stack declares no Kubernetes namespaces.");
    });
});
