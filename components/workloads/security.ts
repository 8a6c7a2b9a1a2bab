// The restricted Pod Security profile every AIOps workload runs under, written once: a non-root numeric
// user, the runtime's default seccomp profile, no privilege escalation, no capabilities, a read-only root.
import type * as k8s from "@pulumi/kubernetes";

/** Pod-level: non-root `uid`/`uid`, RuntimeDefault seccomp; `fsGroup` when the pod mounts volumes it writes. */
export function restrictedPodSecurity(uid = 65532, opts: { fsGroup?: boolean } = {}): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        ...(opts.fsGroup ? { fsGroup: uid } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level: no privilege escalation, read-only root filesystem, non-root, every capability dropped. */
export function restrictedContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } };
}
