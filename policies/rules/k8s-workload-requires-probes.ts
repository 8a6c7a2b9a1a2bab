import { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, describe, validateWorkload } from "../lib/k8s";

export const k8sWorkloadRequiresProbes: ResourceValidationPolicy = {
    name: "k8s-workload-requires-probes",
    description:
        "Every container of a long-running workload (Deployment, StatefulSet, DaemonSet, restartable Pod) has a readiness probe and a liveness probe, so traffic waits for it and a hung process is restarted; Jobs and CronJobs are exempt.",
    enforcementLevel: "mandatory",
    validateResource: validateWorkload((workload, args, report) => {
        if (!workload.longRunning) {
            args.notApplicable(`A ${workload.kind} runs to completion and needs no probes.`);
        }
        for (const ref of containersOf(workload).filter((r) => !r.init)) {
            const missing = (["readinessProbe", "livenessProbe"] as const).filter((p) => ref.container[p] === undefined);
            if (missing.length > 0) {
                report(`${describe(ref)} has no ${missing.join(" or ")}; add both probes to every long-running container.`);
            }
        }
    }),
};
