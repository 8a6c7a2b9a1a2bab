import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asRecord, getPath } from "../lib/values";

export interface Config {
    /** CPU limits throttle bursty services; a team that relies on requests alone can turn this off. */
    readonly requireCpuLimit: boolean;
}

export const k8sWorkloadRequiresResources: ResourceValidationPolicy = {
    name: "k8s-workload-requires-resources",
    description:
        "Every container and init container of a Kubernetes workload declares cpu and memory requests and limits, so the scheduler can place it and a leak cannot starve its neighbours.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireCpuLimit: { type: "boolean", default: true, description: "Also require resources.limits.cpu." },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const { requireCpuLimit } = args.getConfig<Config>();
        const required = ["requests.cpu", "requests.memory", "limits.memory", ...(requireCpuLimit ? ["limits.cpu"] : [])];
        for (const ref of containersOf(workload)) {
            const resources = asRecord(ref.container.resources);
            const missing = required.filter((path) => getPath(resources, path) === undefined);
            if (missing.length > 0) {
                report(
                    `${describe(ref)} has no ${missing.map((m) => `resources.${m}`).join(", ")}; ` +
                        `set cpu and memory requests and limits on every container.`,
                );
            }
        }
    }),
};
