/**
 * Scoring with history: the detector's trailing features (rolling baselines, short windows) need points
 * before the first point to score. The model records how many in its OIP metadata (`lookback_points`,
 * MODEL_PROPERTY in @aiops/contract); the MCP tool and the scorer fetch that much history before the asked
 * window, score history + window in one call, and report only the points inside the window.
 *
 * This module also recognises the detector's "no model trained yet" answer (a 503 from a detector whose
 * model directory holds only the trainer's placeholder), so callers can say so instead of a bare error.
 */
import { MODEL_PROPERTY, NO_MODEL_YET, TRAINER_DEFAULTS } from "@aiops/contract";
import { DetectorClient, Prediction } from "./detector";
import { DependencyError, ToolError, excerpt, fetchWithin } from "./errors";
import { PrometheusClient, RangeSeries } from "./prometheus";
import { PROMETHEUS_MAX_POINTS, QueryWindow } from "./window";

/**
 * Lookback assumed for a model whose metadata does not state one (a detector older than the property):
 * the default feature set's (288-point baseline before a 3-point short window, features.ts). Too much
 * history costs a little bandwidth; too little scores the first points on a half-built baseline.
 */
export const FALLBACK_LOOKBACK_POINTS = 290;

/** What a caller needs to know about a served model to score with history. */
export interface ModelInfo {
    readonly model: string;
    /** Points of history the features need before the first scored point. */
    readonly lookbackPoints: number;
    /** Step of the series the model was trained on, seconds (TRAINER_DEFAULTS.trainingStepSeconds when unknown). */
    readonly stepSeconds: number;
    /** Whether the metadata stated the lookback (false: FALLBACK_LOOKBACK_POINTS). */
    readonly stated: boolean;
}

/**
 * The detector has no model yet (the trainer has not run): a state, not a failure. The message says so in
 * the contract's words and, when known, when the first training runs.
 */
export class NoModelError extends ToolError {
    constructor(
        readonly model: string,
        readonly hint: string | undefined,
    ) {
        super(`${NO_MODEL_YET} for model ${model}${hint !== undefined && hint !== "" ? `: ${hint}` : ""}`);
        this.name = "NoModelError";
    }
}

interface MetadataBody {
    properties?: Record<string, unknown>;
    error?: unknown;
    hint?: unknown;
}

/** The hint the detector appended to its "no model trained yet" answer, if any. */
export function hintFromNoModel(error: string): string | undefined {
    const i = error.indexOf(NO_MODEL_YET);
    if (i < 0) return undefined;
    const rest = error
        .slice(i + NO_MODEL_YET.length)
        .replace(/^[\s:;,.-]+/, "")
        .trim();
    return rest === "" ? undefined : rest;
}

/** A positive integer property of the metadata, or undefined when absent or malformed. */
function intProperty(props: Record<string, unknown> | undefined, key: string): number | undefined {
    const raw = props?.[key];
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads GET /v2/models/<model> and caches the answer for `ttlMs` (a promotion rolls the detector's pods,
 * so a new model set with another lookback appears within one TTL). "No model yet" is never cached: the
 * first training should be picked up on the next call.
 */
export class ModelInfoCache {
    private readonly cache = new Map<string, { info: ModelInfo; at: number }>();

    constructor(
        private readonly baseUrl: string,
        private readonly timeoutMs: number,
        /** Hint to use when the detector gives none (env MODEL_TRAINING_HINT). */
        private readonly trainingHint: string | undefined,
        private readonly ttlMs = 5 * 60_000,
        private readonly clock: () => number = Date.now,
    ) {}

    async get(model: string): Promise<ModelInfo> {
        const hit = this.cache.get(model);
        if (hit !== undefined && this.clock() - hit.at < this.ttlMs) return hit.info;
        const info = await this.fetch(model);
        this.cache.set(model, { info, at: this.clock() });
        return info;
    }

    private async fetch(model: string): Promise<ModelInfo> {
        const url = new URL(`v2/models/${encodeURIComponent(model)}`, this.baseUrl);
        const { status, body } = await fetchWithin("detector", url, { headers: { accept: "application/json" } }, this.timeoutMs);
        let parsed: MetadataBody | undefined;
        try {
            const raw: unknown = JSON.parse(body);
            // null, a number or an array parse fine but are no metadata; reading fields off them would throw a TypeError.
            parsed = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as MetadataBody) : undefined;
        } catch {
            parsed = undefined;
        }
        const error = typeof parsed?.error === "string" ? parsed.error : excerpt(body) || "(empty body)";
        if (status === 503 && error.includes(NO_MODEL_YET)) {
            const detectorHint = typeof parsed?.hint === "string" && parsed.hint !== "" ? parsed.hint : hintFromNoModel(error);
            throw new NoModelError(model, this.trainingHint ?? detectorHint);
        }
        if (status >= 400) {
            const hint = status === 404 ? " (is the model deployed? check the MODEL_* settings)" : "";
            throw new DependencyError("detector", "http", url.href, `answered HTTP ${status} for model ${model}: ${error}${hint}`);
        }
        if (parsed === undefined)
            throw new DependencyError(
                "detector",
                "bad_response",
                url.href,
                `returned model metadata that is not a JSON object for model ${model}: ${excerpt(body) || "(empty body)"}`,
            );
        const props = typeof parsed.properties === "object" && parsed.properties !== null ? parsed.properties : undefined;
        const lookback = intProperty(props, MODEL_PROPERTY.lookbackPoints);
        const step = intProperty(props, MODEL_PROPERTY.stepSeconds);
        return {
            model,
            lookbackPoints: lookback ?? FALLBACK_LOOKBACK_POINTS,
            stepSeconds: step !== undefined && step > 0 ? step : TRAINER_DEFAULTS.trainingStepSeconds,
            stated: lookback !== undefined,
        };
    }
}

/** The window widened by `lookbackPoints` steps of history before its start. */
export function withHistory(window: Pick<QueryWindow, "start" | "end" | "step">, lookbackPoints: number): { start: number; end: number } {
    return { start: window.start - lookbackPoints * window.step, end: window.end };
}

/**
 * query_range over [start, end] in as many calls as Prometheus' per-series point limit needs, joined per
 * series (by its label set). Chunks never overlap: each starts one step after the previous one's end.
 */
export async function queryRangeChunked(
    prometheus: Pick<PrometheusClient, "queryRange">,
    query: string,
    start: number,
    end: number,
    step: number,
    maxPoints = PROMETHEUS_MAX_POINTS,
): Promise<RangeSeries[]> {
    const span = (maxPoints - 1) * step;
    const bySeries = new Map<string, { labels: Readonly<Record<string, string>>; points: ReadonlyArray<readonly [number, number]> }>();
    for (let from = start; from <= end; from += span + step) {
        const to = Math.min(end, from + span);
        for (const s of await prometheus.queryRange(query, from, to, step)) {
            // Code-unit order, not localeCompare: any fixed order makes the key, and the ICU collator it would load
            // costs ~3 MiB of RSS (docs/mcp-tool-memory.md).
            const key = JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
            const entry = bySeries.get(key);
            // One chunk (any window up to 11,000 points) is used as is; only later chunks are joined to it.
            if (entry === undefined) bySeries.set(key, { labels: s.labels, points: s.points });
            else entry.points = entry.points.concat(s.points);
        }
    }
    return [...bySeries.values()];
}

export interface WindowScore {
    /** Points inside the window, with their score and label, oldest first. */
    readonly timestamps: number[];
    readonly values: number[];
    readonly prediction: Prediction;
    /** History points sent before the window (fewer than the lookback when Prometheus holds less). */
    readonly historyPoints: number;
}

/**
 * Scores one series: history and window in one infer call (the features need the history), then keeps only
 * the points inside [windowStart, ...]. Returns undefined when the window itself has no point.
 */
export async function scoreWindow(
    detector: Pick<DetectorClient, "infer">,
    model: string,
    series: RangeSeries,
    windowStart: number,
): Promise<WindowScore | undefined> {
    const ts = series.points.map(([t]) => t);
    const vs = series.points.map(([, v]) => v);
    const first = ts.findIndex((t) => t >= windowStart);
    if (first < 0) return undefined;
    const prediction = await detector.infer(model, ts, vs);
    return {
        timestamps: ts.slice(first),
        values: vs.slice(first),
        prediction: { scores: prediction.scores.slice(first), labels: prediction.labels.slice(first) },
        historyPoints: first,
    };
}
