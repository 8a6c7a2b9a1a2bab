import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asStrings, getPath } from "../lib/values";

export interface Config {
    /** Capabilities a container may add back after dropping ALL. */
    readonly allowedCapabilities: string[];
}

export const k8sWorkloadRequiresDroppedCapabilities: ResourceValidationPolicy = {
    name: "k8s-workload-requires-dropped-capabilities",
    description:
        "Every container drops ALL Linux capabilities and adds back only capabilities on the allowed list, so a compromised process holds no kernel privileges it does not need.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedCapabilities: {
                type: "array",
                items: { type: "string" },
                default: ["NET_BIND_SERVICE"],
                description: "Capabilities that securityContext.capabilities.add may contain.",
            },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const allowed = new Set(args.getConfig<Config>().allowedCapabilities.map(normalise));
        for (const ref of containersOf(workload)) {
            const capabilities = getPath(ref.container, "securityContext.capabilities");
            const dropped = asStrings(getPath(capabilities, "drop")).map(normalise);
            if (!dropped.includes("ALL")) {
                report(`${describe(ref)} does not drop all capabilities; set securityContext.capabilities.drop: ["ALL"].`);
            }
            const extra = asStrings(getPath(capabilities, "add")).filter((c) => !allowed.has(normalise(c)));
            if (extra.length > 0) {
                report(
                    `${describe(ref)} adds capabilities ${extra.join(", ")}; remove them from securityContext.capabilities.add ` +
                        `or add them to this policy's allowedCapabilities.`,
                );
            }
        }
    }),
};

// "CAP_NET_ADMIN" and "net_admin" name the same capability.
function normalise(capability: string): string {
    return capability.toUpperCase().replace(/^CAP_/, "");
}
