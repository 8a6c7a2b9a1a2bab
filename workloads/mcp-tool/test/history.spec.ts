/**
 * Scoring with history and the "no model trained yet" state, against the real detector server: the MCP tool
 * reads the model's lookback from its metadata, fetches that much history before the window (in chunks
 * under Prometheus' point limit), reports only the window, and before the first training says so with the
 * training hint instead of a bare 404.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { MODEL_FILES, MODEL_PROPERTY, NO_MODEL_YET } from "@aiops/contract";
import { buildServer, DetectorServer } from "../../detector/src/server";
import { removeDir, smallModel, tempDir, writeModel } from "../../detector/test/server-helpers";
import { analyse } from "../src/analysis";
import { createApp } from "../src/app";
import { parseConfig } from "../src/config";
import { DetectorClient } from "../src/detector";
import { FALLBACK_LOOKBACK_POINTS, hintFromNoModel, ModelInfoCache, NoModelError, queryRangeChunked } from "../src/history";
import { silentLogger } from "../src/log";
import { RangeSeries } from "../src/prometheus";

const HINT = "the bootstrap Job trains once Prometheus holds 1h of history, then daily at 02:00 UTC";

describe("model info and the no-model state (real detector server)", () => {
    let dir: string;
    let detector: DetectorServer;
    let url: string;

    async function serve(hint?: string): Promise<void> {
        detector = buildServer({ modelDir: dir, logger: false, defaultMetrics: false, ...(hint ? { trainingHint: hint } : {}) });
        url = `${await detector.app.listen({ port: 0, host: "127.0.0.1" })}/`;
    }

    beforeEach(() => {
        dir = tempDir("mcp-history-");
    });
    afterEach(async () => {
        await detector?.app.close();
        removeDir(dir);
    });

    it("reads lookback_points from the served model's metadata, and caches it", async () => {
        writeModel(dir, "node-cpu.json", smallModel("node-cpu"));
        await serve();
        const meta = (await (await fetch(`${url}v2/models/node-cpu`)).json()) as { properties: Record<string, string> };
        let clock = 0;
        const cache = new ModelInfoCache(url, 2000, undefined, 1000, () => clock);
        const info = await cache.get("node-cpu");
        expect(info).to.deep.equal({
            model: "node-cpu",
            lookbackPoints: Number(meta.properties[MODEL_PROPERTY.lookbackPoints]),
            stepSeconds: 10,
            stated: true,
        });
        await detector.app.close();
        clock = 999;
        expect(await cache.get("node-cpu")).to.deep.equal(info);
        clock = 1000;
        let err: unknown;
        await cache.get("node-cpu").catch((e: unknown) => (err = e));
        expect((err as Error).message).to.match(/^the detector at .*\/v2\/models\/node-cpu is unreachable/);
    });

    it("before the first training: NoModelError with the detector's hint, or the tool's own when set", async () => {
        writeFileSync(join(dir, MODEL_FILES.placeholder), "placeholder\n");
        await serve(HINT);
        let err: unknown;
        await new ModelInfoCache(url, 2000, undefined).get("node-disk").catch((e: unknown) => (err = e));
        expect(err).to.be.instanceOf(NoModelError);
        expect((err as Error).message).to.equal(`${NO_MODEL_YET} for model node-disk: ${HINT}`);
        await new ModelInfoCache(url, 2000, "daily at 03:00").get("node-disk").catch((e: unknown) => (err = e));
        expect((err as Error).message).to.equal(`${NO_MODEL_YET} for model node-disk: daily at 03:00`);
    });

    it("an emptied model directory (no placeholder) is a detector failure, not 'no model trained yet'", async () => {
        await serve(HINT);
        let err: unknown;
        await new ModelInfoCache(url, 2000, undefined).get("node-disk").catch((e: unknown) => (err = e));
        expect(err).to.be.an("error").and.not.be.instanceOf(NoModelError);
        expect((err as Error).message)
            .to.include("answered HTTP 503 for model node-disk")
            .and.include("no model is loaded")
            .and.not.include(NO_MODEL_YET);
    });

    it("predict_anomalies answers 'no model trained yet' and when the first training runs, as a tool error", async () => {
        writeFileSync(join(dir, MODEL_FILES.placeholder), "placeholder\n");
        await serve(HINT);
        const config = parseConfig({ PORT: "0", HOST: "127.0.0.1", PROMETHEUS_URL: "http://127.0.0.1:9", INFERENCE_SERVICE_URL: url });
        const app = createApp(config, { logger: silentLogger, defaultMetrics: false });
        const port = await app.listen();
        const client = new Client({ name: "t", version: "0" });
        try {
            await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
            const r = (await client.callTool({
                name: "predict_anomalies",
                arguments: { instance_ip: "10.0.0.1:9100", hours: 1 },
            })) as CallToolResult;
            expect(r.isError).to.equal(true);
            expect((r.content[0] as { text: string }).text).to.equal(`${NO_MODEL_YET} for model node-cpu: ${HINT}`);
        } finally {
            await client.close();
            await app.close();
        }
    });

    it("falls back to FALLBACK_LOOKBACK_POINTS for a detector whose metadata states none", async () => {
        const { createServer } = await import("node:http");
        const server = createServer((_req, res) =>
            res.writeHead(200, { "content-type": "application/json" }).end('{"name":"x","properties":{}}'),
        );
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as { port: number }).port;
        try {
            const info = await new ModelInfoCache(`http://127.0.0.1:${port}/`, 1000, undefined).get("x");
            expect(info).to.include({ lookbackPoints: FALLBACK_LOOKBACK_POINTS, stated: false, stepSeconds: 10 });
        } finally {
            server.close();
        }
    });

    it("hintFromNoModel takes what follows the contract's words", () => {
        expect(hintFromNoModel(`${NO_MODEL_YET}: daily at 02:00`)).to.equal("daily at 02:00");
        expect(hintFromNoModel(NO_MODEL_YET)).to.equal(undefined);
        expect(hintFromNoModel("unknown model")).to.equal(undefined);
    });
});

describe("history before the window", () => {
    it("queryRangeChunked splits a range over the point limit without overlap and joins each series", async () => {
        const calls: Array<[number, number]> = [];
        const prometheus = {
            async queryRange(_q: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
                calls.push([start, end]);
                const pts = (instance: string): Array<[number, number]> => {
                    const out: Array<[number, number]> = [];
                    for (let t = start; t <= end; t += step) out.push([t, instance === "a" ? t : -t]);
                    return out;
                };
                return [
                    { labels: { instance: "a" }, points: pts("a") },
                    { labels: { instance: "b" }, points: pts("b") },
                ];
            },
        };
        const series = await queryRangeChunked(prometheus, "q", 0, 250, 10, 11);
        expect(calls).to.deep.equal([
            [0, 100],
            [110, 210],
            [220, 250],
        ]);
        expect(series).to.have.length(2);
        expect(series[0].points.map(([t]) => t)).to.deep.equal(Array.from({ length: 26 }, (_, i) => i * 10));
        expect(series[1].points[3]).to.deep.equal([30, -30]);
    });

    it("analyse fetches the lookback before the window, scores it with the window, and reports only the window", async () => {
        const step = 10;
        const nowMs = 1_000_000_000;
        const end = 1_000_000;
        const start = end - 3600;
        const lookback = 50;
        const queried: Array<[number, number]> = [];
        const prometheus = {
            async queryRange(_q: string, s: number, e: number): Promise<RangeSeries[]> {
                queried.push([s, e]);
                const points: Array<[number, number]> = [];
                for (let t = s; t <= e; t += step) points.push([t, t < start ? 1000 : 1]);
                return [{ labels: { instance: "10.0.0.1:9100" }, points }];
            },
            async query() {
                return [];
            },
        };
        const sent: number[] = [];
        const detector = {
            async infer(_m: string, ts: readonly number[], vs: readonly number[]) {
                sent.push(ts.length);
                // history points (value 1000) are "anomalous": they must not be reported
                return { scores: vs.map((v) => (v === 1000 ? -0.9 : -0.4)), labels: vs.map((v) => (v === 1000 ? -1 : 1)) };
            },
        };
        const a = await analyse(
            {
                prometheus: prometheus as never,
                detector: detector as unknown as DetectorClient,
                models: { cpu: "node-cpu", memory: "m", disk: "d", network: "n" },
                defaultInstance: undefined,
                now: () => nowMs,
                modelInfo: { get: async (model: string) => ({ model, lookbackPoints: lookback, stepSeconds: 10, stated: true }) },
            },
            { instance: "10.0.0.1:9100", hours: 1 },
        );
        expect(queried).to.deep.equal([[start - lookback * step, end]]);
        expect(sent).to.deep.equal([lookback + 361]);
        expect(a.result.points).to.equal(361);
        expect(a.result.anomalyCount).to.equal(0);
        expect(a.series[0].timestamp).to.equal(start);
    });
});
