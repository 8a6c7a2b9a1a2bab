/**
 * The whole dependency stack for end-to-end tests and the benchmark: backfilled Prometheus, detector models
 * trained on history before the analysed window, and the real detector server, all on loopback.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainModel } from "../../../detector/src/model";
import { buildServer, DetectorServer } from "../../../detector/src/server";
import { DEFAULT_MODELS } from "../../src/config";
import { METRIC_NAMES } from "@aiops/contract";
import { buildQuery } from "@aiops/contract";
import { DatasetSpec, defaultDataset, NODES } from "./nodeData";
import { backfill, queryRangeValues, RunningPrometheus, startPrometheus } from "./prometheus";

/** The tests analyse the last ANALYSED_HOURS of the data; models learn from the hours before. */
export const ANALYSED_HOURS = 6;
export const TRAINING_STEP = 10;

export interface Stack {
    readonly spec: DatasetSpec;
    readonly prometheus: RunningPrometheus;
    readonly detectorUrl: string;
    readonly detector: DetectorServer;
    /** Milliseconds: "now" for the server under test, the end of the backfilled data. */
    readonly nowMs: number;
    readonly timings: Record<string, number>;
    close(): Promise<void>;
}

export interface StackOptions {
    /** Detector contamination for the trained models (share of training points flagged). */
    readonly contamination?: number;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
    const dir = mkdtempSync(join(tmpdir(), "mcp-tool-e2e-"));
    // Also remove the data if the process dies without close() (Prometheus is killed by its own exit hook).
    const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
    process.once("exit", removeDir);
    const timings: Record<string, number> = {};
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        const t0 = performance.now();
        try {
            return await fn();
        } finally {
            timings[name] = Math.round(performance.now() - t0);
        }
    };
    let prometheus: RunningPrometheus | undefined;
    let detector: DetectorServer | undefined;
    try {
        const spec = defaultDataset();
        const { dataDir } = await timed("backfill", () => backfill(spec, dir));
        prometheus = await timed("prometheus start", () => startPrometheus(dataDir, dir));
        const modelDir = join(dir, "models");
        await timed("training", () => trainModels(prometheus!.url, spec, modelDir, opts.contamination));
        detector = buildServer({ modelDir, logger: false, defaultMetrics: false });
        const detectorUrl = await detector.app.listen({ port: 0, host: "127.0.0.1" });
        if (!detector.ready()) throw new Error("detector is not ready after loading the trained models");
        const running = { prometheus, detector };
        return {
            spec,
            prometheus,
            detector,
            detectorUrl,
            nowMs: spec.end * 1000,
            timings,
            close: async () => {
                await running.detector.app.close();
                await running.prometheus.stop();
                removeDir();
                process.off("exit", removeDir);
            },
        };
    } catch (err) {
        await detector?.app.close();
        await prometheus?.stop();
        removeDir();
        process.off("exit", removeDir);
        throw err;
    }
}

/**
 * One model per metric, trained on the first node's values over the history before the analysed window,
 * fetched with exactly the PromQL the tool uses, so training and serving see the same series.
 */
async function trainModels(promUrl: string, spec: DatasetSpec, modelDir: string, contamination?: number): Promise<void> {
    mkdirSync(modelDir, { recursive: true });
    const start = spec.end - spec.hours * 3600 + 600; // skip the first 10 min: rate() has no history there
    const end = spec.end - ANALYSED_HOURS * 3600 - TRAINING_STEP;
    for (const metric of METRIC_NAMES) {
        const points = await queryRangeValues(promUrl, buildQuery(metric, NODES[0].instance), start, end, TRAINING_STEP);
        const model = trainModel(points, { name: DEFAULT_MODELS[metric], ...(contamination !== undefined ? { contamination } : {}) });
        writeFileSync(join(modelDir, `${DEFAULT_MODELS[metric]}.json`), JSON.stringify(model));
    }
}
