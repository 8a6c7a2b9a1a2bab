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

/** A Namespace with an explicit name (no auto-naming: charts and Applications refer to it by name). */
export function platformNamespace(
    resourceName: string,
    namespace: string,
    enforce: PodSecurityLevel,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
        resourceName,
        {
            metadata: {
                name: namespace,
                labels: { ...podSecurityLabels(enforce), ...PART_OF_LABEL, "app.kubernetes.io/managed-by": "pulumi" },
            },
        },
        opts,
    );
}
