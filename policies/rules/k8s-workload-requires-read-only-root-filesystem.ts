import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asRecord } from "../lib/values";

export const k8sWorkloadRequiresReadOnlyRootFilesystem: ResourceValidationPolicy = {
    name: "k8s-workload-requires-read-only-root-filesystem",
    description:
        "Every container mounts its root filesystem read-only, so an attacker cannot drop tools into the image; writable paths are explicit emptyDir or PVC mounts.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, _args, report) => {
        for (const ref of containersOf(workload)) {
            if (asRecord(ref.container.securityContext)?.readOnlyRootFilesystem !== true) {
                report(
                    `${describe(ref)} has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true ` +
                        `and mount an emptyDir where it must write.`,
                );
            }
        }
    }),
};
