/**
 * The continuous scorer against scripted Prometheus and detector clients: what it exports, that it fetches
 * the model's lookback before the window and reports only the window's latest point, that one slow instance
 * does not stall the others, and that outages show in the metrics and the log and heal by themselves.
 */
import { expect } from "chai";
import { METRIC_NAMES, NO_MODEL_YET, SCORER_METRICS, UNAME_QUERY, buildQuery } from "@aiops/contract";
import { ConfigError, DEFAULT_MODELS } from "../src/config";
import { DependencyError } from "../src/errors";
import { ModelInfo, NoModelError } from "../src/history";
import { Level } from "../src/log";
import { InstantSample, RangeSeries } from "../src/prometheus";
import { parseScorerConfig } from "../src/scoring/config";
import { Scorer, ScorerDeps, ScorerMetrics, anomalyScore, pool } from "../src/scoring/scorer";

const A = "10.0.0.11:9100";
const B = "10.0.0.12:9100";
const NOW = 1_768_478_400; // 2026-01-15T12:00:00Z, a multiple of 10
const LOOKBACK = 30;

interface Calls {
    ranges: Array<{ query: string; start: number; end: number; step: number }>;
    infers: Array<{ model: string; n: number; first: number }>;
}

interface Script {
    instances?: string[];
    discovery?: (query: string) => Promise<void>;
    /** Per instance: called before each query_range; may throw or hang. */
    range?: (instance: string) => Promise<void>;
    infer?: (model: string) => Promise<void>;
    info?: (model: string) => Promise<ModelInfo>;
    /** Index (from the end) of the point flagged anomalous per instance; default none. */
    flagged?: Record<string, number>;
}

const instanceOf = (query: string): string => /instance=~"([^"]+)"/.exec(query)?.[1].replace(/\\\\/g, "\\").replace(/\\/g, "") ?? "";

function deps(
    script: Script,
    over: Partial<ScorerDeps> = {},
): { deps: ScorerDeps; calls: Calls; logs: Array<{ level: Level; msg: string }> } {
    const calls: Calls = { ranges: [], infers: [] };
    const logs: Array<{ level: Level; msg: string }> = [];
    const d: ScorerDeps = {
        prometheus: {
            async query(query: string): Promise<InstantSample[]> {
                await script.discovery?.(query);
                if (query !== UNAME_QUERY) return [];
                return (script.instances ?? [A, B]).map((instance) => ({ labels: { instance, nodename: instance }, value: 1 }));
            },
            async queryRange(query: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
                const instance = instanceOf(query);
                calls.ranges.push({ query, start, end, step });
                await script.range?.(instance);
                const points: Array<[number, number]> = [];
                for (let t = start; t <= end; t += step) points.push([t, 50]);
                // The flagged point carries the value 99, which the scripted detector flags.
                const flagIndex = script.flagged?.[instance];
                if (flagIndex !== undefined) points[points.length - 1 - flagIndex][1] = 99;
                return [{ labels: { instance }, points }];
            },
        },
        detector: {
            async infer(model: string, timestamps: readonly number[], values: readonly number[]) {
                calls.infers.push({ model, n: timestamps.length, first: timestamps[0] });
                await script.infer?.(model);
                const labels = values.map((v) => (v === 99 ? -1 : 1));
                return { scores: labels.map((l) => (l === -1 ? -0.8 : -0.4)), labels };
            },
        },
        modelInfo: {
            get: script.info ?? (async (model: string) => ({ model, lookbackPoints: LOOKBACK, stepSeconds: 10, stated: true })),
        },
        models: DEFAULT_MODELS,
        metrics: new ScorerMetrics(false),
        logger: { log: (level, msg) => logs.push({ level, msg }) },
        now: () => NOW * 1000,
        windowSeconds: 60,
        concurrency: 4,
        instanceTimeoutMs: 2000,
        ...over,
    };
    return { deps: d, calls, logs };
}

async function value(metrics: ScorerMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const all = await metrics.registry.getMetricsAsJSON();
    const m = all.find((x) => x.name === name);
    const v = (m?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((x) =>
        Object.entries(labels).every(([k, want]) => x.labels[k] === want),
    );
    return v?.value;
}

async function seriesCount(metrics: ScorerMetrics, name: string): Promise<number> {
    const all = await metrics.registry.getMetricsAsJSON();
    return (all.find((x) => x.name === name)?.values ?? []).length;
}

const never = (): Promise<void> => new Promise(() => undefined);

describe("scorer round", () => {
    it("exports the latest point's score and flag per instance and metric, and the success time", async () => {
        const { deps: d } = deps({ flagged: { [A]: 0, [B]: 1 } });
        const report = await new Scorer(d).round();
        expect(report).to.include({ ok: true, scored: 8, at: NOW });
        for (const metric of METRIC_NAMES) {
            // A: the latest point is flagged; B: the point before it, which is not the latest.
            expect(await value(d.metrics, SCORER_METRICS.anomalous, { instance: A, metric })).to.equal(1);
            expect(await value(d.metrics, SCORER_METRICS.score, { instance: A, metric })).to.equal(0.8);
            expect(await value(d.metrics, SCORER_METRICS.anomalous, { instance: B, metric })).to.equal(0);
            expect(await value(d.metrics, SCORER_METRICS.score, { instance: B, metric })).to.equal(0.4);
        }
        expect(await value(d.metrics, SCORER_METRICS.lastSuccess)).to.equal(NOW);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "prometheus" })).to.equal(0);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "detector" })).to.equal(0);
    });

    it("fetches the model's lookback before the window and sends history + window in one infer call", async () => {
        const { deps: d, calls } = deps({ instances: [A] });
        await new Scorer(d).round();
        expect(calls.ranges).to.have.length(4);
        for (const [i, metric] of METRIC_NAMES.entries()) {
            expect(calls.ranges[i]).to.deep.equal({ query: buildQuery(metric, A), start: NOW - 60 - LOOKBACK * 10, end: NOW, step: 10 });
            expect(calls.infers[i]).to.deep.equal({ model: DEFAULT_MODELS[metric], n: LOOKBACK + 7, first: NOW - 60 - LOOKBACK * 10 });
        }
    });

    it("scores the point at the round's step boundary when the window is not a whole number of steps (5 s at 10 s)", async () => {
        // Failed before the fix: the grid ran from NOW - 5 - lookback, so its last point was NOW - 5 and the
        // flagged latest sample (the loop test's freshly planted anomaly) was never scored.
        const { deps: d, calls } = deps({ instances: [A], flagged: { [A]: 0 } }, { windowSeconds: 5, now: () => (NOW + 3) * 1000 });
        await new Scorer(d).round();
        for (const r of calls.ranges) {
            expect(r.end).to.equal(NOW);
            expect((r.end - r.start) % r.step, "the grid ends on the window's end").to.equal(0);
            expect(r.start).to.equal(NOW - 10 - LOOKBACK * 10);
        }
        for (const metric of METRIC_NAMES) expect(await value(d.metrics, SCORER_METRICS.anomalous, { instance: A, metric })).to.equal(1);
    });

    it("keeps scoring the other instances while one hangs, and charges the hang to the dependency in flight", async () => {
        const { deps: d, logs } = deps(
            { instances: [A, B], range: (i) => (i === A ? never() : Promise.resolve()) },
            { instanceTimeoutMs: 200 },
        );
        const t0 = Date.now();
        const report = await new Scorer(d).round();
        expect(Date.now() - t0).to.be.lessThan(1500);
        expect(report.ok).to.equal(false);
        expect(report.scored).to.equal(4);
        expect(report.errors).to.have.length(1);
        expect(report.errors[0]).to.include({ dependency: "prometheus", instance: A });
        expect(report.errors[0].message).to.match(/not scored within 200 ms \(waiting on prometheus\)/);
        expect(await value(d.metrics, SCORER_METRICS.anomalous, { instance: B, metric: "cpu" })).to.equal(0);
        expect(await value(d.metrics, SCORER_METRICS.anomalous, { instance: A, metric: "cpu" })).to.equal(undefined);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "prometheus" })).to.equal(1);
        expect(await value(d.metrics, SCORER_METRICS.lastSuccess)).to.equal(0);
        expect(logs.some((l) => l.level === "error" && l.msg === "prometheus calls failing")).to.equal(true);
    });

    it("scores instances concurrently up to the limit: 8 hanging instances at 4 at once take two budgets, not eight", async () => {
        const many = Array.from({ length: 8 }, (_, i) => `10.0.1.${i}:9100`);
        const { deps: d } = deps({ instances: many, range: never }, { instanceTimeoutMs: 150, concurrency: 4 });
        const t0 = Date.now();
        const report = await new Scorer(d).round();
        const ms = Date.now() - t0;
        expect(report.errors).to.have.length(8);
        expect(ms).to.be.within(280, 900);
    });

    it("a detector outage removes the series, counts detector errors, logs once, and heals by itself", async () => {
        let down = true;
        const { deps: d, logs } = deps({
            instances: [A],
            infer: async () => {
                if (down)
                    throw new DependencyError(
                        "detector",
                        "unreachable",
                        "http://detector/v2/models/x/infer",
                        "is unreachable (ECONNREFUSED)",
                    );
            },
        });
        const scorer = new Scorer(d);
        // a first good round, then the outage: stale values must not stay behind
        down = false;
        await scorer.round();
        expect(await seriesCount(d.metrics, SCORER_METRICS.anomalous)).to.equal(4);
        down = true;
        const bad = await scorer.round();
        expect(bad.ok).to.equal(false);
        expect(await seriesCount(d.metrics, SCORER_METRICS.anomalous)).to.equal(0);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "detector" })).to.equal(4);
        expect(await value(d.metrics, "aiops_scorer_dependency_up", { dependency: "detector" })).to.equal(0);
        await scorer.round();
        expect(logs.filter((l) => l.msg === "detector calls failing")).to.have.length(1);
        expect(logs.filter((l) => l.msg === "detector calls still failing")).to.have.length(1);
        down = false;
        const good = await scorer.round();
        expect(good.ok).to.equal(true);
        expect(await seriesCount(d.metrics, SCORER_METRICS.anomalous)).to.equal(4);
        expect(await value(d.metrics, "aiops_scorer_dependency_up", { dependency: "detector" })).to.equal(1);
        expect(logs.some((l) => l.level === "info" && l.msg === "detector calls succeed again")).to.equal(true);
    });

    it("a Prometheus outage at discovery counts a prometheus error and leaves last_success where it was", async () => {
        let down = false;
        const { deps: d } = deps({
            discovery: async () => {
                if (down) throw new DependencyError("prometheus", "timeout", "http://prom/api/v1/query", "did not answer within 10 ms");
            },
        });
        const scorer = new Scorer(d);
        await scorer.round();
        down = true;
        const report = await scorer.round();
        expect(report.ok).to.equal(false);
        expect(report.errors[0].message).to.match(/^discovering node-exporter instances: Prometheus at http:\/\/prom/);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "prometheus" })).to.equal(1);
        expect(await value(d.metrics, SCORER_METRICS.lastSuccess)).to.equal(NOW);
    });

    it("before the first training: no series, no errors, model_available 0, one warning naming the metrics", async () => {
        const { deps: d, logs } = deps({
            info: async (model) => {
                throw new NoModelError(model, "first training at 02:00");
            },
        });
        const scorer = new Scorer(d);
        const report = await scorer.round();
        await scorer.round();
        expect(report).to.include({ ok: true, scored: 0 });
        expect(report.noModel).to.deep.equal(METRIC_NAMES);
        expect(await seriesCount(d.metrics, SCORER_METRICS.score)).to.equal(0);
        expect(await value(d.metrics, "aiops_scorer_model_available", { metric: "cpu" })).to.equal(0);
        expect(await value(d.metrics, SCORER_METRICS.errors, { dependency: "detector" })).to.equal(0);
        const warnings = logs.filter((l) => l.msg.startsWith(NO_MODEL_YET));
        expect(warnings).to.have.length(1);
        expect(warnings[0].msg).to.contain("cpu,memory,disk,network");
    });

    it("drops the series of an instance that disappeared", async () => {
        const script: Script = { instances: [A, B] };
        const { deps: d } = deps(script);
        const scorer = new Scorer(d);
        await scorer.round();
        expect(await seriesCount(d.metrics, SCORER_METRICS.score)).to.equal(8);
        script.instances = [B];
        await scorer.round();
        expect(await seriesCount(d.metrics, SCORER_METRICS.score)).to.equal(4);
        expect(await value(d.metrics, SCORER_METRICS.score, { instance: A, metric: "cpu" })).to.equal(undefined);
    });

    it("start/stop: rounds repeat on the interval and stop waits for the one in flight", async () => {
        let hold: (() => void) | undefined;
        let rounds = 0;
        const { deps: d } = deps({
            instances: [A],
            discovery: async (query) => {
                if (query !== UNAME_QUERY) return;
                rounds++;
                if (rounds === 3) await new Promise<void>((r) => (hold = r));
            },
        });
        const scorer = new Scorer(d);
        scorer.start(40);
        // Rounds at 0, 40 and 80 ms; the third hangs in discovery. Polled, not a fixed 300 ms sleep: a slow
        // or loaded machine may not have started the third round by then. Then five more intervals: no
        // round starts while one runs.
        for (const deadline = Date.now() + 10_000; rounds < 3 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
        expect(rounds).to.equal(3);
        await new Promise((r) => setTimeout(r, 200));
        expect(rounds, "no round starts while one runs").to.equal(3);
        const stopped = scorer.stop();
        let done = false;
        void stopped.then(() => (done = true));
        await new Promise((r) => setTimeout(r, 30));
        expect(done, "stop() waits for the round in flight").to.equal(false);
        hold?.();
        await stopped;
        const after = rounds;
        await new Promise((r) => setTimeout(r, 100));
        expect(rounds, "no round after stop()").to.equal(after);
    });
});

describe("scorer helpers", () => {
    it("anomalyScore negates score_samples into 0..1", () => {
        expect(anomalyScore(-0.73)).to.equal(0.73);
        expect(anomalyScore(-1.2)).to.equal(1);
        expect(anomalyScore(0.1)).to.equal(0);
    });

    it("pool never runs more than the limit at once and runs everything", async () => {
        let active = 0;
        let peak = 0;
        const seen: number[] = [];
        await pool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setTimeout(r, 5));
            seen.push(n);
            active--;
        });
        expect(peak).to.equal(3);
        expect(seen.sort()).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    });
});

describe("scorer configuration", () => {
    const base = { PROMETHEUS_URL: "http://prom:9090", INFERENCE_SERVICE_URL: "http://det" };

    it("defaults: port 9102, 60 s interval and window, the contract's models", () => {
        const c = parseScorerConfig(base);
        expect(c).to.include({ port: 9102, intervalSeconds: 60, windowSeconds: 60, concurrency: 4, host: "0.0.0.0" });
        expect(c.prometheusUrl).to.equal("http://prom:9090/");
        expect(c.models).to.deep.equal(DEFAULT_MODELS);
        expect(c.trainingHint).to.equal(undefined);
    });

    it("reads the interval, window and training hint", () => {
        const c = parseScorerConfig({ ...base, SCORE_INTERVAL_SECONDS: "30", MODEL_TRAINING_HINT: " daily at 02:00 " });
        expect(c).to.include({ intervalSeconds: 30, windowSeconds: 30, trainingHint: "daily at 02:00" });
    });

    it("lists every bad variable with the fix", () => {
        let err: unknown;
        try {
            parseScorerConfig({ SCORE_INTERVAL_SECONDS: "1m", PORT: "99999" });
        } catch (e) {
            err = e;
        }
        expect(err).to.be.instanceOf(ConfigError);
        const problems = (err as ConfigError).problems;
        expect(problems).to.have.length(4);
        expect(problems.join("\n")).to.match(/PROMETHEUS_URL is required/);
        expect(problems.join("\n")).to.match(/INFERENCE_SERVICE_URL is required/);
        expect(problems.join("\n")).to.match(/SCORE_INTERVAL_SECONDS must be an integer from 5 to 3600 .*got '1m'/);
        expect(problems.join("\n")).to.match(/PORT must be an integer from 0 to 65535/);
    });
});
