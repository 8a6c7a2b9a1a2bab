// kagent: the CRD chart, then the controller/UI chart, with the LLM provider's key in a Secret that
// Pulumi creates (never in chart values). The rest of the platform sees only this component.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceRelease } from "../delivery";
import type { Footprint, HasFootprint, ServicePlan } from "./footprint";
import { PLATFORM_NAMESPACES, platformNamespace } from "./namespace";
import { PlatformServiceArgs, requireTarget } from "./service";
import {
    DEFAULT_MODEL_CONFIG,
    KAGENT_CHART,
    KAGENT_CRDS_CHART,
    LLM_API_KEY_SECRET,
    LLM_PROVIDERS,
    LlmProvider,
    modelFor,
} from "./values/kagent";

export const KAGENT_NAMESPACE = "kagent";
/** What the LLM key Secret holds when a stack deploys without a key (local): not a credential, and rejected by every provider. */
export const MISSING_API_KEY_PLACEHOLDER = "no-key-set: pulumi config set --secret llmApiKey <key>";

export interface KagentArgs extends PlatformServiceArgs {
    readonly provider: LlmProvider;
    /** Model; empty or undefined takes the provider's default. */
    readonly model?: string;
    /** The provider's API key (a secret); required for every provider but Ollama. */
    readonly apiKey?: pulumi.Input<string>;
    /** Deploy without apiKey even when the provider needs one (default false): the agent fails its calls until the key is set. */
    readonly apiKeyOptional?: boolean;
    /**
     * kagentPlan({ profile, provider, model, endpoint, storageClass, otlpEndpoint, agents })
     * (components/platform/values/kagent.ts), computed once by the stack.
     */
    readonly plan: ServicePlan;
}

export class Kagent extends pulumi.ComponentResource implements HasFootprint {
    readonly namespace: string = KAGENT_NAMESPACE;
    /** ModelConfig (in `namespace`) that Agents reference as `spec.declarative.modelConfig`. */
    readonly modelConfigName = DEFAULT_MODEL_CONFIG;
    readonly model: string;
    readonly uiService = "kagent-ui";
    readonly footprint: readonly Footprint[];
    /** The kagent-crds chart, always installed by Pulumi; ModelConfigs, RemoteMCPServers and Agents depend on `crds.resource`. */
    readonly crds: ServiceRelease;
    readonly release: ServiceRelease;
    /** Every release this service declares (the AppProject allows the Argo CD ones). */
    readonly releases: readonly ServiceRelease[];

    constructor(name: string, args: KagentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:Kagent", name, {}, opts);
        requireTarget("Kagent", args);
        const info = LLM_PROVIDERS[args.provider];
        if (info.apiKeyKey && args.apiKey === undefined && !args.apiKeyOptional) {
            throw new Error(
                `Kagent: llmProvider ${args.provider} needs an API key; set it with: pulumi config set --secret llmApiKey <key>`,
            );
        }
        const { plan } = args;
        this.footprint = plan.footprint;
        this.model = modelFor(args.provider, args.model);

        // The alert analyst (aiops) asks the agent over A2A; the UI comes through Traefik (kube-system) on k3s and local.
        const ns = platformNamespace(
            `${name}-ns`,
            KAGENT_NAMESPACE,
            "baseline",
            { parent: this },
            { fromNamespaces: [PLATFORM_NAMESPACES.mcpTool, PLATFORM_NAMESPACES.kubeSystem] },
        );
        const waitFor: pulumi.Resource[] = [ns];
        // Without a key (apiKeyOptional) the Secret still exists, holding a placeholder the provider rejects: the
        // agent pods start (they read the Secret at start) and answer with the provider's auth error until the key is set.
        const apiKey = args.apiKey ?? (args.apiKeyOptional ? MISSING_API_KEY_PLACEHOLDER : undefined);
        if (info.apiKeyKey && apiKey !== undefined) {
            waitFor.push(
                new k8s.core.v1.Secret(
                    `${name}-llm-api-key`,
                    {
                        metadata: { name: LLM_API_KEY_SECRET, namespace: KAGENT_NAMESPACE },
                        type: "Opaque",
                        stringData: { [info.apiKeyKey]: pulumi.secret(apiKey) },
                    },
                    { parent: this, dependsOn: [ns] },
                ),
            );
        }
        // Always a Helm release, whatever the delivery: Pulumi declares RemoteMCPServers and Agents (the AIOps
        // agent) in the same `pulumi up`, so the CRDs must exist before it returns, not whenever Argo CD syncs.
        this.crds = new ServiceRelease(
            `${name}-crds`,
            { delivery: "helm", source: KAGENT_CRDS_CHART, namespace: KAGENT_NAMESPACE, releaseName: "kagent-crds", values: {} },
            { parent: this, dependsOn: [ns] },
        );
        this.release = new ServiceRelease(
            name,
            {
                delivery: args.delivery,
                source: KAGENT_CHART,
                namespace: KAGENT_NAMESPACE,
                releaseName: "kagent",
                values: plan.values,
                argocd: args.argocd,
            },
            { parent: this, dependsOn: [...waitFor, this.crds.resource] },
        );
        this.releases = [this.crds, this.release];
        this.registerOutputs({});
    }
}
