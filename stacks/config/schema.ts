// The whole stack configuration as one typed, validated shape. Every key a stack may set is declared
// here; `load.ts` reads them from Pulumi config and `validate.ts` turns zod's issues into one error.
import { z } from "zod";
import { isCidr, isIpAddress, isOpenToWorld } from "../../components/network/net";
import type { AwsNodeGroupConfig as EksNodeGroup } from "../../components/cluster/eks/node-groups";
import type { HomelabNodeConfig as K3sNode } from "../../components/cluster/k3s/k3s-cluster";
import { ARCHES, TAINT_EFFECTS } from "../../components/shared/node";
import type { Arch, Capacity as NodeCapacity, Taint as NodeTaint } from "../../components/shared/node";

export const ENVIRONMENTS = ["aws", "homelab", "hybrid", "local"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export { ARCHES };
export type { Arch };

/** Kubernetes quantities as users write them in stack files ("10Gi", "500m", 4). */
const cpuQuantity = z.union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?m?$/, { error: 'must be a CPU quantity such as 4, "3.5" or "500m"' }),
]);
const memoryQuantity = z
    .string()
    .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, { error: 'must be a memory quantity such as "10Gi" or "512Mi"' });

const dnsLabel = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: "must be a lowercase DNS label (letters, digits, '-'), e.g. \"worker-1\"" });
const labelMap = z.record(
    z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { error: "must be a Kubernetes label key" }),
    z.string().max(63),
);
const taint = z.strictObject({
    key: z.string().min(1),
    value: z.string().optional(),
    effect: z.enum(TAINT_EFFECTS),
});
const cidr = z.string().refine(isCidr, { error: "must be an IPv4 CIDR such as 203.0.113.0/24" });
/** A source range for an admin port: never the whole internet. */
const restrictedCidr = cidr.refine((v) => !isOpenToWorld(v), {
    error: "must not open the port to the whole internet: use your own egress range (e.g. 203.0.113.0/24), or [] to allow none",
});
const host = z.string().refine((v) => (/^[\d.]+$/.test(v) ? isIpAddress(v) : /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(v)), {
    error: "must be an IPv4 address or a DNS name",
});
const semverTag = (example: string) =>
    z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/, { error: `must be a pinned version such as ${example}` });

const k3sRelease = z.string().regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, { error: "must be a pinned k3s release such as v1.35.5+k3s1" });

/** Capacity a node offers to pods, used by the platform's fit check. */
const capacity = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });

// ---------------------------------------------------------------------------------------------- aws
const awsNodeGroup = z.strictObject({
    name: dnsLabel,
    instanceTypes: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "must be an EC2 instance type such as m7i.large" }))
        .min(1),
    arch: z.enum(ARCHES).default("amd64"),
    capacityType: z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND"),
    minSize: z.number().int().min(0),
    desiredSize: z.number().int().min(0),
    maxSize: z.number().int().min(1),
    diskSizeGiB: z.number().int().min(20).default(50),
    labels: labelMap.default({}),
    taints: z.array(taint).default([]),
    /** Per-node allocatable override; without it the cluster layer looks the instance type up in its table. */
    allocatable: capacity.optional(),
});

export const awsSchema = z.strictObject({
    /** Filled from `aws:region` by the loader, so the provider and the program agree. */
    region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as eu-west-1 (pulumi config set aws:region eu-west-1)" }),
    vpcCidr: cidr.default("10.0.0.0/16"),
    availabilityZones: z.number().int().min(2).max(6).default(3),
    natGateways: z.enum(["single", "perAz"]).default("single"),
    kubernetesVersion: z
        .string()
        .regex(/^1\.\d{2}$/, { error: 'must be an EKS minor version such as "1.33"' })
        .default("1.33"),
    /** CIDRs allowed to reach the public API endpoint; empty turns the public endpoint off. */
    publicAccessCidrs: z.array(restrictedCidr).default([]),
    /** VPC flow logs (accepted and rejected traffic) to CloudWatch Logs. */
    flowLogs: z.boolean().default(true),
    flowLogRetentionDays: z.number().int().min(1).max(3653).default(30),
    nodeGroups: z.array(awsNodeGroup).min(1),
    autoscaler: z.enum(["cluster-autoscaler", "karpenter"]).default("cluster-autoscaler"),
    /** IAM principals granted cluster access through EKS access entries. */
    accessEntries: z
        .array(
            z.strictObject({
                principalArn: z
                    .string()
                    .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, { error: "must be an IAM role or user ARN" }),
                access: z.enum(["admin", "view"]).default("admin"),
            }),
        )
        .default([]),
    tags: z.record(z.string(), z.string()).default({}),
});

// ---------------------------------------------------------------------------------------------- homelab
const homelabNode = z.strictObject({
    name: dnsLabel,
    address: host,
    sshUser: z.string().min(1).default("root"),
    sshPort: z.number().int().min(1).max(65535).default(22),
    arch: z.enum(ARCHES),
    role: z.enum(["server", "agent"]),
    labels: labelMap.default({}),
    taints: z.array(taint).default([]),
    /** What the node offers to pods (after the OS and k3s take their share). */
    allocatable: capacity,
});

export const homelabSchema = z.strictObject({
    k3sVersion: k3sRelease,
    /** Address users and Pulumi reach the API on; defaults to the server's address. */
    apiAddress: host.optional(),
    traefik: z.boolean().default(false),
    /** Taint the server NoSchedule so heavy work lands on agents. */
    taintServer: z.boolean().default(true),
    nodes: z.array(homelabNode).min(1),
    /** Node that stateful services (Prometheus, MinIO, MLflow's database) are pinned to. */
    statefulNode: dnsLabel.optional(),
});

// ---------------------------------------------------------------------------------------------- hybrid
const sshTarget = z.strictObject({
    address: host,
    sshUser: z.string().min(1).default("root"),
    sshPort: z.number().int().min(1).max(65535).default(22),
});

export const hybridSchema = z.strictObject({
    gcp: z.strictObject({
        project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {
            error: "must be a GCP project id such as my-project-123 (pulumi config set gcp:project ...)",
        }),
        region: z.string().regex(/^[a-z]+-[a-z]+\d$/, { error: "must be a GCP region such as europe-west4" }),
        zone: z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, { error: "must be a GCP zone such as europe-west4-a" }),
        machineType: z.string().min(1).default("e2-standard-2"),
        diskSizeGb: z.number().int().min(20).default(40),
        subnetCidr: cidr.default("10.10.0.0/24"),
        /** Source ranges allowed to SSH (through IAP use 35.235.240.0/20); empty allows none. */
        sshSourceRanges: z.array(restrictedCidr).default([]),
        /** Source ranges allowed to reach the Kubernetes API outside the tailnet; empty allows none. */
        apiSourceRanges: z.array(restrictedCidr).default([]),
        /** User Pulumi reads the kubeconfig as, over Tailscale SSH on the tailnet (the tailnet ACL must allow it). */
        sshUser: z.string().min(1).default("root"),
    }),
    k3sVersion: k3sRelease,
    /** MagicDNS name the control-plane VM takes on the tailnet. */
    tailnetHostname: dnsLabel.default("aiops-control"),
    controlPlaneAllocatable: capacity,
    edge: z.strictObject({
        /** "local" runs k3d where `pulumi up` runs; otherwise SSH to this host. */
        host: z.union([z.literal("local"), sshTarget]),
        k3dVersion: semverTag("v5.9.0"),
        k3sImage: z.string().regex(/^rancher\/k3s:v\d+\.\d+\.\d+-k3s\d+$/, {
            error: "must be a pinned rancher/k3s image such as rancher/k3s:v1.35.2-k3s1",
        }),
        /** The edge host's Tailscale address, added as a TLS SAN and used by Argo CD. */
        tailscaleAddress: z.string().refine(isIpAddress, { error: "must be the edge host's Tailscale IPv4 address (100.x.y.z)" }),
        apiPort: z.number().int().min(1024).max(65535).default(6550),
        agents: z.number().int().min(0).max(5).default(1),
        /** Architecture of the edge host (k3d's nodes are containers on it). */
        arch: z.enum(ARCHES).default("amd64"),
        allocatable: capacity,
    }),
});

// ---------------------------------------------------------------------------------------------- local
// The local block lives in its own file (stacks/config/local-schema.ts) to keep this one stable.
export { localSchema } from "./local-schema";
export type { LocalConfig } from "./local-schema";

// ---------------------------------------------------------------------------------------------- platform
export const platformSchema = z.strictObject({
    /** helm: Pulumi installs each chart; argocd: Pulumi installs Argo CD and Argo CD the rest. */
    delivery: z.enum(["helm", "argocd"]),
    /** lean trims replicas, requests and optional pieces to fit a homelab. */
    profile: z.enum(["standard", "lean"]),
    llmProvider: z.enum(["gemini", "openai", "anthropic", "ollama", "azureopenai"]).default("gemini"),
    /** Model name for the provider; empty takes the provider's default. */
    llmModel: z.string().default(""),
    /** Ollama's in-cluster URL, used when llmProvider is ollama. */
    ollamaHost: z.string().default("ollama.ollama.svc.cluster.local:11434"),
    /** Azure OpenAI resource endpoint, used when llmProvider is azureopenai. */
    azureOpenAIEndpoint: z
        .string()
        .refine((v) => v === "" || /^https:\/\/[^\s/]+\/?$/.test(v), {
            error: "must be empty or an https URL such as https://my-resource.openai.azure.com",
        })
        .default(""),
    otlpEndpoint: z
        .string()
        .refine((v) => v === "" || /^https?:\/\/[^\s]+$/.test(v), {
            error: "must be empty or an http(s) URL such as http://otel-collector.observability:4317",
        })
        .default(""),
    objectStore: z.enum(["minio", "seaweedfs", "s3", "gcs"]).default("minio"),
    prometheusRetention: z
        .string()
        .regex(/^\d+[smhdwy]$/, { error: "must be a Prometheus duration such as 10d" })
        .default("10d"),
    prometheusStorage: memoryQuantity.default("20Gi"),
    /**
     * Git repository Argo CD reads this project's own overlays (Kubeflow Pipelines) from, with delivery
     * argocd. No default: a fresh fork has none of this repository's tags, so by default Pulumi applies the
     * overlays from the checkout it runs in, and only a repository and revision the user names go to Argo CD.
     */
    gitopsRepoUrl: z
        .string()
        .regex(/^(https:\/\/|git@)[^\s]+$/, { error: "must be an https:// or git@ repository URL" })
        .optional(),
    /** A tag or commit of gitopsRepoUrl: a branch would let unreviewed commits reach the cluster. */
    gitopsRevision: z
        .string()
        .regex(/^(v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?|[0-9a-f]{40})$/, {
            error: "must be a release tag such as v0.1.0 or a full commit SHA, not a branch (tag your fork: git tag v0.1.0 && git push --tags)",
        })
        .optional(),
    /** Registry path the detector and MCP tool images are pulled from (images.yml pushes there). */
    imageRepository: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, { error: "must be a registry path such as ghcr.io/my-org" })
        .default("ghcr.io/aiops-mlops"),
    /**
     * Where the detector's scheduled training runs: kfp (a Kubeflow Pipelines recurring run, registered by
     * a Job), cronjob (a Kubernetes CronJob, same steps), auto (kfp on the standard profile, cronjob on lean).
     */
    trainingOrchestrator: z.enum(["auto", "kfp", "cronjob"]).default("auto"),
    /** When the scheduled training runs: cron, 5 fields (or KFP's 6, seconds first), UTC. */
    trainingSchedule: z
        .string()
        .regex(/^(\S+\s+){4,5}\S+$/, { error: "must be a cron expression of 5 fields (or 6 with seconds first), e.g. '0 2 * * *'" })
        .default("0 2 * * *"),
    /** Hours of history each scheduled training reads (stack files give strings). */
    trainingHours: z
        .preprocess((v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(1).max(2160))
        .default(168),
    /** History Prometheus must hold before the first (bootstrap) training. */
    trainingHistoryWait: z
        .string()
        .regex(/^(\d+h)?(\d+m)?$/, { error: "must be a duration such as 1h, 90m or 1h30m" })
        .default("1h"),
    /** Images with no arm64 build; the platform pins them to amd64 nodes. */
    amd64OnlyImages: z
        .array(z.string().min(1))
        .default([
            "gcr.io/tfx-oss-public/ml_metadata_store_server",
            "ghcr.io/kubeflow/kfp-metadata-writer",
            "ghcr.io/kubeflow/kfp-inverse-proxy-agent",
        ]),
});

export type AwsConfig = z.output<typeof awsSchema>;
export type AwsNodeGroupConfig = z.output<typeof awsNodeGroup>;
export type HomelabConfig = z.output<typeof homelabSchema>;
export type HomelabNodeConfig = z.output<typeof homelabNode>;
export type HybridConfig = z.output<typeof hybridSchema>;
export type PlatformSettings = z.output<typeof platformSchema>;
export type Taint = z.output<typeof taint>;
export type Capacity = z.output<typeof capacity>;

// The schema describes what the components take: each output type must equal the component's own type
// (both ways assignable, same keys), so a field added on one side and not the other fails the type-check.
type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
export const SCHEMA_MATCHES_COMPONENTS: [
    Same<Taint, NodeTaint>,
    Same<Capacity, NodeCapacity>,
    Same<AwsNodeGroupConfig, EksNodeGroup>,
    Same<HomelabNodeConfig, K3sNode>,
] = [true, true, true, true];
