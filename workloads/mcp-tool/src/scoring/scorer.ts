/**
 * The continuous scorer: every interval it discovers the node-exporter instances Prometheus scrapes, scores
 * each instance's recent window for each metric (with the model's lookback of history before it) through the
 * detector, and keeps the latest score and flag per {instance, metric} as Prometheus gauges.
 *
 * Failure model: every call is bounded by its client's timeout, every instance by a budget, and instances run
 * in a small pool, so one slow or failing instance never stalls the others. A failed call removes the
 * affected series (no stale flag keeps an alert firing), counts an error by dependency, and is logged; the
 * next round starts from scratch, so the scorer recovers by itself when the dependency does.
 */
import { METRIC_NAMES, MetricName, SCORER_METRICS, buildQuery } from "@aiops/contract";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { DetectorClient } from "../detector";
import { Dependency, DependencyError } from "../errors";
import { ModelInfo, ModelInfoCache, NoModelError, queryRangeChunked, scoreWindow, withHistory } from "../history";
import { InstanceInfo, listInstances } from "../instances";
import { Logger } from "../log";
import { PrometheusClient } from "../prometheus";

const DEPENDENCIES: readonly Dependency[] = ["prometheus", "detector"];

/** The scorer's series, on a private registry (several scorers in one test process). */
export class ScorerMetrics {
    readonly registry = new Registry();
    readonly score = new Gauge({
        name: SCORER_METRICS.score,
        help: "Anomaly score of the latest scored point, 0..1 (the isolation forest's 2^(-E(h)/c(n)); higher is more anomalous).",
        labelNames: ["instance", "metric"] as const,
        registers: [this.registry],
    });
    readonly anomalous = new Gauge({
        name: SCORER_METRICS.anomalous,
        help: "1 when the detector flags the latest scored point of the instance's metric as anomalous, else 0.",
        labelNames: ["instance", "metric"] as const,
        registers: [this.registry],
    });
    readonly lastSuccess = new Gauge({
        name: SCORER_METRICS.lastSuccess,
        help: "Unix time of the last scoring round in which every call to Prometheus and the detector succeeded.",
        registers: [this.registry],
    });
    readonly errors = new Counter({
        name: SCORER_METRICS.errors,
        help: "Failed calls to Prometheus or the detector (unreachable, timeout, HTTP error, bad answer, instance budget exceeded).",
        labelNames: ["dependency"] as const,
        registers: [this.registry],
    });
    readonly up = new Gauge({
        name: "aiops_scorer_dependency_up",
        help: "1 when every call to the dependency succeeded in the last round, else 0.",
        labelNames: ["dependency"] as const,
        registers: [this.registry],
    });
    readonly modelAvailable = new Gauge({
        name: "aiops_scorer_model_available",
        help: "1 when the detector serves the metric's model, 0 before the first training or while it cannot be read.",
        labelNames: ["metric"] as const,
        registers: [this.registry],
    });
    readonly instances = new Gauge({
        name: "aiops_scorer_instances",
        help: "Node-exporter instances discovered in the last round.",
        registers: [this.registry],
    });
    readonly roundSeconds = new Gauge({
        name: "aiops_scorer_round_duration_seconds",
        help: "Wall time of the last scoring round.",
        registers: [this.registry],
    });

    constructor(defaultMetrics = true) {
        if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
        // Both label values exist from the start, so rate() and alerts see a 0 before the first error.
        for (const dependency of DEPENDENCIES) this.errors.inc({ dependency }, 0);
    }
}

export interface ScorerDeps {
    readonly prometheus: Pick<PrometheusClient, "query" | "queryRange">;
    readonly detector: Pick<DetectorClient, "infer">;
    readonly modelInfo: Pick<ModelInfoCache, "get">;
    readonly models: Readonly<Record<MetricName, string>>;
    readonly metrics: ScorerMetrics;
    readonly logger: Logger;
    /** Milliseconds since the epoch; tests score backfilled data at a fixed time. */
    readonly now: () => number;
    readonly windowSeconds: number;
    readonly concurrency: number;
    readonly instanceTimeoutMs: number;
    /** When the first training runs (env MODEL_TRAINING_HINT), logged with "no model trained yet". */
    readonly trainingHint?: string;
}

/** One failed call (or instance budget) of a round. */
export interface RoundError {
    readonly dependency: Dependency;
    readonly instance?: string;
    readonly metric?: MetricName;
    readonly message: string;
}

export interface RoundReport {
    /** Unix seconds the round scored up to. */
    readonly at: number;
    readonly instances: readonly string[];
    /** Series scored ({instance, metric}). */
    readonly scored: number;
    /** Metrics whose model the detector does not serve yet. */
    readonly noModel: readonly MetricName[];
    readonly errors: readonly RoundError[];
    readonly ok: boolean;
    readonly ms: number;
}

/** The latest point of one series: anomaly score 0..1 and flag. */
export interface LatestScore {
    readonly timestamp: number;
    readonly score: number;
    readonly anomalous: boolean;
}

/** sklearn's score_samples is -2^(-E(h)/c(n)) in [-1, 0): its negation is the paper's anomaly score, 0..1. */
export function anomalyScore(scoreSamples: number): number {
    return Math.min(1, Math.max(0, -scoreSamples));
}

/** Runs `fn` over `items` with at most `limit` at once; resolves when all settled (fn must not throw). */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class Scorer {
    private readonly upState = new Map<Dependency, boolean>();
    /** The {instance, metric} series the gauges hold, to remove the stale ones. */
    private readonly series = new Map<string, { instance: string; metric: MetricName }>();
    private lastNoModel = "";
    private timer: NodeJS.Timeout | undefined;
    private running: Promise<RoundReport> | undefined;
    private stopped = false;
    last: RoundReport | undefined;

    constructor(private readonly deps: ScorerDeps) {}

    /** One scoring round. Never throws: problems are in the report, the metrics and the log. */
    async round(): Promise<RoundReport> {
        const started = performance.now();
        const { metrics, logger } = this.deps;
        const at = Math.floor(this.deps.now() / 1000);
        const errors: RoundError[] = [];
        const fail = (e: RoundError): void => {
            errors.push(e);
            metrics.errors.inc({ dependency: e.dependency });
        };
        const finish = (instances: readonly string[], scored: number, noModel: MetricName[], discovered: boolean): RoundReport => {
            const ms = Math.round(performance.now() - started);
            const ok = discovered && errors.length === 0;
            if (ok) metrics.lastSuccess.set(at);
            metrics.roundSeconds.set(ms / 1000);
            this.report(errors);
            const report: RoundReport = { at, instances, scored, noModel, errors, ok, ms };
            logger.log(ok ? "info" : "warn", "scoring round", {
                instances: instances.length,
                scored,
                errors: errors.length,
                ...(noModel.length > 0 ? { noModel } : {}),
                ms,
            });
            this.last = report;
            return report;
        };

        let instances: InstanceInfo[];
        try {
            instances = await listInstances(this.deps.prometheus as PrometheusClient, at);
        } catch (err) {
            fail({ dependency: "prometheus", message: `discovering node-exporter instances: ${messageOf(err)}` });
            // Nothing is known this round; the gauges keep their last value and last_success stops advancing.
            return finish([], 0, [], false);
        }
        const names = instances.map((i) => i.instance);
        metrics.instances.set(names.length);
        this.forgetInstancesOtherThan(new Set(names));

        const infos = new Map<MetricName, ModelInfo>();
        const noModel: MetricName[] = [];
        for (const metric of METRIC_NAMES) {
            const model = this.deps.models[metric];
            try {
                infos.set(metric, await this.deps.modelInfo.get(model));
                metrics.modelAvailable.set({ metric }, 1);
            } catch (err) {
                metrics.modelAvailable.set({ metric }, 0);
                this.forgetMetric(metric);
                if (err instanceof NoModelError) noModel.push(metric);
                else fail({ dependency: dependencyOf(err, "detector"), metric, message: `reading model ${model}: ${messageOf(err)}` });
            }
        }
        this.noteNoModel(noModel);

        let scored = 0;
        await pool(names, this.deps.concurrency, async (instance) => {
            // Not `scored += await ...`: that reads `scored` before the await and loses the other workers' counts.
            const n = await this.scoreInstance(instance, infos, at, fail);
            scored += n;
        });
        return finish(names, scored, noModel, true);
    }

    /** Scores one instance's metrics within the instance budget; returns how many series it scored. */
    private async scoreInstance(
        instance: string,
        infos: ReadonlyMap<MetricName, ModelInfo>,
        at: number,
        fail: (e: RoundError) => void,
    ): Promise<number> {
        let inFlight: Dependency = "prometheus";
        let abandoned = false;
        let scored = 0;
        const work = (async () => {
            for (const [metric, info] of infos) {
                if (abandoned) return;
                try {
                    inFlight = "prometheus";
                    const latest = await this.scoreSeries(instance, metric, info, at, () => (inFlight = "detector"));
                    if (abandoned) return;
                    if (latest === undefined) {
                        this.forget(instance, metric);
                        continue;
                    }
                    this.series.set(`${instance}\u0000${metric}`, { instance, metric });
                    this.deps.metrics.score.set({ instance, metric }, latest.score);
                    this.deps.metrics.anomalous.set({ instance, metric }, latest.anomalous ? 1 : 0);
                    scored++;
                } catch (err) {
                    if (abandoned) return;
                    this.forget(instance, metric);
                    fail({ dependency: dependencyOf(err, inFlight), instance, metric, message: messageOf(err) });
                }
            }
        })();
        let timer: NodeJS.Timeout | undefined;
        const budget = new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), this.deps.instanceTimeoutMs);
        });
        const outcome = await Promise.race([work.then(() => "done" as const), budget]);
        clearTimeout(timer);
        if (outcome === "timeout") {
            abandoned = true;
            for (const metric of METRIC_NAMES) this.forget(instance, metric);
            fail({
                dependency: inFlight,
                instance,
                message: `instance ${instance} was not scored within ${this.deps.instanceTimeoutMs} ms (waiting on ${inFlight}); the other instances went on`,
            });
        }
        return scored;
    }

    /** The latest point of one instance's metric, scored with the model's lookback before the window. */
    async scoreSeries(
        instance: string,
        metric: MetricName,
        info: ModelInfo,
        at: number,
        onInfer: () => void = () => undefined,
    ): Promise<LatestScore | undefined> {
        const step = info.stepSeconds;
        const end = Math.floor(at / step) * step;
        // The window spans whole steps: query_range's grid runs from `start`, so a window of 5 s at a 10-s step
        // put the grid half a step off and its last point at end - 5, before the latest sample (a freshly
        // planted anomaly was never the scored point).
        const span = Math.max(1, Math.ceil(this.deps.windowSeconds / step)) * step;
        const window = { start: end - span, end, step };
        const range = withHistory(window, info.lookbackPoints);
        const series = await queryRangeChunked(this.deps.prometheus, buildQuery(metric, instance), range.start, range.end, step);
        // The instance label has its port, so the matcher is exact; still, never mix two targets' points.
        const own = series.find((s) => s.labels.instance === instance) ?? (series.length === 1 ? series[0] : undefined);
        if (own === undefined || own.points.length === 0) return undefined;
        onInfer();
        const scored = await scoreWindow(this.deps.detector, info.model, own, window.start);
        if (scored === undefined || scored.timestamps.length === 0) return undefined;
        const last = scored.timestamps.length - 1;
        return {
            timestamp: scored.timestamps[last],
            score: anomalyScore(scored.prediction.scores[last]),
            anomalous: scored.prediction.labels[last] === -1,
        };
    }

    /** Scores now and then every `intervalMs` (measured from each round's start; rounds never overlap). */
    start(intervalMs: number): void {
        const loop = async (): Promise<void> => {
            if (this.stopped) return;
            const t0 = Date.now();
            this.running = this.round();
            await this.running;
            this.running = undefined;
            if (this.stopped) return;
            this.timer = setTimeout(() => void loop(), Math.max(0, intervalMs - (Date.now() - t0)));
        };
        void loop();
    }

    /** Stops scheduling rounds and waits for the one in flight. */
    async stop(): Promise<void> {
        this.stopped = true;
        clearTimeout(this.timer);
        await this.running;
    }

    /** Logs each dependency's state change once (down with the first errors, back up), not every round. */
    private report(errors: readonly RoundError[]): void {
        for (const dependency of DEPENDENCIES) {
            const failed = errors.filter((e) => e.dependency === dependency);
            const up = failed.length === 0;
            this.deps.metrics.up.set({ dependency }, up ? 1 : 0);
            const was = this.upState.get(dependency);
            if (!up && was !== false) {
                this.deps.logger.log("error", `${dependency} calls failing`, {
                    dependency,
                    failures: failed.length,
                    first: failed.slice(0, 3).map((e) => e.message),
                });
            } else if (up && was === false) {
                this.deps.logger.log("info", `${dependency} calls succeed again`, { dependency });
            } else if (!up) {
                this.deps.logger.log("warn", `${dependency} calls still failing`, {
                    dependency,
                    failures: failed.length,
                    first: failed[0].message,
                });
            }
            this.upState.set(dependency, up);
        }
    }

    private noteNoModel(noModel: readonly MetricName[]): void {
        const key = noModel.join(",");
        if (key !== this.lastNoModel && noModel.length > 0) {
            const hint = this.deps.trainingHint;
            this.deps.logger.log("warn", `no model trained yet for ${key}; those metrics are not scored until the first training`, {
                metrics: noModel,
                ...(hint !== undefined ? { hint } : {}),
            });
        }
        this.lastNoModel = key;
    }

    private forget(instance: string, metric: MetricName): void {
        this.series.delete(`${instance}\u0000${metric}`);
        this.deps.metrics.score.remove({ instance, metric });
        this.deps.metrics.anomalous.remove({ instance, metric });
    }

    private forgetMetric(metric: MetricName): void {
        for (const labels of this.seriesLabels()) if (labels.metric === metric) this.forget(labels.instance, metric);
    }

    private forgetInstancesOtherThan(keep: ReadonlySet<string>): void {
        for (const labels of this.seriesLabels()) if (!keep.has(labels.instance)) this.forget(labels.instance, labels.metric);
    }

    /** The {instance, metric} pairs the gauges hold now. */
    private seriesLabels(): Array<{ instance: string; metric: MetricName }> {
        return [...this.series.values()];
    }
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

/** The dependency a failure belongs to: a DependencyError says; anything else is charged to the call in flight. */
function dependencyOf(err: unknown, fallback: Dependency): Dependency {
    return err instanceof DependencyError ? err.dependency : fallback;
}
