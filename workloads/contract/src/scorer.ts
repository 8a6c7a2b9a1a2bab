// What the continuous scorer exports and where the loop's services listen: the alert rules and the Grafana
// dashboard (Pulumi components) and the scorer itself (workloads/mcp-tool) read these names from here.

/** Series the scorer serves on /metrics. */
export const SCORER_METRICS = {
    /** Gauge {instance, metric}: the latest point's anomaly score, 0..1. */
    score: "aiops_anomaly_score",
    /** Gauge {instance, metric}: 1 when the latest point is flagged anomalous, else 0. */
    anomalous: "aiops_anomalous",
    /** Gauge: unix time of the last scoring round that reached both dependencies. */
    lastSuccess: "aiops_scorer_last_success_timestamp_seconds",
    /** Counter {dependency}: failed calls to prometheus or the detector. */
    errors: "aiops_scorer_errors_total",
} as const;

/** Default ports of the loop's services (each also configurable through its PORT variable). */
export const DEFAULT_PORTS = {
    detector: 8080,
    mcpTool: 8080,
    scorer: 9102,
    analyst: 9103,
} as const;
