import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { parseQuantity } from "../lib/quantity";
import { getPath } from "../lib/values";

export interface Config {
    readonly maxCpuCores: number;
    readonly maxMemoryGiB: number;
}

const GiB = 2 ** 30;

export const k8sWorkloadCapsResourceRequests: ResourceValidationPolicy = {
    name: "k8s-workload-caps-resource-requests",
    description:
        "No single container requests more cpu or memory than the configured ceiling, because an oversized request reserves a whole node's worth of capacity that the bill pays for even when idle.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            maxCpuCores: { type: "number", minimum: 0, default: 4, description: "Largest cpu request per container, in cores." },
            maxMemoryGiB: { type: "number", minimum: 0, default: 16, description: "Largest memory request per container, in GiB." },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const { maxCpuCores, maxMemoryGiB } = args.getConfig<Config>();
        for (const ref of containersOf(workload)) {
            const cpu = parseQuantity(getPath(ref.container, "resources.requests.cpu"));
            const memory = parseQuantity(getPath(ref.container, "resources.requests.memory"));
            if (cpu !== undefined && cpu > maxCpuCores) {
                report(
                    `${describe(ref)} requests ${cpu} cpu cores, above the ${maxCpuCores}-core ceiling; lower resources.requests.cpu or raise maxCpuCores.`,
                );
            }
            if (memory !== undefined && memory > maxMemoryGiB * GiB) {
                report(
                    `${describe(ref)} requests ${(memory / GiB).toFixed(1)} GiB of memory, above the ${maxMemoryGiB} GiB ceiling; ` +
                        `lower resources.requests.memory or raise maxMemoryGiB.`,
                );
            }
        }
    }),
};
