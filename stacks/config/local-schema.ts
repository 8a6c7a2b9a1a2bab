// The `local` block: a k3d cluster on the user's own Docker. Its own file so the shared schema stays
// small; the quantity rules repeat schema.ts's on purpose (importing them back would be a cycle).
import { z } from "zod";

/** The oldest k3d the local stack is tested with: `--port ...@loadbalancer` and `host.k3d.internal` work from here on. */
export const LOCAL_K3D_MIN_VERSION = "v5.7.0";
/** Node image of the local cluster; the same k3s minor as the hybrid edge. */
export const LOCAL_K3S_IMAGE = "rancher/k3s:v1.35.2-k3s1";
/** The Pulumi CLI this program is tested with (package.json pins the SDK at ^3.270, which works with this CLI and newer). */
export const LOCAL_PULUMI_MIN_VERSION = "v3.265.0";

const cpu = z.union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?m?$/, { error: 'must be a CPU quantity such as 4, "3.5" or "500m"' }),
]);
const memory = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, { error: 'must be a memory quantity such as "16Gi" or "512Mi"' });
const capacity = z.strictObject({ cpu, memory });
const port = z.number().int().min(1024).max(65535);
const version = z.string().regex(/^v\d+\.\d+\.\d+$/, { error: "must be a version such as v5.7.0" });

export const localSchema = z.strictObject({
    /** Oldest k3d the preflight accepts (default v5.7.0); older ones are refused with the install command. */
    k3dMinVersion: version.default(LOCAL_K3D_MIN_VERSION),
    /** Oldest Pulumi CLI the preflight accepts (default v3.265.0). */
    pulumiMinVersion: version.default(LOCAL_PULUMI_MIN_VERSION),
    /** Pinned k3s node image (default rancher/k3s:v1.35.2-k3s1). */
    k3sImage: z
        .string()
        .regex(/^rancher\/k3s:v\d+\.\d+\.\d+-k3s\d+$/, { error: "must be a pinned rancher/k3s image such as rancher/k3s:v1.35.2-k3s1" })
        .default(LOCAL_K3S_IMAGE),
    /** Agent containers next to the one server (default 1). */
    agents: z.number().int().min(0).max(3).default(1),
    /** Host port of the Kubernetes API on 127.0.0.1 (default 6550). */
    apiPort: port.default(6550),
    /** Host port k3d's load balancer maps to Traefik: UIs are http://<name>.localhost:<httpPort> (default 8080). */
    httpPort: port.default(8080),
    /** This machine's CPUs and memory as Docker sees them (default a 16 GiB, 8-thread laptop). */
    machine: capacity.default({ cpu: 8, memory: "16Gi" }),
    /** What the OS, Docker and your browser keep for themselves; the cluster gets the rest (default 1 CPU, 4Gi). */
    hostReserve: capacity.default({ cpu: 1, memory: "4Gi" }),
    /** Build the detector and MCP tool images from this checkout and import them into k3d (default false: pull). */
    buildImages: z.boolean().default(false),
    /** Install Kubeflow Pipelines (default false: about 2 GiB more; training runs as a CronJob either way). */
    kubeflowPipelines: z.boolean().default(false),
});

export type LocalConfig = z.output<typeof localSchema>;
