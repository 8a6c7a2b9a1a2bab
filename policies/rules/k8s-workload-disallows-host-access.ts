import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateWorkload } from "../lib/k8s";
import { asArray, asRecord, asString } from "../lib/values";

export interface Config {
    /** hostPath paths a workload may still mount (exact match), e.g. for a node agent. */
    readonly allowedHostPaths: string[];
}

export const k8sWorkloadDisallowsHostAccess: ResourceValidationPolicy = {
    name: "k8s-workload-disallows-host-access",
    description:
        "No workload shares the node's network, PID or IPC namespace or mounts a hostPath volume, because each of these lets a container reach the node and its neighbours.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedHostPaths: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "hostPath paths that may be mounted (exact match).",
            },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const allowed = new Set(args.getConfig<Config>().allowedHostPaths);
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            if (workload.podSpec[field] === true) {
                report(`${workload.podSpecPath}.${field} is true; remove it so the pod keeps its own namespace.`);
            }
        }
        asArray(workload.podSpec.volumes).forEach((value, index) => {
            const volume = asRecord(value) ?? {};
            const hostPath = asRecord(volume.hostPath);
            const path = asString(hostPath?.path);
            if (hostPath !== undefined && (path === undefined || !allowed.has(path))) {
                report(
                    `volume '${asString(volume.name) ?? index}' (${workload.podSpecPath}.volumes[${index}]) mounts hostPath ` +
                        `${path ?? "(no path)"}; use a PersistentVolumeClaim, emptyDir or ConfigMap instead, ` +
                        `or list the path in this policy's allowedHostPaths.`,
                );
            }
        });
    }),
};
