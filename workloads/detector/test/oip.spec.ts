import { expect } from "chai";
import {
    buildModelMetadata,
    inferResponseJson,
    InferRequestBody,
    InferResponse,
    numbersJson,
    OipRequestError,
    parseInferRequest,
    requestPoints,
} from "../src/oip";
import type { LoadedModel } from "../src/registry";
import { prng, smallModel } from "./server-helpers";

function body(timestamps: unknown[], values: unknown[], extra: Partial<InferRequestBody> = {}): InferRequestBody {
    return {
        inputs: [
            { name: "timestamp", shape: [timestamps.length], datatype: "FP64", data: timestamps },
            { name: "value", shape: [values.length], datatype: "FP64", data: values },
        ],
        ...extra,
    };
}

function errorOf(fn: () => unknown): OipRequestError {
    try {
        fn();
    } catch (err) {
        expect(err).to.be.instanceOf(OipRequestError);
        return err as OipRequestError;
    }
    throw new Error("expected an OipRequestError");
}

describe("detector OIP request parsing", () => {
    it("turns the two FP64 tensors into points in input order, in either input order", () => {
        const b = body([10, 20, 30], [1.5, 2.5, 3.5], { id: "r1" });
        b.inputs.reverse();
        const req = parseInferRequest(b);
        expect(req.id).to.equal("r1");
        expect(requestPoints(req)).to.deep.equal([
            { timestamp: 10, value: 1.5 },
            { timestamp: 20, value: 2.5 },
            { timestamp: 30, value: 3.5 },
        ]);
        expect(req.outputs).to.deep.equal(["score", "label"]);
    });

    it("accepts nested (row-major) data as OIP allows", () => {
        const b = body([[1], [2]], [[5], [6]]);
        expect(requestPoints(parseInferRequest(b)).map((p) => p.value)).to.deep.equal([5, 6]);
    });

    it("honours the outputs filter and rejects unknown outputs", () => {
        expect(parseInferRequest(body([1], [2], { outputs: [{ name: "label" }] })).outputs).to.deep.equal(["label"]);
        expect(errorOf(() => parseInferRequest(body([1], [2], { outputs: [{ name: "proba" }] }))).message).to.match(
            /unknown output 'proba'/,
        );
    });

    const cases: Array<[string, InferRequestBody, RegExp]> = [
        ["a missing input", { inputs: [{ name: "value", shape: [1], datatype: "FP64", data: [1] }] }, /missing input 'timestamp'/],
        ["an unknown input", { inputs: [{ name: "cpu", shape: [1], datatype: "FP64", data: [1] }] }, /unknown input 'cpu'/],
        [
            "a repeated input",
            { inputs: [...body([1], [1]).inputs, { name: "value", shape: [1], datatype: "FP64", data: [1] }] },
            /'value' is given more than once/,
        ],
        [
            "a wrong datatype",
            { inputs: [{ name: "timestamp", shape: [1], datatype: "BYTES", data: ["x"] }] },
            /'timestamp' has datatype BYTES; expected FP64/,
        ],
        [
            "a 2-D shape",
            { inputs: [{ name: "value", shape: [1, 1], datatype: "FP64", data: [1] }] },
            /shape \[1, 1\]; expected one dimension/,
        ],
        [
            "shape and data that disagree",
            { inputs: [{ name: "value", shape: [3], datatype: "FP64", data: [1, 2] }] },
            /shape \[3\] but 2 data elements/,
        ],
        ["null for NaN", body([1, 2], [1, null]), /'value' data\[1\] is null; expected a finite FP64 number/],
        ["the string NaN", body([1, 2], ["NaN", 1]), /'value' data\[0\] is the string "NaN"/],
        ["a numeric string", body(["1", 2], [1, 1]), /'timestamp' data\[0\] is the string "1"/],
        ["lengths that differ", body([1, 2, 3], [1, 2]), /'timestamp' \(3 points\) and 'value' \(2 points\) must have the same length/],
        ["an empty series", body([], []), /at least one point/],
    ];
    for (const [what, b, message] of cases) {
        it(`rejects ${what} with a 400 that names the problem`, () => {
            const err = errorOf(() => parseInferRequest(b));
            expect(err.status).to.equal(400);
            expect(err.message).to.match(message);
        });
    }
});

describe("detector OIP responses", () => {
    const loaded: LoadedModel = { name: "cpu", version: "0123456789ab", file: "/m/cpu.json", model: smallModel("cpu") };

    it("builds score (FP64) and label (INT64) tensors of shape [n] in the requested order", () => {
        const res = JSON.parse(
            inferResponseJson(loaded, "42", { scores: Float64Array.of(-0.4, -0.7), labels: [1, -1] }, ["label", "score"]),
        ) as InferResponse;
        expect(res).to.deep.equal({
            model_name: "cpu",
            model_version: "0123456789ab",
            id: "42",
            outputs: [
                { name: "label", shape: [2], datatype: "INT64", data: [1, -1] },
                { name: "score", shape: [2], datatype: "FP64", data: [-0.4, -0.7] },
            ],
        });
    });

    it("writes exactly the text JSON.stringify writes for the response object, whatever the numbers and names", () => {
        const random = prng(11);
        const tricky = [-0.4123456789012345, 0.1 + 0.2, -0, 0, 5e-324, 1.7976931348623157e308, 1e21, -1e-7, 123456789012345680000];
        const scores = Float64Array.from({ length: 500 }, (_, i) => (i < tricky.length ? tricky[i] : -random() * (i % 7 === 0 ? 1e-9 : 1)));
        const labels = Int8Array.from(scores, (x) => (x < -0.5 ? -1 : 1));
        const model = { name: 'we"ird\\name\u2028', version: "v1" };
        for (const outputs of [["score", "label"], ["label"], ["score"], []] as const) {
            const expected = JSON.stringify({
                model_name: model.name,
                model_version: model.version,
                id: "id\n7",
                outputs: outputs.map((name) => ({
                    name,
                    shape: [scores.length],
                    datatype: name === "score" ? "FP64" : "INT64",
                    data: Array.from(name === "score" ? scores : labels),
                })),
            });
            expect(inferResponseJson(model, "id\n7", { scores, labels }, outputs)).to.equal(expected);
        }
    });

    it("writes a non-finite number as null, as JSON.stringify does, so the answer stays valid JSON", () => {
        expect(numbersJson(Float64Array.of(-0.5, NaN, Infinity))).to.equal("[-0.5,null,null]");
        expect(numbersJson([1, -1])).to.equal("[1,-1]");
        expect(numbersJson({ length: 2, 0: 3, 1: 4 })).to.equal("[3,4]");
        expect(numbersJson(new Float64Array(0))).to.equal("[]");
    });

    it("describes the signature, platform, version and training facts in model metadata", () => {
        const meta = buildModelMetadata(loaded);
        expect(meta.name).to.equal("cpu");
        expect(meta.versions).to.deep.equal(["0123456789ab"]);
        expect(meta.platform).to.equal("aiops_iforest");
        expect(meta.inputs).to.deep.equal([
            { name: "timestamp", datatype: "FP64", shape: [-1] },
            { name: "value", datatype: "FP64", shape: [-1] },
        ]);
        expect(meta.outputs.map((o) => `${o.name}:${o.datatype}`)).to.deep.equal(["score:FP64", "label:INT64"]);
        expect(meta.properties.features).to.equal(loaded.model.features.join(","));
        expect(meta.properties.training_points).to.equal("1500");
        // The contract's keys (MODEL_PROPERTY): the history clients fetch before a window.
        expect(meta.properties.lookback_points).to.equal(String(loaded.model.lookbackPoints));
        expect(meta.properties.lookback_points).to.equal(loaded.model.featureSet === "seed" ? "4" : "290");
        expect(meta.properties.training_step_seconds).to.equal(String(loaded.model.stepSeconds));
    });
});
