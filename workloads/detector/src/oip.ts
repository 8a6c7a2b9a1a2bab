/**
 * Open Inference Protocol (KServe v2) REST shapes for the detector: the raw series goes in as two FP64
 * tensors, `timestamp` (unix seconds) and `value`, shape [n]; `score` (FP64, lower is more anomalous, as
 * sklearn's score_samples) and `label` (INT64, -1 anomaly / 1 normal) come out.
 * Spec: https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
 */
import { MODEL_PROPERTY } from "@aiops/contract";
import { HttpError } from "./http-error";
import type { Point } from "./series";
import type { LoadedModel } from "./registry";

export const INPUT_NAMES = ["timestamp", "value"] as const;
export const OUTPUT_NAMES = ["score", "label"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** Platform string in model metadata ("<project>_<format>"). */
export const PLATFORM = "aiops_iforest";

/**
 * Most points one infer request may carry: 100,000 (a week of 10-s samples is 60,480). Scoring that many
 * takes about 60 MiB on the scoring worker, so three at once still fit the smallest container limit
 * (256 MiB); more gets 413. See the README's limits table.
 */
export const MAX_POINTS_PER_REQUEST = 100_000;

const DATATYPES = [
    "BOOL",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "FP16",
    "FP32",
    "FP64",
    "BYTES",
    "BF16",
];

/**
 * Checks the structure of an infer request body (what a JSON Schema of the OIP request would check), with
 * messages in ajv's words ("body/inputs/0/shape/0 must be integer") as the first server, on fastify, gave.
 * Element checks (finite numbers, lengths, names) are in parseInferRequest, which gives messages that name
 * the input and the index. Throws OipRequestError (400).
 */
export function validateInferRequestBody(body: unknown): asserts body is InferRequestBody {
    const fail = (where: string, what: string): never => {
        throw new OipRequestError(`invalid inference request: ${where} ${what}`);
    };
    const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
    if (!isObj(body)) fail("body", "must be object");
    const b = body as Record<string, unknown>;
    if (!("inputs" in b)) fail("body", "must have required property 'inputs'");
    if (b.id !== undefined && typeof b.id !== "string") fail("body/id", "must be string");
    if (b.parameters !== undefined && !isObj(b.parameters)) fail("body/parameters", "must be object");
    if (!Array.isArray(b.inputs)) fail("body/inputs", "must be array");
    const inputs = b.inputs as unknown[];
    if (inputs.length < 1) fail("body/inputs", "must NOT have fewer than 1 items");
    inputs.forEach((input, i) => {
        const at = `body/inputs/${i}`;
        if (!isObj(input)) fail(at, "must be object");
        const x = input as Record<string, unknown>;
        for (const key of ["name", "shape", "datatype", "data"]) if (!(key in x)) fail(at, `must have required property '${key}'`);
        if (typeof x.name !== "string") fail(`${at}/name`, "must be string");
        if (!Array.isArray(x.shape)) fail(`${at}/shape`, "must be array");
        (x.shape as unknown[]).forEach((d, j) => {
            if (typeof d !== "number" || !Number.isInteger(d)) fail(`${at}/shape/${j}`, "must be integer");
            if ((d as number) < 0) fail(`${at}/shape/${j}`, "must be >= 0");
        });
        if (typeof x.datatype !== "string") fail(`${at}/datatype`, "must be string");
        if (!DATATYPES.includes(x.datatype as string)) fail(`${at}/datatype`, "must be equal to one of the allowed values");
        if (x.parameters !== undefined && !isObj(x.parameters)) fail(`${at}/parameters`, "must be object");
        if (!Array.isArray(x.data)) fail(`${at}/data`, "must be array");
    });
    if (b.outputs !== undefined) {
        if (!Array.isArray(b.outputs)) fail("body/outputs", "must be array");
        (b.outputs as unknown[]).forEach((o, i) => {
            if (!isObj(o)) fail(`body/outputs/${i}`, "must be object");
            if (!("name" in (o as object))) fail(`body/outputs/${i}`, "must have required property 'name'");
            if (typeof (o as Record<string, unknown>).name !== "string") fail(`body/outputs/${i}/name`, "must be string");
        });
    }
}

export interface InferRequestBody {
    id?: string;
    parameters?: Record<string, unknown>;
    inputs: Array<{ name: string; shape: number[]; datatype: string; parameters?: Record<string, unknown>; data: unknown[] }>;
    outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

export interface InferRequest {
    id?: string;
    /** Unix seconds, one per point, in input order. */
    timestamps: Float64Array;
    /** Values, one per point, in input order. */
    values: Float64Array;
    outputs: OutputName[];
}

/** The points of a parsed request as objects (the feature code's input). */
export function requestPoints(req: Pick<InferRequest, "timestamps" | "values">): Point[] {
    const points: Point[] = new Array(req.timestamps.length);
    for (let i = 0; i < points.length; i++) points[i] = { timestamp: req.timestamps[i], value: req.values[i] };
    return points;
}

/** A request the client must fix; the server answers it with `status` and `{"error": message}`. */
export class OipRequestError extends HttpError {
    constructor(message: string, status = 400) {
        super(status, message);
        this.name = "OipRequestError";
    }
}

/**
 * Checks a schema-valid infer request against this model's signature and returns the series.
 * Throws OipRequestError naming the input, element or output that is wrong.
 */
export function parseInferRequest(body: InferRequestBody): InferRequest {
    const columns = new Map<string, Float64Array>();
    for (const input of body.inputs) {
        const name = input.name;
        if (!(INPUT_NAMES as readonly string[]).includes(name)) {
            throw new OipRequestError(`unknown input '${name}'; the model takes inputs 'timestamp' and 'value' (FP64, shape [n])`);
        }
        if (columns.has(name)) throw new OipRequestError(`input '${name}' is given more than once`);
        if (input.datatype !== "FP64") {
            throw new OipRequestError(`input '${name}' has datatype ${input.datatype}; expected FP64`);
        }
        if (input.shape.length !== 1) {
            throw new OipRequestError(`input '${name}' has shape [${input.shape.join(", ")}]; expected one dimension [n]`);
        }
        if (input.shape[0] > MAX_POINTS_PER_REQUEST || input.data.length > MAX_POINTS_PER_REQUEST) {
            throw new OipRequestError(
                `input '${name}' has ${Math.max(input.shape[0], input.data.length)} points; one request takes at most ${MAX_POINTS_PER_REQUEST}: split the series into several requests`,
                413,
            );
        }
        columns.set(name, readFp64(name, input.shape[0], input.data));
    }
    const missing = INPUT_NAMES.filter((n) => !columns.has(n));
    if (missing.length > 0) {
        throw new OipRequestError(
            `missing input ${missing.map((n) => `'${n}'`).join(" and ")}; the model takes inputs 'timestamp' and 'value' (FP64, shape [n])`,
        );
    }
    const ts = columns.get("timestamp") as Float64Array;
    const values = columns.get("value") as Float64Array;
    if (ts.length !== values.length) {
        throw new OipRequestError(
            `inputs 'timestamp' (${ts.length} points) and 'value' (${values.length} points) must have the same length`,
        );
    }
    if (ts.length === 0) throw new OipRequestError("inputs are empty; send at least one point");
    return { id: body.id, timestamps: ts, values, outputs: parseOutputs(body.outputs) };
}

function parseOutputs(requested: InferRequestBody["outputs"]): OutputName[] {
    if (requested === undefined || requested.length === 0) return [...OUTPUT_NAMES];
    const names: OutputName[] = [];
    for (const { name } of requested) {
        if (!(OUTPUT_NAMES as readonly string[]).includes(name)) {
            throw new OipRequestError(`unknown output '${name}'; the model produces 'score' (FP64) and 'label' (INT64)`);
        }
        if (!names.includes(name as OutputName)) names.push(name as OutputName);
    }
    return names;
}

/**
 * Flattens (OIP allows nested row-major data) and checks every element is a finite number.
 * JSON has no NaN, so clients send null or the string "NaN" for missing points: both are rejected.
 */
function readFp64(name: string, n: number, data: unknown[]): Float64Array {
    // The body parser caps nesting (MAX_JSON_DEPTH), so flat() cannot recurse deep enough to overflow the stack.
    const flat = data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
    if (flat.length !== n) {
        throw new OipRequestError(`input '${name}' has shape [${n}] but ${flat.length} data elements; they must match`);
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
        const x = flat[i];
        if (typeof x !== "number" || !Number.isFinite(x)) {
            throw new OipRequestError(
                `input '${name}' data[${i}] is ${describe(x)}; expected a finite FP64 number (JSON has no NaN: drop or fill missing points)`,
            );
        }
        out[i] = x;
    }
    return out;
}

function describe(x: unknown): string {
    if (x === null) return "null";
    if (typeof x === "string") return `the string ${JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}...` : x)}`;
    if (typeof x === "number") return String(x);
    return `a ${Array.isArray(x) ? "array" : typeof x}`;
}

export interface OutputTensor {
    name: OutputName;
    shape: [number];
    datatype: "FP64" | "INT64";
    data: number[];
}

export interface InferResponse {
    model_name: string;
    model_version: string;
    id: string;
    outputs: OutputTensor[];
}

/** Scores and labels of one request, one per point in input order. */
export interface ScoredRows {
    scores: ArrayLike<number>;
    labels: ArrayLike<number>;
}

/**
 * The infer response's JSON text, with the requested outputs in the requested order: exactly the text
 * JSON.stringify writes for the InferResponse object, built directly because this runs for every request.
 * A typed array's join writes each finite number as Number#toString, the digits JSON.stringify writes,
 * 3-4x faster than stringifying an array copy (about 50 us of a 360-point request); any non-finite value
 * takes the JSON.stringify path, which writes it as null.
 */
export function inferResponseJson(
    model: Pick<LoadedModel, "name" | "version">,
    id: string,
    scored: ScoredRows,
    outputs: readonly OutputName[],
): string {
    const n = scored.scores.length;
    const tensors = outputs.map((name) => {
        const fp64 = name === "score";
        const data = numbersJson(fp64 ? scored.scores : scored.labels);
        return `{"name":"${name}","shape":[${n}],"datatype":"${fp64 ? "FP64" : "INT64"}","data":${data}}`;
    });
    const head = `{"model_name":${JSON.stringify(model.name)},"model_version":${JSON.stringify(model.version)},"id":${JSON.stringify(id)}`;
    return `${head},"outputs":[${tensors.join(",")}]}`;
}

/** A JSON array of numbers (see inferResponseJson). */
export function numbersJson(xs: ArrayLike<number>): string {
    for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) return JSON.stringify(Array.from(xs));
    const join = (xs as { join?: (sep: string) => string }).join;
    return `[${typeof join === "function" ? join.call(xs, ",") : Array.prototype.join.call(xs, ",")}]`;
}

export interface TensorMetadata {
    name: string;
    datatype: string;
    shape: number[];
}

export interface ModelMetadata {
    name: string;
    versions: string[];
    platform: string;
    inputs: TensorMetadata[];
    outputs: TensorMetadata[];
    /** Non-standard but allowed by the OpenAPI spec's metadata_model_response: string properties. */
    properties: Record<string, string>;
}

export function buildModelMetadata(m: LoadedModel): ModelMetadata {
    const { model } = m;
    return {
        name: m.name,
        versions: [m.version],
        platform: PLATFORM,
        inputs: [
            { name: "timestamp", datatype: "FP64", shape: [-1] },
            { name: "value", datatype: "FP64", shape: [-1] },
        ],
        outputs: [
            { name: "score", datatype: "FP64", shape: [-1] },
            { name: "label", datatype: "INT64", shape: [-1] },
        ],
        properties: {
            feature_set: model.featureSet,
            features: model.features.join(","),
            trees: String(model.params.trees),
            contamination: String(model.params.contamination),
            offset: String(model.offset),
            created_at: model.createdAt,
            training_start: new Date(model.training.start * 1000).toISOString(),
            training_end: new Date(model.training.end * 1000).toISOString(),
            training_points: String(model.training.points),
            // Contract keys the MCP tool and the scorer read: fetch lookback_points x training_step_seconds of
            // history before an asked window, score it all, report the window only.
            [MODEL_PROPERTY.lookbackPoints]: String(model.lookbackPoints),
            [MODEL_PROPERTY.stepSeconds]: String(Math.round(model.stepSeconds)),
            score_convention: "lower is more anomalous; label -1 = anomaly, 1 = normal",
        },
    };
}
