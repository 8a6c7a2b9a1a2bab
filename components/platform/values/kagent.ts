// kagent values: the model provider, the bundled agents kept, Postgres and tracing. Pure: tested directly.
import type { HelmSource } from "../../delivery/source";
import type { Footprint } from "../footprint";
import { Profile, Size, footprint, resources, size } from "../sizing";

/** kagent-dev/kagent tag v0.9.12 (2026-07-20); the charts are published without a leading "v". */
export const KAGENT_VERSION = "0.9.12";
export const KAGENT_CRDS_CHART: HelmSource = {
    kind: "helm",
    repo: "oci://ghcr.io/kagent-dev/kagent/helm",
    chart: "kagent-crds",
    version: KAGENT_VERSION,
};
export const KAGENT_CHART: HelmSource = {
    kind: "helm",
    repo: "oci://ghcr.io/kagent-dev/kagent/helm",
    chart: "kagent",
    version: KAGENT_VERSION,
};

/** The ModelConfig the chart renders from `providers.default` (helm/kagent/templates/_helpers.tpl). */
export const DEFAULT_MODEL_CONFIG = "default-model-config";
/** Secret Pulumi creates with the provider's API key; the chart only references it. */
export const LLM_API_KEY_SECRET = "kagent-llm-api-key";

export type LlmProvider = "gemini" | "openai" | "anthropic" | "ollama" | "azureopenai";

interface ProviderInfo {
    /** Key under `providers:` in the chart values. */
    readonly key: string;
    /** ModelConfig `spec.provider`. */
    readonly provider: string;
    readonly defaultModel: string;
    /** Key in the API key Secret; undefined for providers without a key (Ollama). */
    readonly apiKeyKey?: string;
}

export const LLM_PROVIDERS: Record<LlmProvider, ProviderInfo> = {
    gemini: { key: "gemini", provider: "Gemini", defaultModel: "gemini-2.5-flash", apiKeyKey: "GOOGLE_API_KEY" },
    openai: { key: "openAI", provider: "OpenAI", defaultModel: "gpt-4.1-mini", apiKeyKey: "OPENAI_API_KEY" },
    anthropic: { key: "anthropic", provider: "Anthropic", defaultModel: "claude-haiku-4-5", apiKeyKey: "ANTHROPIC_API_KEY" },
    ollama: { key: "ollama", provider: "Ollama", defaultModel: "llama3.2" },
    azureopenai: { key: "azureOpenAI", provider: "AzureOpenAI", defaultModel: "gpt-4.1-mini", apiKeyKey: "AZUREOPENAI_API_KEY" },
};

/** Every agent the 0.9.12 chart bundles; each enabled one is a Deployment. */
export const BUNDLED_AGENTS = [
    "k8s-agent",
    "kgateway-agent",
    "istio-agent",
    "promql-agent",
    "observability-agent",
    "argo-rollouts-agent",
    "helm-agent",
    "cilium-policy-agent",
    "cilium-manager-agent",
    "cilium-debug-agent",
] as const;
export type BundledAgent = (typeof BUNDLED_AGENTS)[number];

/**
 * Agents kept per profile. observability-agent needs grafana-mcp, whose image is only published as
 * `latest` (unpinnable), so it stays off; the platform's own AIOps agent (part of the workloads) does the rest.
 */
export const DEFAULT_AGENTS: Record<Profile, readonly BundledAgent[]> = {
    standard: ["k8s-agent", "promql-agent", "helm-agent"],
    lean: ["k8s-agent"],
};

export interface KagentSizes {
    readonly controller: Size;
    readonly ui: Size;
    readonly kmcp: Size;
    readonly tools: Size;
    readonly postgres: Size;
    readonly agent: Size;
    readonly postgresStorage: string;
}

export const KAGENT_SIZES: Record<Profile, KagentSizes> = {
    standard: {
        controller: size("100m", "192Mi", "2", "768Mi"),
        ui: size("100m", "256Mi", "1", "1Gi"),
        kmcp: size("10m", "64Mi", "500m", "128Mi"),
        tools: size("50m", "128Mi", "500m", "256Mi"),
        postgres: size("100m", "256Mi", "1", "512Mi"),
        agent: size("50m", "128Mi", "500m", "512Mi"),
        postgresStorage: "2Gi",
    },
    lean: {
        controller: size("50m", "128Mi", "1", "512Mi"),
        ui: size("50m", "192Mi", "500m", "512Mi"),
        kmcp: size("10m", "48Mi", "200m", "128Mi"),
        tools: size("20m", "96Mi", "200m", "256Mi"),
        postgres: size("50m", "128Mi", "500m", "384Mi"),
        agent: size("25m", "128Mi", "500m", "512Mi"),
        postgresStorage: "1Gi",
    },
};

export interface KagentValuesArgs {
    readonly profile: Profile;
    readonly provider: LlmProvider;
    /** Model name; empty or undefined takes the provider's default. */
    readonly model?: string;
    /** Ollama's host:port (provider ollama), or the Azure OpenAI endpoint (provider azureopenai). */
    readonly endpoint?: string;
    readonly storageClass: string;
    /** OTLP endpoint for traces; empty or undefined turns tracing off. */
    readonly otlpEndpoint?: string;
    /** Bundled agents to keep; defaults to DEFAULT_AGENTS[profile]. */
    readonly agents?: readonly BundledAgent[];
}

export function modelFor(provider: LlmProvider, model: string | undefined): string {
    return model !== undefined && model.trim() !== "" ? model.trim() : LLM_PROVIDERS[provider].defaultModel;
}

/** `providers:` values: the default provider points at the Pulumi-made Secret and never carries `apiKey`. */
export function providerValues(args: Pick<KagentValuesArgs, "provider" | "model" | "endpoint">): Record<string, unknown> {
    const info = LLM_PROVIDERS[args.provider];
    const model = modelFor(args.provider, args.model);
    const entry: Record<string, unknown> = { provider: info.provider, model };
    if (info.apiKeyKey) Object.assign(entry, { apiKeySecretRef: LLM_API_KEY_SECRET, apiKeySecretKey: info.apiKeyKey });
    if (args.provider === "ollama") {
        // The chart's default host (host.docker.internal) only exists on Docker Desktop and kind.
        entry.config = { host: args.endpoint ?? "ollama.ollama.svc.cluster.local:11434" };
    }
    if (args.provider === "azureopenai") {
        if (!args.endpoint)
            throw new Error(
                "llmProvider azureopenai needs the Azure OpenAI endpoint (https://<resource>.openai.azure.com); pass it as `endpoint`",
            );
        entry.config = { apiVersion: "2024-10-21", azureEndpoint: args.endpoint, azureDeployment: model };
    }
    return { default: info.key, [info.key]: entry };
}

export function kagentPlan(args: KagentValuesArgs): { values: Record<string, unknown>; footprint: Footprint[] } {
    const s = KAGENT_SIZES[args.profile];
    const keep = new Set<string>(args.agents ?? DEFAULT_AGENTS[args.profile]);
    for (const agent of keep) {
        if (!(BUNDLED_AGENTS as readonly string[]).includes(agent)) {
            throw new Error(`kagent agent '${agent}' is not bundled by chart ${KAGENT_VERSION}; choose from ${BUNDLED_AGENTS.join(", ")}`);
        }
    }
    if (keep.has("observability-agent"))
        throw new Error("observability-agent needs grafana-mcp, whose image has no pinned tag; leave it out");
    const agents = Object.fromEntries(
        BUNDLED_AGENTS.map((a) => [a, keep.has(a) ? { enabled: true, resources: resources(s.agent) } : { enabled: false }]),
    );
    const otlp = args.otlpEndpoint?.trim() ?? "";
    return {
        values: {
            providers: providerValues(args),
            controller: { resources: resources(s.controller) },
            ui: { resources: resources(s.ui) },
            kmcp: { enabled: true, resources: resources(s.kmcp) },
            "kagent-tools": { enabled: true, resources: resources(s.tools) },
            ...agents,
            // grafana-mcp's image is only published as `latest`; querydoc is a documentation search we do not need.
            "grafana-mcp": { enabled: false },
            querydoc: { enabled: false },
            database: {
                postgres: {
                    bundled: {
                        enabled: true,
                        storage: s.postgresStorage,
                        storageClassName: args.storageClass,
                        resources: resources(s.postgres),
                    },
                },
            },
            otel: {
                tracing:
                    otlp === ""
                        ? { enabled: false }
                        : {
                              enabled: true,
                              exporter: {
                                  otlp: {
                                      endpoint: otlp,
                                      protocol: /:4318(\/|$)/.test(otlp) ? "http" : "grpc",
                                      insecure: otlp.startsWith("http://"),
                                      timeout: 15000,
                                  },
                              },
                          },
            },
        },
        footprint: [
            footprint("kagent/controller", [s.controller]),
            footprint("kagent/ui", [s.ui]),
            footprint("kagent/kmcp-controller", [s.kmcp]),
            footprint("kagent/tools", [s.tools]),
            footprint("kagent/postgres", [s.postgres]),
            ...BUNDLED_AGENTS.filter((a) => keep.has(a)).map((a) => footprint(`kagent/${a}`, [s.agent])),
        ],
    };
}
