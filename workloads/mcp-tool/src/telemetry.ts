import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { Dependency, DependencyErrorKind } from "./errors";

export type Outcome = "success" | "tool_error" | "dependency_error" | "internal_error";

/** The server's own Prometheus metrics, on a private registry so tests can create several servers. */
export class Telemetry {
    readonly registry = new Registry();
    readonly toolCalls = new Counter({
        name: "mcp_tool_calls_total",
        help: "MCP tool calls by tool and outcome.",
        labelNames: ["tool", "outcome"] as const,
        registers: [this.registry],
    });
    readonly toolDuration = new Histogram({
        name: "mcp_tool_call_duration_seconds",
        help: "MCP tool call latency, including Prometheus and detector round trips.",
        labelNames: ["tool"] as const,
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [this.registry],
    });
    readonly dependencyErrors = new Counter({
        name: "mcp_dependency_errors_total",
        help: "Failed calls to Prometheus or the detector, by dependency and kind (unreachable, timeout, http, bad_response).",
        labelNames: ["dependency", "kind"] as const,
        registers: [this.registry],
    });

    constructor(defaultMetrics = true) {
        if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    }

    recordDependencyError(dependency: Dependency, kind: DependencyErrorKind): void {
        this.dependencyErrors.inc({ dependency, kind });
    }
}
