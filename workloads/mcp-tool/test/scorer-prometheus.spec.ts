/**
 * The scorer against a real Prometheus (backfilled with promtool: two nodes, anomalies planted on the first)
 * and the real detector server, read back through its own /metrics endpoint as Prometheus would scrape it.
 * Skips on a laptop without prometheus/promtool; fails in CI if they are missing.
 */
import { expect } from "chai";
import { METRIC_NAMES, SCORER_METRICS } from "@aiops/contract";
import { silentLogger } from "../src/log";
import { createScorerApp, ScorerApp } from "../src/scoring/app";
import { parseScorerConfig } from "../src/scoring/config";
import { NODES } from "./support/nodeData";
import { requirePrometheusTools } from "./support/prometheus";
import { Stack, startStack } from "./support/stack";

/** `name{labels} value` lines of the exposition text, as a map from `name{sorted labels}` to value. */
export function parseExposition(text: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const line of text.split("\n")) {
        if (line.startsWith("#") || line.trim() === "") continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
        if (m === null) continue;
        const labels = (m[3] ?? "")
            .split(/,(?=[a-zA-Z_]+=")/)
            .filter((x) => x !== "")
            .sort()
            .join(",");
        out.set(labels === "" ? m[1] : `${m[1]}{${labels}}`, Number(m[4]));
    }
    return out;
}

const key = (name: string, instance: string, metric: string): string => `${name}{instance="${instance}",metric="${metric}"}`;

describe("scorer against a real Prometheus and detector", function () {
    this.timeout(120_000);
    let stack: Stack;
    const apps: ScorerApp[] = [];

    before(async function () {
        await requirePrometheusTools(this);
        stack = await startStack({ contamination: 0.01 });
    });
    after(async () => {
        for (const a of apps) await a.close();
        await stack?.close();
    });

    async function scrapeAt(nowMs: number, env: Record<string, string> = {}): Promise<Map<string, number>> {
        const config = parseScorerConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: stack.prometheus.url,
            INFERENCE_SERVICE_URL: stack.detectorUrl,
            SCORE_INTERVAL_SECONDS: "3600",
            ...env,
        });
        const app = createScorerApp(config, { now: () => nowMs, logger: silentLogger, defaultMetrics: false });
        apps.push(app);
        const port = await app.start();
        // start() runs the first round at once; wait for it
        for (let i = 0; i < 200 && app.scorer.last === undefined; i++) await new Promise((r) => setTimeout(r, 50));
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).to.equal(200);
        return parseExposition(await res.text());
    }

    it("flags the planted CPU anomaly on the first node while the second node stays clean", async () => {
        const cpu = stack.spec.anomalies.find((a) => a.metric === "cpu")!;
        const [a, b] = NODES.map((n) => n.instance);
        const m = await scrapeAt((cpu.start + 10 * 60) * 1000);
        expect(m.get(key(SCORER_METRICS.anomalous, a, "cpu"))).to.equal(1);
        expect(m.get(key(SCORER_METRICS.score, a, "cpu"))).to.be.greaterThan(0.5);
        for (const metric of METRIC_NAMES) {
            expect(m.get(key(SCORER_METRICS.anomalous, b, metric)), `${b} ${metric}`).to.equal(0);
            const score = m.get(key(SCORER_METRICS.score, b, metric));
            expect(score, `${b} ${metric}`).to.be.within(0, 1);
        }
        expect(m.get(SCORER_METRICS.lastSuccess)).to.equal(cpu.start + 10 * 60);
        expect(m.get(`${SCORER_METRICS.errors}{dependency="prometheus"}`)).to.equal(0);
        expect(m.get(`${SCORER_METRICS.errors}{dependency="detector"}`)).to.equal(0);
    });

    it("an hour before any planted anomaly, no series is flagged", async () => {
        const first = Math.min(...stack.spec.anomalies.map((x) => x.start));
        const m = await scrapeAt((first - 3600) * 1000);
        for (const instance of NODES.map((n) => n.instance))
            for (const metric of METRIC_NAMES)
                expect(m.get(key(SCORER_METRICS.anomalous, instance, metric)), `${instance} ${metric}`).to.equal(0);
    });

    it("a detector that is down shows as detector errors and no score series, and the scrape still works", async () => {
        const m = await scrapeAt(stack.nowMs, { INFERENCE_SERVICE_URL: "http://127.0.0.1:9", INFERENCE_TIMEOUT_MS: "2000" });
        expect(m.get(`${SCORER_METRICS.errors}{dependency="detector"}`)).to.equal(4);
        expect(m.get(`aiops_scorer_dependency_up{dependency="detector"}`)).to.equal(0);
        expect([...m.keys()].filter((k) => k.startsWith(SCORER_METRICS.score))).to.deep.equal([]);
        expect(m.get(SCORER_METRICS.lastSuccess)).to.equal(0);
    });
});
