import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asRecord } from "../lib/values";

export const k8sWorkloadDisallowsPrivilegeEscalation: ResourceValidationPolicy = {
    name: "k8s-workload-disallows-privilege-escalation",
    description:
        "Every container sets securityContext.allowPrivilegeEscalation: false, so setuid binaries cannot gain more privileges than the process started with.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, _args, report) => {
        for (const ref of containersOf(workload)) {
            // The kernel default is to allow escalation, so only an explicit false passes.
            if (asRecord(ref.container.securityContext)?.allowPrivilegeEscalation !== false) {
                report(`${describe(ref)} allows privilege escalation; set securityContext.allowPrivilegeEscalation: false.`);
            }
        }
    }),
};
