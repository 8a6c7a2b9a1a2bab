import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asRecord } from "../lib/values";

export const k8sWorkloadDisallowsPrivilegedContainers: ResourceValidationPolicy = {
    name: "k8s-workload-disallows-privileged-containers",
    description: "No container runs privileged, because a privileged container has every capability and the host's devices.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, _args, report) => {
        for (const ref of containersOf(workload)) {
            if (asRecord(ref.container.securityContext)?.privileged === true) {
                report(`${describe(ref)} is privileged; remove securityContext.privileged or set it to false.`);
            }
        }
    }),
};
