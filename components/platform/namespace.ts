// Namespaces are created by Pulumi in both delivery modes, so Secrets Pulumi generates (Grafana's and
// Argo CD's admin passwords, kagent's API key) can live next to the service that reads them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Pod Security Standard a namespace enforces (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Labels for the Pod Security admission controller: `enforce` at the level the service needs, and
 * `warn` + `audit` at restricted, so every shortfall from the strictest level stays visible.
 */
export function podSecurityLabels(enforce: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
    };
}

export const PART_OF_LABEL = { "app.kubernetes.io/part-of": "aiops-mlops-platform" } as const;

/**
 * A Namespace with an explicit name (no auto-naming: charts and Applications refer to it by name), isolated
 * by default: a default-deny ingress NetworkPolicy plus the allow rules of namespaceNetworkPolicies(ingress).
 */
export function platformNamespace(
    resourceName: string,
    namespace: string,
    enforce: PodSecurityLevel,
    opts: pulumi.CustomResourceOptions,
    ingress: NamespaceIngress = {},
): k8s.core.v1.Namespace {
    const ns = new k8s.core.v1.Namespace(
        resourceName,
        {
            metadata: {
                name: namespace,
                labels: { ...podSecurityLabels(enforce), ...PART_OF_LABEL, "app.kubernetes.io/managed-by": "pulumi" },
            },
        },
        opts,
    );
    for (const p of namespaceNetworkPolicies(ingress)) {
        new k8s.networking.v1.NetworkPolicy(
            `${resourceName}-${p.name}`,
            {
                metadata: { name: p.name, namespace, labels: { ...PART_OF_LABEL, "app.kubernetes.io/managed-by": "pulumi" } },
                spec: p.spec as unknown as k8s.types.input.networking.v1.NetworkPolicySpec,
            },
            { ...opts, dependsOn: [ns] },
        );
    }
    return ns;
}

/**
 * Namespaces the platform's services live in, as allow rules name them (the `kubernetes.io/metadata.name`
 * label the API server sets on every namespace). tests/platform/network-policies.spec.ts keeps them equal to
 * the components' own constants.
 */
export const PLATFORM_NAMESPACES = {
    monitoring: "monitoring",
    kubeSystem: "kube-system",
    kubeflow: "kubeflow",
    mlflow: "mlflow",
    kagent: "kagent",
    objectStore: "object-store",
    mcpTool: "aiops",
    serving: "aiops-serving",
    training: "aiops-training",
} as const;

/** Who may connect to the pods of a namespace, beyond its own pods and Prometheus (always allowed). */
export interface NamespaceIngress {
    /** Namespaces whose pods may connect to any pod here, on any port. */
    readonly fromNamespaces?: readonly string[];
    /**
     * Ports of admission webhooks the API server calls. The API server is not a pod (on EKS it calls from
     * the control plane's ENIs, on k3s from the host), so these ports are open to any source.
     */
    readonly webhookPorts?: readonly number[];
    /** Ports open to any source, for traffic from outside the pod network (a NodePort over the tailnet). */
    readonly openPorts?: readonly number[];
}

export interface NamespaceNetworkPolicy {
    readonly name: string;
    readonly spec: Record<string, unknown>;
}

const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: "TCP", port }));

/**
 * The NetworkPolicies of a namespace: deny all ingress by default, then allow its own pods, Prometheus
 * (scrapes from the monitoring namespace) and what `ingress` lists. Egress stays open (no DNS rule needed);
 * NetworkPolicies are additive, so each allow rule only widens the default deny. Pure.
 */
export function namespaceNetworkPolicies(ingress: NamespaceIngress = {}): NamespaceNetworkPolicy[] {
    const policies: NamespaceNetworkPolicy[] = [
        { name: "default-deny-ingress", spec: { podSelector: {}, policyTypes: ["Ingress"] } },
        {
            name: "allow-same-namespace-and-prometheus",
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: {} }, byName(PLATFORM_NAMESPACES.monitoring)] }],
            },
        },
    ];
    const from = [...new Set(ingress.fromNamespaces ?? [])];
    if (from.length > 0)
        policies.push({
            name: "allow-from-consumers",
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: from.map(byName) }] },
        });
    if ((ingress.webhookPorts ?? []).length > 0)
        policies.push({
            name: "allow-api-server-webhooks",
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: tcp(ingress.webhookPorts!) }] },
        });
    if ((ingress.openPorts ?? []).length > 0)
        policies.push({
            name: "allow-open-ports",
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: tcp(ingress.openPorts!) }] },
        });
    return policies;
}
