// Where a service goes: one cluster, its provider options and its Argo CD target; and the site each
// environment module (stacks/<env>.ts) resolves for the shared wiring. Shared by stacks/platform.ts and
// stacks/data-platform.ts (its own file, so neither imports the other).
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformSettings, StackSecrets } from "./config";
import type { ClusterContract } from "../components/cluster/contract";
import type { ArgoTarget } from "../components/delivery";
import type { Footprint } from "../components/platform/footprint";

/** What a service component needs to be placed on one cluster. */
export interface ClusterPlacement {
    readonly cluster: ClusterContract;
    /** Provider of that cluster, and a wait for its readiness on every Kubernetes object. */
    readonly opts: pulumi.ComponentResourceOptions;
    /** Application target for that cluster when delivery is argocd. */
    readonly argocd?: ArgoTarget;
}

/**
 * Everything environment-specific the shared wiring needs, resolved by stacks/<env>.ts: below that file
 * nothing branches on the environment.
 */
export interface PlatformSite {
    /** The cluster the platform runs on (hybrid: the GCP control cluster, where Argo CD manages both). */
    readonly cluster: ClusterContract;
    /** A separate cluster for model serving (hybrid: the k3d edge); KServe and the detector go there. */
    readonly servingCluster?: ClusterContract;
    /** How the platform cluster reaches the serving cluster's predictor, when that is not a Service (hybrid: Tailscale). */
    readonly servingTailnet?: { readonly address: string; readonly nodePort: number };
    /**
     * The platform cluster's name on the tailnet, where the serving cluster reaches it (hybrid: the control
     * VM's `tailnetHostname`); set, the serving cluster's Prometheus agent remote-writes there.
     */
    readonly platformTailnetHost?: string;
    /** Node selector for stateful pods (homelab: the `statefulNode`, which the k3s component labels). */
    readonly statefulNodeSelector?: Record<string, string>;
    /** Cloud object stores: their name prefix and the cloud's own arguments (only the environment's cloud is set). */
    readonly objectStore: {
        readonly namePrefix: string;
        readonly s3?: { readonly region: string; readonly tags: Record<string, string> };
        readonly gcs?: { readonly project: string; readonly location: string };
    };
    /** The EKS cluster's IAM OIDC provider ARN; objectStore s3 needs it (IRSA). */
    readonly oidcProviderArn?: pulumi.Input<string>;
    /** `false` leaves Kubeflow Pipelines out (local, by default); training then runs as a CronJob. Default on. */
    readonly kubeflowPipelines?: boolean;
    /** An Ingress for MLflow's UI (local: Traefik on `mlflow.localhost`); none elsewhere. */
    readonly mlflowIngress?: { readonly className: string; readonly host: string };
    /** The platform deploys without an LLM key; the agent answers once `llmApiKey` is set (local). */
    readonly llmApiKeyOptional?: boolean;
}

/** The part of the stack config the shared wiring reads: the platform settings and the LLM key, nothing per environment. */
export interface PlatformConfig {
    readonly platform: PlatformSettings;
    readonly secrets: Pick<StackSecrets, "llmApiKey" | "alertReportWebhookUrl">;
}

/** What the shared wiring takes from an environment module (stacks/platform.ts deployPlatform). */
export interface PlatformArgs {
    /** Platform settings only: whatever differs by environment comes resolved in `site`. */
    readonly config: PlatformConfig;
    readonly site: PlatformSite;
}

/** Which of the stack's clusters a service runs on (the same one unless the site has a serving cluster). */
export type PlanCluster = "platform" | "serving";

/**
 * One service's plan, computed once (stacks/platform.ts planServices), and the cluster it runs on; services without chart
 * values (the workloads) plan only a footprint.
 */
export interface PlannedService {
    readonly name: string;
    readonly cluster: PlanCluster;
    readonly plan: { readonly values?: Record<string, unknown>; readonly footprint: readonly Footprint[] };
}
