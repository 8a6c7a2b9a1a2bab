import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asRecord } from "../lib/values";

export const k8sWorkloadRequiresNonRoot: ResourceValidationPolicy = {
    name: "k8s-workload-requires-non-root",
    description:
        "Every container runs with runAsNonRoot: true (set on the pod or the container securityContext) and never as user 0, so a container escape does not start as root.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, _args, report) => {
        const pod = asRecord(workload.podSpec.securityContext) ?? {};
        for (const ref of containersOf(workload)) {
            const own = asRecord(ref.container.securityContext) ?? {};
            // A container's securityContext overrides the pod's, field by field.
            const runAsNonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
            const runAsUser = own.runAsUser ?? pod.runAsUser;
            if (runAsUser === 0) {
                report(`${describe(ref)} runs as user 0; set securityContext.runAsUser to a non-zero uid and runAsNonRoot: true.`);
            } else if (runAsNonRoot !== true) {
                report(`${describe(ref)} may run as root; set securityContext.runAsNonRoot: true on the pod or the container.`);
            }
        }
    }),
};
