// kagent wiring: a RemoteMCPServer for the MCP tool and a Declarative Agent that uses its tools.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { handDown } from "../delivery";

export const AGENT_NAME = "aiops-sre-agent";
export const MCP_SERVER_NAME = "aiops-mcp";
/** The tools workloads/mcp-tool registers. */
export const MCP_TOOL_NAMES = ["predict_anomalies", "query_prometheus_and_predict", "list_instances"] as const;

export const SRE_SYSTEM_MESSAGE = `You are the on-call SRE assistant for an AIOps platform on Kubernetes.
Your job is to find out whether a node or service is behaving abnormally and to say so plainly.

How to work:
- Start with list_instances to learn which instances Prometheus scrapes; never guess an instance name.
- Use query_prometheus_and_predict (or predict_anomalies for a known instance) to score recent CPU,
  memory and network behaviour with the anomaly detector. Use windows of 1 to 24 hours.
- Report what you found: the instance, the time range, how many points were anomalous and when,
  and the metric values around those points. Quote numbers from the tool output; do not invent data.
- If a tool fails (Prometheus or the detector unreachable), say which dependency failed and stop;
  do not retry in a loop.
- You can only read. Suggest next steps (e.g. check a pod's logs, scale a deployment), but never
  claim to have changed anything.
Keep answers short: a one-line verdict first, then the evidence.`;

export interface AgentObjectsArgs {
    /** kagent's namespace (the ModelConfig must be in the Agent's). */
    readonly namespace: string;
    /** ModelConfig in the same namespace (Kagent.modelConfigName). */
    readonly modelConfig: string;
    /** The MCP tool's Streamable HTTP endpoint (McpTool.url). */
    readonly mcpUrl: string;
}

/** RemoteMCPServer and Agent (kagent.dev/v1alpha2). Pure, validated against the kagent 0.9.12 CRDs in tests. */
export function agentObjects(args: AgentObjectsArgs): { remoteMcpServer: Record<string, unknown>; agent: Record<string, unknown> } {
    const labels = { "app.kubernetes.io/part-of": "aiops-mlops-platform" };
    return {
        remoteMcpServer: {
            apiVersion: "kagent.dev/v1alpha2",
            kind: "RemoteMCPServer",
            metadata: { name: MCP_SERVER_NAME, namespace: args.namespace, labels },
            spec: {
                description:
                    "AIOps anomaly-detection tools: list scraped instances, query Prometheus and score the series with the KServe detector.",
                url: args.mcpUrl,
                protocol: "STREAMABLE_HTTP",
                timeout: "30s",
                terminateOnClose: true,
            },
        },
        agent: {
            apiVersion: "kagent.dev/v1alpha2",
            kind: "Agent",
            metadata: { name: AGENT_NAME, namespace: args.namespace, labels },
            spec: {
                type: "Declarative",
                description: "Investigates node and service metrics with the anomaly detector and explains what it finds.",
                declarative: {
                    modelConfig: args.modelConfig,
                    systemMessage: SRE_SYSTEM_MESSAGE,
                    tools: [
                        {
                            type: "McpServer",
                            mcpServer: {
                                apiGroup: "kagent.dev",
                                kind: "RemoteMCPServer",
                                name: MCP_SERVER_NAME,
                                toolNames: [...MCP_TOOL_NAMES],
                            },
                        },
                    ],
                },
            },
        },
    };
}

export interface AiopsAgentArgs {
    /** kagent's namespace (Kagent.namespace): the Agent's ModelConfig must live in the Agent's namespace. */
    readonly namespace: string;
    /** Kagent.modelConfigName. */
    readonly modelConfig: string;
    /** McpTool.url. */
    readonly mcpUrl: string;
}

/** Place it with the platform cluster's provider; pass kagent's CRD release in opts.dependsOn. */
export class AiopsAgent extends pulumi.ComponentResource {
    readonly agentName = AGENT_NAME;

    constructor(name: string, args: AiopsAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:AiopsAgent", name, {}, opts);
        const objects = agentObjects(args);
        const server = new k8s.apiextensions.CustomResource(
            `${name}-mcp-server`,
            objects.remoteMcpServer as k8s.apiextensions.CustomResourceArgs,
            { parent: this, dependsOn: handDown(opts?.dependsOn) },
        );
        new k8s.apiextensions.CustomResource(name, objects.agent as k8s.apiextensions.CustomResourceArgs, {
            parent: this,
            dependsOn: handDown(opts?.dependsOn, [server]),
        });
        this.registerOutputs({});
    }
}
