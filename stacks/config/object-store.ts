// Which object store each environment can provide: an environment fact, so it lives with the stack config,
// which enforces it before anything is declared (the store components know nothing of environments).
import type { ObjectStoreKind } from "../../components/platform/object-store/types";
import type { Environment } from "./schema";

/**
 * Which environments can provide each store: s3 needs EKS's OIDC provider, gcs the hybrid's GCP project.
 * In-cluster stores are not offered on hybrid: the detector runs on the edge cluster, which cannot
 * resolve or reach a Service of the control cluster, while storage.googleapis.com is reachable from both.
 */
export const OBJECT_STORE_ENVIRONMENTS: Record<ObjectStoreKind, readonly Environment[]> = {
    minio: ["aws", "homelab", "local"],
    seaweedfs: ["aws", "homelab", "local"],
    s3: ["aws"],
    gcs: ["hybrid"],
};

/**
 * The config rule for `objectStore`: undefined when the environment can provide the store, else a
 * message naming the fix. validate.ts calls this (pure, tested directly).
 */
export function objectStoreProblem(kind: ObjectStoreKind, environment: Environment): string | undefined {
    const allowed = OBJECT_STORE_ENVIRONMENTS[kind];
    if (allowed.includes(environment)) return undefined;
    const options = (Object.keys(OBJECT_STORE_ENVIRONMENTS) as ObjectStoreKind[]).filter((k) =>
        OBJECT_STORE_ENVIRONMENTS[k].includes(environment),
    );
    return `objectStore '${kind}' is only available on ${allowed.join(", ")}; environment ${environment} supports ${options.join(", ")}`;
}
