import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { object as miniObject } from "zod/v4-mini";
import { analyse, AnalysisDeps, seriesPointOut } from "./analysis";
import { DependencyError, ToolError } from "./errors";
import { describeInstance, listInstances } from "./instances";
import { Limiter, PointBudget } from "./limits";
import { Logger } from "./log";
import { METRIC_NAMES, METRICS } from "@aiops/contract";
import { Outcome, Telemetry } from "./telemetry";
import { MAX_HOURS } from "./window";

export interface ToolContext extends AnalysisDeps {
    readonly telemetry: Telemetry;
    readonly logger: Logger;
    /** Bounds tool calls running at once across requests (limits.ts); none when absent. */
    readonly limiter?: Limiter;
    /** Points this POST may still return (limits.ts); none when absent. */
    readonly budget?: PointBudget;
}

const metricList = METRIC_NAMES.map((m) => `${m} = ${METRICS[m].description}`).join("; ");

const instanceArg = z
    .string()
    .max(255)
    .describe(
        "node-exporter instance: an IP or host name, with or without port (10.0.1.10 or 10.0.1.10:9100). Use list_instances to find them.",
    );
const hoursArg = (name: string) =>
    z
        .number({ error: `${name} must be a number of hours, e.g. 1 for the last hour` })
        .positive({ error: `${name} must be greater than 0, e.g. 1 for the last hour` })
        .max(MAX_HOURS, { error: `${name} must be at most ${MAX_HOURS} (7 days)` })
        .describe(`how many hours back from now to analyse (greater than 0, at most ${MAX_HOURS}; fractions allowed, e.g. 0.5)`);
const metricArg = z
    .enum(METRIC_NAMES, { error: `metric must be one of ${METRIC_NAMES.join(", ")}` })
    .default("cpu")
    .describe(`which node metric to analyse (default cpu): ${metricList}`);

const pointShape = { timestamp: z.string(), value: z.number(), score: z.number() };
const analysisShape = {
    instance: z.string().describe("the instance label that was analysed"),
    metric: z.enum(METRIC_NAMES),
    model: z.string().describe("detector model used"),
    window: z.object({ start: z.string(), end: z.string(), step: z.number().describe("seconds between points"), hours: z.number() }),
    points: z.number().describe("points analysed"),
    anomalyCount: z.number(),
    anomalyPercent: z.number(),
    anomalies: z.array(z.object(pointShape)).describe("anomalous points, oldest first; lower score = more anomalous"),
    periods: z
        .array(
            z.object({
                start: z.string(),
                end: z.string(),
                count: z.number().describe("anomalous points in the period"),
                peak: z.object(pointShape).describe("the most anomalous point (lowest score)"),
                min: z.number().describe("lowest value among the period's anomalous points"),
                max: z.number().describe("highest value among the period's anomalous points"),
            }),
        )
        .describe("anomalies merged into contiguous periods (gaps of up to 2 steps)"),
};
const seriesShape = {
    ...analysisShape,
    series: z
        .array(z.object({ ...pointShape, label: z.number().describe("-1 = anomaly, 1 = normal") }))
        .describe("every point of the window with its detector score and label"),
};
const instancesShape = {
    count: z.number(),
    instances: z.array(
        z.object({
            instance: z.string(),
            nodename: z.string().optional(),
            machine: z.string().optional(),
            arch: z.string().optional(),
            job: z.string().optional(),
            up: z.boolean().optional(),
        }),
    ),
};

/**
 * The tools' input and output schemas as objects, built once: given raw shapes, the SDK wraps each in a new
 * zod/v4-mini object on every registerTool, and this server registers the tools on a new McpServer per request.
 * The wrapping is the SDK's own (objectFromShape), so tools/list and validation are unchanged.
 */
const predictInput = miniObject({ instance_ip: instanceArg.optional(), hours: hoursArg("hours"), metric: metricArg });
const queryInput = miniObject({ instance_ip: instanceArg, time_range_hours: hoursArg("time_range_hours"), metric: metricArg });
const noInput = miniObject({});
const analysisOutput = miniObject(analysisShape);
const seriesOutput = miniObject(seriesShape);
const instancesOutput = miniObject(instancesShape);

/** Registers predict_anomalies, query_prometheus_and_predict and list_instances (the seed's tool names). */
export function registerTools(server: McpServer, ctx: ToolContext): void {
    server.registerTool(
        "predict_anomalies",
        {
            title: "Predict anomalies in a node metric",
            description:
                "Detect anomalies in one node metric of one Kubernetes node over the last N hours. Queries Prometheus " +
                "(node-exporter data), scores every point with the Isolation Forest detector and returns how many points " +
                "are anomalous, their percentage and the contiguous anomalous periods with their peak. Use it to answer " +
                "'are there anomalies in CPU/memory/disk/network on node X?'. Call list_instances first if you do not know the instance.",
            inputSchema: predictInput,
            outputSchema: analysisOutput,
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        (args) =>
            run(ctx, "predict_anomalies", async () => {
                const a = await analyse(ctx, { instance: args.instance_ip, hours: args.hours, metric: args.metric });
                ctx.budget?.charge(a.result.anomalies.length);
                return { text: a.summary, structured: { ...a.result } };
            }),
    );

    server.registerTool(
        "query_prometheus_and_predict",
        {
            title: "Query a node metric and score every point",
            description:
                "Same analysis as predict_anomalies, but also returns the full per-point series (timestamp, value, " +
                "detector score, label) so you can reason over the raw data, e.g. compare values before and after an " +
                "anomalous period. Prefer predict_anomalies for a quick answer; windows over a few hours return thousands of points.",
            inputSchema: queryInput,
            outputSchema: seriesOutput,
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        (args) =>
            run(ctx, "query_prometheus_and_predict", async () => {
                const a = await analyse(ctx, { instance: args.instance_ip, hours: args.time_range_hours, metric: args.metric });
                ctx.budget?.charge(a.series.length + a.result.anomalies.length);
                const series = a.series.map(seriesPointOut);
                return {
                    text: `${a.summary} The structured result includes all ${series.length} scored points.`,
                    structured: { ...a.result, series },
                };
            }),
    );

    server.registerTool(
        "list_instances",
        {
            title: "List monitored nodes",
            description:
                "List the node-exporter instances Prometheus has seen in the last hour, with node name, CPU architecture " +
                "and scrape health where known. Use it to find the instance_ip for the other tools ('which nodes can I check?').",
            inputSchema: noInput,
            outputSchema: instancesOutput,
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        () =>
            run(ctx, "list_instances", async () => {
                const instances = await listInstances(ctx.prometheus, Math.floor(ctx.now() / 1000));
                const text =
                    instances.length === 0
                        ? `Prometheus at ${ctx.prometheus.baseUrl} has no node-exporter instances in the last hour (no node_uname_info or up{job=~".*node.*"} series).`
                        : `${instances.length} node-exporter ${instances.length === 1 ? "instance" : "instances"}: ${instances.map(describeInstance).join(", ")}.`;
                return { text, structured: { count: instances.length, instances } };
            }),
    );
}

/** Times a tool call, counts its outcome and turns known failures into `isError` results the agent can act on. */
async function run(
    ctx: ToolContext,
    tool: string,
    fn: () => Promise<{ text: string; structured: Record<string, unknown> }>,
): Promise<CallToolResult> {
    const stop = ctx.telemetry.toolDuration.startTimer({ tool });
    let outcome: Outcome = "success";
    let release: (() => void) | undefined;
    try {
        release = await ctx.limiter?.acquire();
        const { text, structured } = await fn();
        return { content: [{ type: "text", text }], structuredContent: structured };
    } catch (err) {
        let message: string;
        if (err instanceof ToolError) {
            outcome = "tool_error";
            message = err.message;
        } else if (err instanceof DependencyError) {
            outcome = "dependency_error";
            ctx.telemetry.recordDependencyError(err.dependency, err.kind);
            const setting = err.dependency === "prometheus" ? "PROMETHEUS_URL" : "INFERENCE_SERVICE_URL";
            // Network trouble may pass; a 4xx/5xx or a malformed answer needs an operator, so no "retry" advice.
            message =
                err.kind === "unreachable" || err.kind === "timeout"
                    ? `${err.message}. Retry later or check the ${setting} setting.`
                    : `${err.message}.`;
        } else {
            outcome = "internal_error";
            message = `internal error in ${tool}: ${err instanceof Error ? err.message : String(err)}`;
        }
        ctx.logger.log(outcome === "internal_error" ? "error" : "warn", "tool call failed", { tool, outcome, error: message });
        return { isError: true, content: [{ type: "text", text: message }] };
    } finally {
        release?.();
        const seconds = stop();
        ctx.telemetry.toolCalls.inc({ tool, outcome });
        ctx.logger.log("info", "tool call", { tool, outcome, ms: Math.round(seconds * 1000) });
    }
}
