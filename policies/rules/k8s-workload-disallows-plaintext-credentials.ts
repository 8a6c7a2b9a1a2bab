import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asArray, asRecord, asString } from "../lib/values";

export interface Config {
    /** Case-insensitive substrings of an env var name that mark it as a credential. */
    readonly credentialNamePatterns: string[];
}

export const k8sWorkloadDisallowsPlaintextCredentials: ResourceValidationPolicy = {
    name: "k8s-workload-disallows-plaintext-credentials",
    description:
        "No container sets a credential-like environment variable (PASSWORD, SECRET, TOKEN, API_KEY, ...) to a literal value, because the value is then readable by anyone who can read the workload; credentials come from a Secret.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            credentialNamePatterns: {
                type: "array",
                items: { type: "string" },
                default: ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL"],
                description: "Case-insensitive substrings of env var names that hold credentials.",
            },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const patterns = args.getConfig<Config>().credentialNamePatterns.map((p) => p.toUpperCase());
        for (const ref of containersOf(workload)) {
            for (const value of asArray(ref.container.env)) {
                const env = asRecord(value) ?? {};
                const name = asString(env.name) ?? "";
                // A Pulumi secret in `value` is still plaintext in the object the cluster stores.
                const literal = env.value !== undefined && env.value !== "";
                if (literal && patterns.some((p) => name.toUpperCase().includes(p))) {
                    report(
                        `${describe(ref)} sets ${name} to a literal value; move it into a Secret and use ` +
                            `env[].valueFrom.secretKeyRef (or envFrom.secretRef).`,
                    );
                }
            }
        }
    }),
};
