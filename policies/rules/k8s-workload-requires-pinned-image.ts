import { ResourceValidationPolicy } from "@pulumi/policy";
import { unpinnedReason } from "../lib/image";
import { containersOf, describe, validateWorkload } from "../lib/k8s";
import { asString } from "../lib/values";

export const k8sWorkloadRequiresPinnedImage: ResourceValidationPolicy = {
    name: "k8s-workload-requires-pinned-image",
    description:
        "Every container image is pinned to an explicit tag other than latest, or to a digest, so a redeploy runs the code that was reviewed.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, _args, report) => {
        for (const ref of containersOf(workload)) {
            const reason = unpinnedReason(asString(ref.container.image));
            if (reason !== undefined) {
                report(`${describe(ref)} ${reason}; pin the image to a version tag or an @sha256 digest.`);
            }
        }
    }),
};
