import { randomUUID } from "node:crypto";
import { DependencyError, excerpt, fetchWithin } from "./errors";

export interface Prediction {
    /** Lower = more anomalous. */
    readonly scores: number[];
    /** -1 = anomaly, 1 = normal. */
    readonly labels: number[];
}

interface InferResponse {
    outputs?: Array<{ name?: string; shape?: number[]; data?: unknown }>;
    error?: string;
}

/**
 * Largest detector answer read (bytes): an answer for 11,000 points is about 0.5 MB, and for the detector's
 * own cap of 100,000 points about 4.5 MB.
 */
export const DETECTOR_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/**
 * The range of scikit-learn's score_samples, which the detector returns: -2^(-E(h)/c(n)) lies in [-1, 0).
 * A score outside it (1e308, NaN spelt as a string) means the answer is not the detector's.
 */
export const SCORE_RANGE = [-1, 0] as const;

export interface DetectorClientOptions {
    /** Default DETECTOR_MAX_RESPONSE_BYTES. */
    readonly maxResponseBytes?: number;
}

/** Client of the detector's KServe Open Inference Protocol v2 REST API. It sends raw series only. */
export class DetectorClient {
    private readonly maxResponseBytes: number;

    constructor(
        readonly baseUrl: string,
        private readonly timeoutMs: number,
        opts: DetectorClientOptions = {},
    ) {
        this.maxResponseBytes = opts.maxResponseBytes ?? DETECTOR_MAX_RESPONSE_BYTES;
    }

    async infer(model: string, timestamps: readonly number[], values: readonly number[]): Promise<Prediction> {
        const url = new URL(`v2/models/${encodeURIComponent(model)}/infer`, this.baseUrl);
        const n = timestamps.length;
        const request = {
            id: randomUUID(),
            inputs: [
                { name: "timestamp", shape: [n], datatype: "FP64", data: timestamps },
                { name: "value", shape: [n], datatype: "FP64", data: values },
            ],
        };
        const { status, body } = await fetchWithin(
            "detector",
            url,
            { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) },
            this.timeoutMs,
            this.maxResponseBytes,
        );
        let parsed: InferResponse | undefined;
        try {
            parsed = JSON.parse(body) as InferResponse;
        } catch {
            parsed = undefined;
        }
        if (status >= 400) {
            const detail = parsed?.error ?? excerpt(body);
            const hint = status === 404 ? " (is the model deployed? check the MODEL_* settings)" : "";
            throw new DependencyError("detector", "http", url.href, `answered HTTP ${status} for model ${model}: ${detail}${hint}`);
        }
        if (parsed === undefined)
            throw new DependencyError("detector", "bad_response", url.href, `returned a non-JSON body: ${excerpt(body)}`);
        const scores = numericOutput(parsed, "score", n);
        const labels = numericOutput(parsed, "label", n);
        if (scores === undefined || labels === undefined) {
            throw new DependencyError(
                "detector",
                "bad_response",
                url.href,
                `returned no 'score' and 'label' outputs of length ${n}: ${excerpt(body)}`,
            );
        }
        // Nonsense values must not read as "no anomalies": labels are -1 or 1, scores lie in SCORE_RANGE.
        for (let i = 0; i < n; i++) {
            if (labels[i] !== -1 && labels[i] !== 1) {
                throw new DependencyError(
                    "detector",
                    "bad_response",
                    url.href,
                    `returned label ${labels[i]} at index ${i} for model ${model}; labels are -1 (anomaly) or 1`,
                );
            }
            if (!(scores[i] >= SCORE_RANGE[0] && scores[i] <= SCORE_RANGE[1])) {
                throw new DependencyError(
                    "detector",
                    "bad_response",
                    url.href,
                    `returned score ${scores[i]} at index ${i} for model ${model}; Isolation Forest scores lie in [${SCORE_RANGE[0]}, ${SCORE_RANGE[1]}]`,
                );
            }
        }
        return { scores, labels };
    }

    /** Resolves when the detector answers /v2/health/ready with 200. */
    async ready(timeoutMs: number = this.timeoutMs): Promise<void> {
        const url = new URL("v2/health/ready", this.baseUrl);
        const { status, body } = await fetchWithin("detector", url, {}, timeoutMs, 64 * 1024);
        if (status !== 200) throw new DependencyError("detector", "http", url.href, `is not ready (HTTP ${status}: ${excerpt(body)})`);
    }
}

function numericOutput(res: InferResponse, name: string, n: number): number[] | undefined {
    if (typeof res !== "object" || res === null || !Array.isArray(res.outputs)) return undefined;
    const out = res.outputs.find((o) => typeof o === "object" && o !== null && o.name === name);
    const data = out?.data;
    if (!Array.isArray(data)) return undefined;
    // OIP allows nested row-major tensors in JSON; a shape-[n] tensor nests one level at most (a [n, 1] tensor).
    // flat(Infinity) on a hostile answer nested thousands deep would overflow the stack.
    const flat = (data as unknown[]).some(Array.isArray) ? (data as unknown[]).flat(1) : (data as unknown[]);
    if (flat.length !== n || !flat.every((v) => typeof v === "number")) return undefined;
    return flat as number[];
}
