import { DetectorClient } from "./detector";
import { ModelInfoCache, queryRangeChunked, scoreWindow, withHistory } from "./history";
import { ToolError } from "./errors";
import { describeInstance, InstanceInfo, listInstances } from "./instances";
import { buildQuery, isMetricName, isValidInstance, METRIC_NAMES, MetricName } from "@aiops/contract";
import { mergePeriods, Period, ScoredPoint } from "./periods";
import { PrometheusClient } from "./prometheus";
import { isoSeconds, summarize } from "./summary";
import { MAX_HOURS, QueryWindow, windowEndingAt } from "./window";

export interface AnalysisDeps {
    readonly prometheus: PrometheusClient;
    readonly detector: DetectorClient;
    readonly models: Readonly<Record<MetricName, string>>;
    readonly defaultInstance: string | undefined;
    /** Milliseconds since the epoch; injectable so tests can analyse backfilled data. */
    readonly now: () => number;
    /**
     * The served models' lookback (and "no model trained yet"): history before the window is fetched and
     * scored so the first points see fully formed features. Without it, the window is scored alone.
     */
    readonly modelInfo?: Pick<ModelInfoCache, "get">;
}

export interface AnalysisRequest {
    readonly instance?: string;
    readonly hours: number;
    readonly metric?: string;
}

export interface PointOut {
    readonly timestamp: string;
    readonly value: number;
    readonly score: number;
}

export interface PeriodOut {
    readonly start: string;
    readonly end: string;
    readonly count: number;
    readonly peak: PointOut;
    readonly min: number;
    readonly max: number;
}

/** structuredContent of predict_anomalies. */
export interface AnalysisResult {
    readonly instance: string;
    readonly metric: MetricName;
    readonly model: string;
    readonly window: { readonly start: string; readonly end: string; readonly step: number; readonly hours: number };
    readonly points: number;
    readonly anomalyCount: number;
    readonly anomalyPercent: number;
    readonly anomalies: PointOut[];
    readonly periods: PeriodOut[];
}

export interface Analysis {
    readonly result: AnalysisResult;
    readonly summary: string;
    readonly series: readonly ScoredPoint[];
}

/** Checks tool arguments that zod cannot (it already enforces types and ranges on the MCP path). */
export function validateRequest(
    req: AnalysisRequest,
    defaultInstance: string | undefined,
): { instance: string; hours: number; metric: MetricName } {
    const metric = req.metric ?? "cpu";
    if (!isMetricName(metric)) {
        throw new ToolError(`metric must be one of ${METRIC_NAMES.join(", ")}; got '${metric}'`);
    }
    if (!Number.isFinite(req.hours) || req.hours <= 0 || req.hours > MAX_HOURS) {
        throw new ToolError(`hours must be greater than 0 and at most ${MAX_HOURS} (7 days); got ${req.hours}`);
    }
    if (req.hours * 3600 < 60) throw new ToolError(`hours must cover at least one minute (0.017); got ${req.hours}`);
    const given = req.instance?.trim();
    const instance = given !== undefined && given !== "" ? given : defaultInstance;
    if (instance === undefined) {
        throw new ToolError("instance_ip is required because no DEFAULT_INSTANCE_IP is configured; call list_instances to see the nodes");
    }
    if (!isValidInstance(instance)) {
        throw new ToolError(`instance_ip must be a host or host:port such as 10.0.1.10:9100; got '${instance}'`);
    }
    return { instance, hours: req.hours, metric };
}

/** Queries Prometheus for one metric of one instance, scores it with the detector and summarises it. */
export async function analyse(deps: AnalysisDeps, req: AnalysisRequest): Promise<Analysis> {
    const { instance, hours, metric } = validateRequest(req, deps.defaultInstance);
    const window = windowEndingAt(deps.now(), hours);
    const model = deps.models[metric];
    // Throws NoModelError (a ToolError: "no model trained yet ...") before the trainer's first run.
    const lookback = deps.modelInfo === undefined ? 0 : (await deps.modelInfo.get(model)).lookbackPoints;
    const range = withHistory(window, lookback);
    const series = await queryRangeChunked(deps.prometheus, buildQuery(metric, instance), range.start, range.end, window.step);
    // Only series with points inside the asked window count; history alone is not "data for the window".
    const withData = series.filter((s) => s.points.some(([t]) => t >= window.start));

    if (withData.length === 0) {
        const known = await knownInstances(deps, window);
        throw new ToolError(`no samples for instance ${instance} (metric ${metric}) in the last ${hours} h; ${known}`);
    }
    if (withData.length > 1) {
        const names = withData.map((s) => s.labels.instance ?? "?").join(", ");
        throw new ToolError(`instance ${instance} matches several targets (${names}); pass one of them with its port`);
    }

    const only = withData[0];
    const resolved = only.labels.instance ?? instance;
    // History and window in one infer call; only the window's points are reported.
    const windowScore = await scoreWindow(deps.detector, model, only, window.start);
    if (windowScore === undefined) throw new ToolError(`no samples for instance ${instance} (metric ${metric}) in the last ${hours} h`);
    const { timestamps, values, prediction } = windowScore;
    const scored: ScoredPoint[] = timestamps.map((timestamp, i) => ({
        timestamp,
        value: values[i],
        score: prediction.scores[i],
        label: prediction.labels[i],
    }));
    const periods = mergePeriods(scored, window.step);
    const anomalies = scored.filter((p) => p.label === -1);
    const summary = summarize({ instance: resolved, metric, window, points: scored.length, anomalies: anomalies.length, periods });
    return {
        summary,
        series: scored,
        result: {
            instance: resolved,
            metric,
            model,
            window: { start: isoSeconds(window.start), end: isoSeconds(window.end), step: window.step, hours },
            points: scored.length,
            anomalyCount: anomalies.length,
            anomalyPercent: round((anomalies.length / scored.length) * 100, 2),
            anomalies: anomalies.map(pointOut),
            periods: periods.map(periodOut),
        },
    };
}

async function knownInstances(deps: AnalysisDeps, window: QueryWindow): Promise<string> {
    let known: InstanceInfo[];
    try {
        known = await listInstances(deps.prometheus, window.end);
    } catch {
        return "call list_instances to see the nodes Prometheus knows";
    }
    return known.length === 0
        ? "Prometheus knows no node-exporter instances in the last hour"
        : `known instances: ${known.map(describeInstance).join(", ")}`;
}

export function pointOut(p: ScoredPoint): PointOut {
    return { timestamp: isoSeconds(p.timestamp), value: round(p.value, 4), score: round(p.score, 5) };
}

/** A point of query_prometheus_and_predict's series: pointOut plus the label, built in one object. */
export function seriesPointOut(p: ScoredPoint): PointOut & { readonly label: number } {
    return { timestamp: isoSeconds(p.timestamp), value: round(p.value, 4), score: round(p.score, 5), label: p.label };
}

function periodOut(p: Period): PeriodOut {
    return {
        start: isoSeconds(p.start),
        end: isoSeconds(p.end),
        count: p.count,
        peak: pointOut(p.peak),
        min: round(p.min, 4),
        max: round(p.max, 4),
    };
}

function round(x: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}
