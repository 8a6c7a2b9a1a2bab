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

/** Client of the detector's KServe Open Inference Protocol v2 REST API. It sends raw series only. */
export class DetectorClient {
    constructor(
        readonly baseUrl: string,
        private readonly timeoutMs: number,
    ) {}

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
        return { scores, labels };
    }

    /** Resolves when the detector answers /v2/health/ready with 200. */
    async ready(): Promise<void> {
        const url = new URL("v2/health/ready", this.baseUrl);
        const { status, body } = await fetchWithin("detector", url, {}, this.timeoutMs);
        if (status !== 200) throw new DependencyError("detector", "http", url.href, `is not ready (HTTP ${status}: ${excerpt(body)})`);
    }
}

function numericOutput(res: InferResponse, name: string, n: number): number[] | undefined {
    const out = res.outputs?.find((o) => o.name === name);
    const data = out?.data;
    if (!Array.isArray(data)) return undefined;
    // OIP allows nested row-major tensors in JSON; flatten to be safe.
    const flat = (data as unknown[]).flat(Infinity);
    if (flat.length !== n || !flat.every((v) => typeof v === "number")) return undefined;
    return flat as number[];
}
