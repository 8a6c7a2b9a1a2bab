import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURE_SETS } from "../src/features";
import { CHUNK_ROWS, KernelForest, kernelModuleBytes, sleb, uleb } from "../src/forest-kernel";
import { averagePathLength, fitForest, heightLimit, offsetFor, percentile, scoreSamples, toFloat32Matrix, type Tree } from "../src/iforest";
import { MODEL_FORMAT, MODEL_VERSION, parseModelFile, scoreRows } from "../src/model";
import { Random } from "../src/random";

interface Scored {
    rows: [number, number];
    scores: number[];
    labels: (1 | -1)[];
}
interface ExactFixture {
    sklearn: string;
    points: { timestamp: number; value: number }[];
    seedFeatures: number[][];
    model: {
        featureSet: "seed";
        params: { trees: number; maxSamples: number; contamination: number; seed: number };
        maxSamplesUsed: number;
        offset: number;
        trees: Tree[];
    };
    train: Scored;
    heldOut: Scored;
}
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures", "sklearn-exact.json"), "utf8")) as ExactFixture;

/** The sklearn-fitted forest wrapped as one of our model files (drift is irrelevant here). */
function sklearnModelFile(): unknown {
    const names = [...FEATURE_SETS.seed];
    return {
        format: MODEL_FORMAT,
        version: MODEL_VERSION,
        name: "sklearn-export",
        createdAt: "2026-11-23T00:00:00.000Z",
        featureSet: "seed",
        features: names,
        featureParams: { scaleFloor: 1 },
        training: {
            start: fixture.points[0].timestamp,
            end: fixture.points[fixture.train.rows[1] - 1].timestamp,
            points: fixture.train.rows[1],
        },
        params: fixture.model.params,
        maxSamplesUsed: fixture.model.maxSamplesUsed,
        offset: fixture.model.offset,
        trees: fixture.model.trees,
        drift: names.map((name) => ({ name, edges: [0], fractions: [0.5, 0.5] })),
    };
}

describe("exact scoring against scikit-learn", () => {
    const model = parseModelFile(JSON.parse(JSON.stringify(sklearnModelFile())), "sklearn fixture");

    for (const part of ["train", "heldOut"] as const) {
        it(`reproduces score_samples within 1e-9 and predict exactly on the ${part} rows`, () => {
            const {
                rows: [from, to],
                scores,
                labels,
            } = fixture[part];
            const got = scoreRows(model, fixture.seedFeatures.slice(from, to));
            let worst = 0;
            scores.forEach((s, i) => (worst = Math.max(worst, Math.abs(got.scores[i] - s))));
            expect(worst).to.be.below(1e-9);
            expect(got.labels).to.deep.equal(labels);
        });
    }

    it("recomputes sklearn's offset_ from our training scores (numpy percentile, linear)", () => {
        const {
            rows: [from, to],
        } = fixture.train;
        const ours = scoreRows(model, fixture.seedFeatures.slice(from, to)).scores;
        expect(Math.abs(offsetFor(ours, fixture.model.params.contamination) - fixture.model.offset)).to.be.below(1e-9);
        const [, n] = fixture.train.rows;
        expect(fixture.train.labels.filter((l) => l === -1).length).to.be.within(Math.floor(0.05 * n) - 3, Math.ceil(0.05 * n));
    });

    it("casts inputs to float32 before comparing, as sklearn does", () => {
        // 2^24 + 1 is not a float32; it rounds to 2^24, which equals the threshold, so sklearn goes left.
        const tree: Tree = {
            left: [1, -1, -1],
            right: [2, -1, -1],
            feature: [0, -2, -2],
            threshold: [16777216, -2, -2],
            samples: [4, 1, 3],
        };
        const forest = { trees: [tree], maxSamplesUsed: 4, nFeatures: 1 };
        const [left, right] = scoreSamples(forest, toFloat32Matrix([[16777217], [16777218]], 1), 2);
        expect(left).to.equal(-Math.pow(2, -(1 + averagePathLength(1)) / averagePathLength(4)));
        expect(right).to.equal(-Math.pow(2, -(1 + averagePathLength(3)) / averagePathLength(4)));
    });
});

describe("isolation forest maths", () => {
    it("c(n) has sklearn's special cases and values", () => {
        expect(averagePathLength(0)).to.equal(0);
        expect(averagePathLength(1)).to.equal(0);
        expect(averagePathLength(2)).to.equal(1);
        expect(averagePathLength(3)).to.be.closeTo(1.207392357589623, 1e-15);
        expect(averagePathLength(256)).to.be.closeTo(10.244770920119917, 1e-13);
    });

    it("height limit is ceil(log2(max_samples))", () => {
        expect(heightLimit(256)).to.equal(8);
        expect(heightLimit(200)).to.equal(8);
        expect(heightLimit(1)).to.equal(1);
    });

    it("percentile interpolates linearly like numpy", () => {
        expect(percentile([4, 1, 3, 2], 50)).to.equal(2.5);
        expect(percentile([1, 2, 3, 4, 5], 5)).to.be.closeTo(1.2, 1e-15);
        expect(percentile([7], 5)).to.equal(7);
        expect(offsetFor([1, 2], "auto")).to.equal(-0.5);
    });
});

describe("fitForest", () => {
    const rng = new Random(3);
    const n = 600;
    const rows = Array.from({ length: n }, () => [rng.next() * 10, rng.next(), 4]); // feature 2 is constant
    rows[17] = [40, 0.5, 4]; // an obvious outlier
    const x = toFloat32Matrix(rows, 3);
    const forest = fitForest(x, n, 3, { trees: 50, maxSamples: 256, seed: 11 });

    it("respects the subsample, the height limit and the split rules", () => {
        for (const t of forest.trees) {
            expect(t.samples[0]).to.equal(256);
            const depth = (node: number): number => (t.left[node] === -1 ? 0 : 1 + Math.max(depth(t.left[node]), depth(t.right[node])));
            expect(depth(0)).to.be.at.most(8);
            t.left.forEach((l, i) => {
                if (l === -1) return;
                expect(t.feature[i]).to.not.equal(2); // constant features are never split on
                expect(t.samples[l] + t.samples[t.right[i]]).to.equal(t.samples[i]);
                expect(t.samples[l]).to.be.above(0); // threshold in [min, max): both sides non-empty
                expect(t.samples[t.right[i]]).to.be.above(0);
            });
        }
    });

    it("scores the outlier lowest and stays in [-1, 0)", () => {
        const scores = scoreSamples(forest, x, n);
        const lowest = scores.indexOf(Math.min(...scores));
        expect(lowest).to.equal(17);
        for (const s of scores) expect(s).to.be.within(-1, 0);
    });

    it("is reproducible for a seed and changes with the seed", () => {
        const again = fitForest(x, n, 3, { trees: 50, maxSamples: 256, seed: 11 });
        expect(again.trees).to.deep.equal(forest.trees);
        const other = fitForest(x, n, 3, { trees: 50, maxSamples: 256, seed: 12 });
        expect(other.trees).to.not.deep.equal(forest.trees);
    });

    it("uses every row when n < maxSamples, and makes a leaf when every feature is constant", () => {
        const small = fitForest(toFloat32Matrix([[1], [1], [1]], 1), 3, 1, { trees: 2, maxSamples: 256, seed: 1 });
        expect(small.maxSamplesUsed).to.equal(3);
        expect(small.trees[0]).to.deep.equal({ left: [-1], right: [-1], feature: [-2], threshold: [-2], samples: [3] });
        // Every row ends at the root leaf: h = c(3), so the score is -2^-1 = -0.5.
        expect(scoreSamples(small, toFloat32Matrix([[1]], 1), 1)[0]).to.equal(-0.5);
    });

    it("rejects an empty training set", () => {
        expect(() => fitForest(new Float32Array(0), 0, 1, { trees: 1, maxSamples: 256, seed: 1 })).to.throw(/0 rows/);
    });
});

describe("scoreSamples' complete-tree layout", () => {
    // The reference: sklearn's walk, node by node, summing edges + c(rows in the leaf) tree by tree.
    function walk(trees: Tree[], maxSamplesUsed: number, x: Float32Array, nRows: number, d: number): number[] {
        const out: number[] = [];
        for (let r = 0; r < nRows; r++) {
            let depth = 0;
            for (const t of trees) {
                let node = 0;
                let edges = 0;
                while (t.left[node] !== -1) {
                    node = x[r * d + t.feature[node]] <= t.threshold[node] ? t.left[node] : t.right[node];
                    edges++;
                }
                depth += edges + averagePathLength(t.samples[node]);
            }
            out.push(-Math.pow(2, -(depth / (trees.length * averagePathLength(maxSamplesUsed)))));
        }
        return out;
    }

    it("scores bit-identically to the node-by-node walk: unbalanced fitted trees, NaN rows, and a hand-made tree too deep to pad", () => {
        const rng = new Random(7);
        const n = 600;
        const d = 3;
        const x = new Float32Array(n * d);
        // Clustered data with outliers: leaves at many depths, so the padding is exercised.
        for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.02 ? 50 * rng.next() : rng.next();
        const forest = fitForest(x, n, d, { trees: 30, maxSamples: 256, seed: 3 });
        const probe = new Float32Array([...x.slice(0, 300), NaN, NaN, NaN, 0.5, NaN, 100]);
        const rows = probe.length / d;
        expect(Array.from(scoreSamples(forest, probe, rows))).to.deep.equal(walk(forest.trees, forest.maxSamplesUsed, probe, rows, d));
        // Rows are walked eight at a time with the rest one by one: every count from 1 to 17, NaN rows first
        // (inside a block of eight) and last (in the rest).
        const nanFirst = new Float32Array([NaN, 0.5, NaN, ...x.slice(0, 16 * d), 100, NaN, NaN]);
        for (let k = 1; k <= 17; k++) {
            for (const input of [probe.slice(-k * d), nanFirst.slice(0, k * d)]) {
                const expected = walk(forest.trees, forest.maxSamplesUsed, input, k, d);
                expect(Array.from(scoreSamples(forest, input, k)), `${k} rows, WebAssembly`).to.deep.equal(expected);
                expect(Array.from(scoreSamples(forest, input, k, "js")), `${k} rows, JavaScript`).to.deep.equal(expected);
            }
        }

        // A chain 14 deep (deeper than any fitted tree): walked node by node, as before.
        // Make it a proper pre-order tree: each step's right child is a leaf, the left continues the chain.
        const left: number[] = [];
        const right: number[] = [];
        const feature: number[] = [];
        const threshold: number[] = [];
        const samples: number[] = [];
        for (let k = 0; k < 14; k++) {
            left.push(2 * k + 2, -1);
            right.push(2 * k + 1, -1);
            feature.push(k % d, -2);
            threshold.push(k / 14, -2);
            samples.push(30 - k, k + 1);
        }
        left.push(-1);
        right.push(-1);
        feature.push(-2);
        threshold.push(-2);
        samples.push(2);
        // Children must come after their parent: right leaf at 2k + 1, next chain node at 2k + 2.
        const deep: Tree = { left, right, feature, threshold, samples };
        const trees = [forest.trees[0], deep, forest.trees[1]];
        expect(Array.from(scoreSamples({ trees, maxSamplesUsed: 256, nFeatures: d }, probe, rows))).to.deep.equal(
            walk(trees, 256, probe, rows, d),
        );
    });
});

// Node's WebAssembly global (the TypeScript lib settings here omit it), as far as this test reads it.
declare const WebAssembly: {
    validate(bytes: Uint8Array): boolean;
    Module: { new (bytes: Uint8Array): object; exports(module: object): { name: string; kind: string }[] };
};

describe("scoreSamples' WebAssembly kernel (forest-kernel.ts)", () => {
    it("is a valid module exporting walk and its memory", () => {
        const bytes = kernelModuleBytes();
        expect(WebAssembly.validate(bytes)).to.equal(true);
        const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${e.kind}:${e.name}`);
        expect(exports.sort()).to.deep.equal(["function:walk", "memory:memory"]);
    });

    it("encodes LEB128 as the WebAssembly spec's examples, both signs and several bytes", () => {
        expect(uleb(0)).to.deep.equal([0]);
        expect(uleb(127)).to.deep.equal([0x7f]);
        expect(uleb(624485)).to.deep.equal([0xe5, 0x8e, 0x26]);
        expect(sleb(2)).to.deep.equal([0x02]);
        expect(sleb(63)).to.deep.equal([0x3f]);
        expect(sleb(64)).to.deep.equal([0xc0, 0x00]);
        expect(sleb(-1)).to.deep.equal([0x7f]);
        expect(sleb(-64)).to.deep.equal([0x40]);
        expect(sleb(-123456)).to.deep.equal([0xc0, 0xbb, 0x78]);
    });

    it("is what scores on Node.js (WebAssembly is there): a kernel forest is built", () => {
        expect(KernelForest.create([], 1)).to.be.instanceOf(KernelForest);
    });

    it("scores bit-identically to the JavaScript walk across chunks, shallow and full trees, and other widths", () => {
        const rng = new Random(11);
        for (const [d, maxSamples, nRows] of [
            [1, 8, 9],
            [5, 256, 2 * CHUNK_ROWS + 37],
            [7, 64, 300],
        ] as const) {
            const x = new Float32Array(nRows * d);
            for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.03 ? 20 * rng.next() : rng.next();
            x[3 * d] = NaN;
            const forest = fitForest(x, nRows, d, { trees: 25, maxSamples, seed: d });
            const js = scoreSamples(forest, x, nRows, "js");
            expect(Array.from(scoreSamples(forest, x, nRows)), `d=${d}, ${nRows} rows`).to.deep.equal(Array.from(js));
        }
        // Constant training data: every tree is a single leaf (depth 0, no internal slot).
        const flat = fitForest(new Float32Array(40).fill(3), 20, 2, { trees: 5, maxSamples: 16, seed: 1 });
        expect(flat.trees.every((t) => t.left.length === 1)).to.equal(true);
        const probe = Float32Array.from([3, 3, 0, 100, NaN, 1]);
        expect(Array.from(scoreSamples(flat, probe, 3))).to.deep.equal(Array.from(scoreSamples(flat, probe, 3, "js")));
    });
});
