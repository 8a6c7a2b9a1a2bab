import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    binFractions,
    adjacentRows,
    DEFAULT_TRAIN_OPTIONS,
    EVENT_POINTS,
    eventOffset,
    sampleBlocks,
    featureDistribution,
    featureRows,
    loadModelFile,
    ModelFileError,
    MIN_OFFSET_ROWS,
    OFFSET_SAMPLE_ROWS,
    offsetRows,
    parseModelFile,
    scoreRows,
    type TrainingStats,
    scoreSeries,
    trainModel,
    type ModelFile,
} from "../src/model";
import { featureLookback } from "../src/features";
import type { Point } from "../src/series";
import { scoreInline } from "../src/scoring";

const T0 = 1_700_000_000;
function synthetic(n: number): Point[] {
    return Array.from({ length: n }, (_, i) => ({
        timestamp: T0 + 10 * i,
        value: 40 + 5 * Math.sin(i / 20) + ((i * 7919) % 13) / 13 + (i === 500 ? 60 : 0),
    }));
}

describe("trainModel", () => {
    const points = synthetic(1000);
    const model = trainModel(points, { name: "node-cpu" });

    it("records name, features, training window, parameters and offset", () => {
        expect(model).to.include({ format: "aiops-iforest", version: 1, name: "node-cpu", featureSet: "default", maxSamplesUsed: 256 });
        expect(model.features).to.deep.equal(["robust_z", "noise_step_z", "level_shift_z", "spread_ratio", "trend_z"]);
        expect(model.training).to.deep.equal({ start: T0, end: T0 + 9990, points: 1000 });
        expect(model.params).to.deep.equal({ trees: 100, maxSamples: 256, contamination: DEFAULT_TRAIN_OPTIONS.contamination, seed: 42 });
        expect(model.trees).to.have.length(100);
        expect(model.offset).to.be.within(-1, 0);
        expect(model.featureParams.scaleFloor).to.be.above(0);
    });

    it("flags about the contamination share of the fully formed training rows, including the spike", () => {
        const scored = scoreSeries(model, points);
        // The offset comes from the 710 rows after the 290-point lookback: 1.4% of them (9.94 rows; the row that
        // would overspend stays normal); the warm-up rows before, with half-empty baselines, are not what serving
        // scores. The flags are lone points here, so the event budget flags what sklearn's percentile would.
        const flagged = scored.slice(featureLookback("default")).filter((p) => p.label === -1).length;
        expect(flagged).to.be.within(9, 10);
        expect(scored[500].label).to.equal(-1);
    });

    it("round-trips through JSON and parseModelFile, scoring identically", () => {
        const reloaded = parseModelFile(JSON.parse(JSON.stringify(model)));
        expect(scoreSeries(reloaded, points.slice(0, 360))).to.deep.equal(scoreSeries(model, points.slice(0, 360)));
    });

    it("is reproducible apart from createdAt", () => {
        const again = trainModel(points, { name: "node-cpu" });
        expect({ ...again, createdAt: "" }).to.deep.equal({ ...model, createdAt: "" });
    });

    it("trains the seed configuration too", () => {
        const seed = trainModel(points, { name: "seed", featureSet: "seed", contamination: 0.05, trees: 10 });
        expect(seed.features).to.deep.equal(["value", "rolling_mean", "rolling_std", "rate_of_change", "hour"]);
        expect(scoreSeries(seed, points).filter((p) => p.label === -1).length).to.be.within(45, 50);
        expect(trainModel(points, { name: "auto", contamination: "auto", trees: 5 }).offset).to.equal(-0.5);
    });

    it("records each feature's training distribution for drift", () => {
        expect(model.drift.map((d) => d.name)).to.deep.equal(model.features);
        for (const d of model.drift) {
            expect(d.fractions).to.have.length(d.edges.length + 1);
            expect(d.fractions.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-12);
            for (let i = 1; i < d.edges.length; i++) expect(d.edges[i]).to.be.above(d.edges[i - 1]);
        }
        expect(model.drift[0].edges).to.have.length(9); // deciles of a non-degenerate value column
    });

    it("lists every bad option in one error", () => {
        expect(() => trainModel(points, { name: "bad name", contamination: 0.7, trees: 0, maxSamples: 1.5, seed: -1 })).to.throw(
            /name must be .*contamination must be .*trees must be .*maxSamples must be .*seed must be/,
        );
        expect(() => trainModel([], { name: "x" })).to.throw(/empty/);
    });
});

describe("scoreSeries", () => {
    const model = trainModel(synthetic(800), { name: "m", trees: 30 });

    it("returns one result per input point in input order, with duplicates and out-of-order rows", () => {
        const window = synthetic(360).map((p) => ({ ...p, timestamp: p.timestamp + 100_000 }));
        const messy = [...window.slice(100, 200), ...window.slice(0, 100), window[150], window[150], ...window.slice(200).reverse()];
        const scored = scoreSeries(model, messy);
        expect(scored).to.have.length(messy.length);
        scored.forEach((s, i) => {
            expect(s.timestamp).to.equal(messy[i].timestamp);
            expect(s.value).to.equal(messy[i].value);
            expect(s.label === 1 || s.label === -1).to.equal(true);
        });
        // A row's score depends on its time position, not its place in the request.
        const sorted = scoreSeries(model, window);
        expect(scored[0].score).to.be.closeTo(sorted[100].score, 0.05);
    });

    it("scores a single point and rejects an empty series", () => {
        expect(scoreSeries(model, [{ timestamp: 0, value: 41 }])).to.have.length(1);
        expect(() => scoreSeries(model, [])).to.throw(/empty/);
    });

    it("exposes the feature rows it scores", () => {
        const rows = featureRows(model, synthetic(10));
        expect(rows).to.have.length(10);
        expect(rows[0]).to.have.length(5);
    });
});

describe("parseModelFile", () => {
    const good = trainModel(synthetic(300), { name: "m", trees: 3 });
    const mutate = (f: (m: Record<string, any>) => void): unknown => {
        const copy = JSON.parse(JSON.stringify(good)) as Record<string, any>;
        f(copy);
        return copy;
    };
    const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
        ["wrong format", (m) => (m.format = "sklearn-pickle"), /format must be "aiops-iforest"/],
        ["future version", (m) => (m.version = 2), /version must be 1/],
        ["missing name", (m) => delete m.name, /name must be a non-empty string/],
        ["unknown feature set", (m) => (m.featureSet = "fancy"), /featureSet must be one of seed, default/],
        ["features not matching the set", (m) => (m.features = ["value"]), /features must be \[robust_z, noise_step_z/],
        ["missing training window", (m) => delete m.training, /training must be an object/],
        ["bad contamination", (m) => (m.params.contamination = 0.9), /params.contamination/],
        ["tree count mismatch", (m) => m.trees.pop(), /trees has 2 trees but params.trees is 3/],
        ["child index out of range", (m) => (m.trees[1].left[0] = 99999), /trees\[1\].left\[0\] must be -1 or a node index/],
        ["child pointing backwards (a cycle)", (m) => (m.trees[0].right[0] = 0), /trees\[0\].right\[0\]/],
        ["NaN threshold (null in JSON)", (m) => (m.trees[2].threshold[0] = null), /trees\[2\].threshold\[0\] must be a finite number/],
        ["feature index out of range", (m) => (m.trees[0].feature[0] = 5), /trees\[0\].feature\[0\] must be a feature index in \[0, 5\)/],
        ["ragged tree arrays", (m) => m.trees[0].samples.pop(), /trees\[0\].samples has/],
        ["missing offset", (m) => delete m.offset, /offset must be a finite number/],
        ["drift of the wrong length", (m) => m.drift.pop(), /drift must have 5 entries/],
        ["missing scale floor", (m) => delete m.featureParams, /featureParams must be an object/],
        ["negative lookback", (m) => (m.lookbackPoints = -1), /lookbackPoints must be an integer >= 0/],
        [
            "lookback shorter than the features need",
            (m) => (m.lookbackPoints = 100),
            /lookbackPoints must be at least 290 for feature set default/,
        ],
        ["bad step", (m) => (m.stepSeconds = "10s"), /stepSeconds must be a number of seconds/],
    ];
    for (const [what, change, message] of cases) {
        it(`rejects ${what}`, () => {
            expect(() => parseModelFile(mutate(change), "m.json")).to.throw(ModelFileError, message);
        });
    }

    it("prefixes the source and rejects non-objects", () => {
        expect(() => parseModelFile([], "models/x.json")).to.throw(ModelFileError, /^models\/x.json: expected a JSON object, got an array/);
    });

    it("accepts the trained file", () => {
        expect(parseModelFile(JSON.parse(JSON.stringify(good)))).to.deep.equal(good);
    });

    it("reads a file written before lookbackPoints existed, and the old default set as default-v1", () => {
        const old = trainModel(synthetic(300), { name: "m", trees: 3, featureSet: "default-v1" });
        const json = JSON.parse(JSON.stringify(old)) as Record<string, any>;
        delete json.lookbackPoints;
        delete json.stepSeconds;
        json.featureSet = "default"; // what those files say
        const parsed = parseModelFile(json);
        expect(parsed).to.include({ featureSet: "default-v1", lookbackPoints: 290, stepSeconds: 0 });
        expect(scoreSeries(parsed, synthetic(300)).map((p) => p.score)).to.deep.equal(scoreSeries(old, synthetic(300)).map((p) => p.score));
    });
});

describe("training on more rows than the offset sample", () => {
    it("estimates the event offset on a sample of contiguous blocks: it flags about what the offset from every row flags", () => {
        const n = OFFSET_SAMPLE_ROWS + 8000;
        const stats: TrainingStats = {};
        const points = synthetic(n);
        const model = trainModel(points, { name: "big", trees: 10 }, stats);
        const { scores, labels } = scoreRows(model, featureRows(model, points));
        const lookback = featureLookback("default");
        const served = scores.slice(lookback);
        const adjacent = new Uint8Array(served.length).fill(1);
        adjacent[0] = 0;
        const exact = eventOffset(served, adjacent, DEFAULT_TRAIN_OPTIONS.contamination as number);
        const share = (cut: number) => served.filter((s) => s < cut).length / served.length;
        expect(labels.slice(lookback).filter((l) => l === -1).length / served.length).to.equal(share(model.offset));
        expect(share(model.offset)).to.be.closeTo(share(exact), 0.005);
        expect(stats.trainingFlagRate).to.be.closeTo(share(exact), 0.005); // on the sample
        expect(model.training.points).to.equal(n);
    });
});

describe("lookback and step recorded by every trained model", () => {
    it("records the features' lookback and the training step, for one series and for pooled series", () => {
        const one = trainModel(synthetic(400), { name: "m", trees: 2 });
        expect(one).to.include({ lookbackPoints: 290, stepSeconds: 10 });
        const seed = trainModel(synthetic(400), { name: "m", trees: 2, featureSet: "seed" });
        expect(seed).to.include({ lookbackPoints: 4, stepSeconds: 10 });
        const at5m = synthetic(400).map((p, i) => ({ ...p, timestamp: T0 + 300 * i }));
        const pooled = trainModel([at5m, at5m.slice(0, 200)], { name: "m", trees: 2 });
        expect(pooled).to.include({ lookbackPoints: 290, stepSeconds: 300 });
    });

    it("a window scored with lookbackPoints of history before it gets the labels of the whole series", () => {
        const points = synthetic(1000);
        const model = trainModel(points, { name: "m", trees: 20 });
        const whole = scoreSeries(model, points);
        for (const from of [300, 640, 940]) {
            const part = scoreSeries(model, points.slice(from - model.lookbackPoints, from + 60)).slice(model.lookbackPoints);
            part.forEach((p, i) => expect(p.score).to.be.closeTo(whole[from + i].score, 1e-12));
        }
    });
});

describe("loadModelFile", () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), "detector-model-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("loads a model written as JSON", () => {
        const model: ModelFile = trainModel(synthetic(200), { name: "disk", trees: 2 });
        writeFileSync(join(dir, "ok.json"), JSON.stringify(model));
        expect(loadModelFile(join(dir, "ok.json"))).to.deep.equal(model);
    });

    it("reports a missing or corrupt file as ModelFileError", () => {
        expect(() => loadModelFile(join(dir, "absent.json"))).to.throw(ModelFileError, /cannot read model file .*absent.json/);
        writeFileSync(join(dir, "bad.json"), "{ not json");
        expect(() => loadModelFile(join(dir, "bad.json"))).to.throw(ModelFileError, /bad.json is not valid JSON/);
    });
});

describe("drift bins", () => {
    it("puts values in (edge, edge] bins", () => {
        expect(binFractions([0, 1, 1.5, 2, 3, 10], [1, 2])).to.deep.equal([2 / 6, 2 / 6, 2 / 6]);
    });

    it("collapses repeated quantile edges of a lumpy feature", () => {
        const d = featureDistribution("x", [...new Array(90).fill(0), ...Array.from({ length: 10 }, (_, i) => i + 1)]);
        // numpy deciles: 0 eight times, then the 90th percentile interpolates between 0 and 1.
        expect(d.edges).to.have.length(2);
        expect(d.edges[0]).to.equal(0);
        expect(d.edges[1]).to.be.closeTo(0.1, 1e-12);
        expect(d.fractions).to.deep.equal([0.9, 0, 0.1]);
    });
});

describe("scoreInline (the server's path for small requests)", () => {
    // It skips the point objects and per-row arrays of featureRows + scoreRows for time-ordered input; the
    // scores, labels and feature rows must stay bit-identical to that reference path, for every feature set.
    const training: Point[] = Array.from({ length: 2000 }, (_, i) => ({
        timestamp: 1_600_000_000 + i * 300,
        value: 10 * Math.sin(i / 25) + ((i * 7919) % 101) / 25,
    }));
    for (const featureSet of ["seed", "default", "default-v1"] as const) {
        it(`matches featureRows + scoreRows bit for bit (${featureSet}), in order, with ties, and out of order`, () => {
            const model = trainModel(training, { name: "m", featureSet, trees: 15 });
            const inOrder = training.slice(500, 860);
            const ties = inOrder.map((p, i) => (i === 3 ? { ...p, timestamp: inOrder[2].timestamp } : p));
            const shuffled = [...inOrder.slice(200), ...inOrder.slice(0, 200)];
            for (const points of [inOrder, ties, shuffled, inOrder.slice(0, 1)]) {
                const got = scoreInline(
                    model,
                    Float64Array.from(points, (p) => p.timestamp),
                    Float64Array.from(points, (p) => p.value),
                );
                const rows = featureRows(model, points);
                const want = scoreRows(model, rows);
                expect(Array.from(got.scores)).to.deep.equal(Array.from(want.scores));
                expect(Array.from(got.labels)).to.deep.equal(want.labels);
                const flat = got.rows instanceof Float64Array ? Array.from(got.rows) : got.rows.flat();
                expect(flat).to.deep.equal(rows.flat());
            }
        });
    }
});

describe("the offset is taken from fully formed rows", () => {
    const lookback = featureLookback("default");

    it("lists each series' rows after its lookback, in pooled row numbers", () => {
        const rows = offsetRows([lookback + 200, 10, lookback + 100], "default");
        const expected = [
            ...Array.from({ length: 200 }, (_, i) => lookback + i),
            ...Array.from({ length: 100 }, (_, i) => lookback + 200 + 10 + lookback + i),
        ];
        expect(Array.from(rows ?? [])).to.deep.equal(expected);
    });

    it("uses every row for the seed set (sklearn's protocol) and when fewer than MIN_OFFSET_ROWS are fully formed", () => {
        expect(offsetRows([5000], "seed")).to.equal(undefined);
        expect(offsetRows([lookback + MIN_OFFSET_ROWS - 1], "default")).to.equal(undefined);
        expect(offsetRows([lookback + MIN_OFFSET_ROWS], "default")).to.have.length(MIN_OFFSET_ROWS);
    });

    // The bootstrap's first models: an hour or two of history per node, of which the first 290 rows (48 min at
    // 10 s) are warm-up rows that score low. With the cut over every row it falls among them: the threshold is
    // lower and a served level jump is flagged at fewer points.
    it("a model trained on two hours of three nodes flags more of a served level jump than with the cut over every row", () => {
        const node = (k: number, n: number, jumpFrom = Infinity): Point[] =>
            Array.from({ length: n }, (_, i) => ({
                timestamp: T0 + 10 * i,
                value: 30 + 5 * k + 2 * Math.sin(i / 30) + (((i * 7919 + k * 104729) % 101) / 101 - 0.5) * 1.5 + (i >= jumpFrom ? 4 : 0),
            }));
        const history = [0, 1, 2].map((k) => node(k, 720));
        const model = trainModel(history, { name: "bootstrap" });
        // The same forest with sklearn's cut: the 2% percentile of every training row's score.
        const everyRow = scoreRows(
            model,
            history.flatMap((s) => featureRows(model, s)),
        ).scores;
        const cutOverEveryRow = [...everyRow].sort((a, b) => a - b)[Math.floor(0.02 * (everyRow.length - 1))];
        expect(model.offset).to.be.above(cutOverEveryRow + 0.02);
        // Served: the lookback before a 60-point window whose last 20 points jumped by about two noise ranges.
        const served = scoreSeries(model, node(0, 720 + lookback + 60, 720 + lookback + 40).slice(720)).slice(lookback);
        const below = (points: typeof served, cut: number) => points.filter((p) => p.score < cut).length;
        const jump = served.slice(40);
        expect(below(jump, model.offset), "jump points flagged").to.be.at.least(below(jump, cutOverEveryRow) + 4);
        expect(below(served.slice(0, 40), model.offset), "calm points flagged").to.be.at.most(2);
    });
});

describe("eventOffset: the default set's flag budget counts a run of flags as one event", () => {
    const calm = (m: number) => Float64Array.from({ length: m }, (_, i) => -0.4 - 0.05 * (((i * 7919) % 101) / 101));
    const linked = (m: number) => {
        const a = new Uint8Array(m).fill(1);
        a[0] = 0;
        return a;
    };
    const flaggedBy = (scores: Float64Array, offset: number) => scores.filter((s) => s < offset).length;

    it("flags contamination x rows when the low scores are lone points, as sklearn's percentile does", () => {
        const scores = calm(1000);
        for (let k = 0; k < 10; k++) scores[50 + 97 * k] = -0.7 - 0.001 * k;
        const offset = eventOffset(scores, linked(1000), 0.01);
        expect(flaggedBy(scores, offset)).to.equal(10);
        expect(offset).to.be.above(-0.7).and.below(-0.4);
    });

    it("a sustained anomaly does not spend the whole budget: a later lone spike is still flagged", () => {
        const scores = calm(1000);
        for (let i = 100; i < 140; i++) scores[i] = -0.8; // 40 points in a row: 4 + 36 / 4 = 13 of the budget of 20
        for (let k = 0; k < 5; k++) scores[400 + 100 * k] = -0.7;
        const offset = eventOffset(scores, linked(1000), 0.02);
        expect(offset).to.be.above(-0.7);
        expect(flaggedBy(scores, offset)).to.be.at.least(45);
        // sklearn's 2% percentile stops inside the run: the lone spikes stay normal.
        expect([...scores].sort((a, b) => a - b)[20]).to.equal(-0.8);
    });

    it("flags at most EVENT_POINTS x contamination of the rows, even when the scores fall steadily in time", () => {
        const m = 2000;
        const scores = Float64Array.from({ length: m }, (_, i) => -0.4 - i / m / 10);
        const offset = eventOffset(scores, linked(m), 0.02);
        expect(flaggedBy(scores, offset))
            .to.be.at.most(EVENT_POINTS * 0.02 * m)
            .and.above(0.02 * m);
    });

    it("does not join runs across series or sample blocks", () => {
        expect(Array.from(adjacentRows(Int32Array.from([0, 1, 2, 3, 7, 8]), [2, 9]))).to.deep.equal([0, 1, 0, 1, 0, 1]);
        const rows = Int32Array.from({ length: 5120 }, (_, i) => 300 + i); // 10 blocks of OFFSET_BLOCK_ROWS
        const picked = sampleBlocks(rows, 2048, 42);
        expect(picked.length).to.equal(2048);
        for (let k = 1; k < picked.length; k++) expect(picked[k]).to.be.above(picked[k - 1]);
        const starts = Array.from(picked).filter((r, k) => k === 0 || r !== picked[k - 1] + 1);
        expect(starts).to.have.length.within(1, 4);
    });
});
