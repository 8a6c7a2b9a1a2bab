/**
 * Isolation Forest with scikit-learn's semantics (sklearn/ensemble/_iforest.py, 1.2):
 * - X is cast to float32 (Math.fround) before any comparison, as sklearn casts X to tree DTYPE;
 * - each tree sees min(maxSamples, n) rows drawn without replacement;
 * - a node splits on a feature drawn uniformly among those not constant in the node
 *   (constant = max <= min + 1e-7), at a threshold uniform in [min, max); rows go left when x <= t;
 * - a node is a leaf at depth ceil(log2(maxSamples)), with fewer than 2 rows, or when every feature is constant;
 * - path length = edges to the leaf + c(rows in the leaf); score_samples = -2^(-E[h] / c(maxSamples)).
 */
import { KernelForest } from "./forest-kernel";
import { Random } from "./random";

/** One tree as flat arrays; node 0 is the root; leaves have left = right = -1. */
export interface Tree {
    left: number[];
    right: number[];
    feature: number[];
    threshold: number[];
    samples: number[];
}

export interface Forest {
    trees: Tree[];
    /** Subsample size used in training: the normaliser c(maxSamplesUsed). */
    maxSamplesUsed: number;
    nFeatures: number;
}

export interface FitOptions {
    trees: number;
    maxSamples: number;
    seed: number;
}

// sklearn.tree._splitter FEATURE_THRESHOLD
const FEATURE_THRESHOLD = 1e-7;
const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful BST search, sklearn's _average_path_length. */
export function averagePathLength(n: number): number {
    if (n <= 1) return 0;
    if (n === 2) return 1;
    return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Height limit sklearn derives from max_samples. */
export function heightLimit(maxSamples: number): number {
    return Math.ceil(Math.log2(Math.max(maxSamples, 2)));
}

/** Row-major float32 copy of rows (sklearn's float32 cast of X). */
export function toFloat32Matrix(rows: readonly (readonly number[])[], nFeatures: number): Float32Array {
    const x = new Float32Array(rows.length * nFeatures);
    for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (r.length !== nFeatures) {
            throw new Error(`row ${i} has ${r.length} features, expected ${nFeatures}`);
        }
        for (let j = 0; j < nFeatures; j++) x[i * nFeatures + j] = r[j];
    }
    return x;
}

export function fitForest(x: Float32Array, nRows: number, nFeatures: number, opts: FitOptions): Forest {
    if (nRows < 1) throw new Error("cannot fit an isolation forest on 0 rows");
    if (!(opts.trees >= 1)) throw new Error(`trees must be >= 1, got ${opts.trees}`);
    const maxSamplesUsed = Math.min(opts.maxSamples, nRows);
    const maxDepth = heightLimit(maxSamplesUsed);
    const rng = new Random(opts.seed);
    const pool = new Int32Array(nRows);
    const trees: Tree[] = [];
    for (let t = 0; t < opts.trees; t++) {
        const treeRng = rng.fork();
        // Partial Fisher-Yates: the first maxSamplesUsed entries are a sample without replacement.
        for (let i = 0; i < nRows; i++) pool[i] = i;
        for (let i = 0; i < maxSamplesUsed; i++) {
            const j = i + treeRng.int(nRows - i);
            const tmp = pool[i];
            pool[i] = pool[j];
            pool[j] = tmp;
        }
        const idx = pool.slice(0, maxSamplesUsed);
        trees.push(buildTree(x, nFeatures, idx, maxDepth, treeRng));
    }
    return { trees, maxSamplesUsed, nFeatures };
}

function buildTree(x: Float32Array, d: number, idx: Int32Array, maxDepth: number, rng: Random): Tree {
    const tree: Tree = { left: [], right: [], feature: [], threshold: [], samples: [] };
    const candidates = new Int32Array(d);

    const grow = (start: number, end: number, depth: number): number => {
        const node = tree.left.length;
        tree.left.push(-1);
        tree.right.push(-1);
        tree.feature.push(-2);
        tree.threshold.push(-2);
        tree.samples.push(end - start);
        if (depth >= maxDepth || end - start < 2) return node;

        // Draw features without replacement until one is not constant in this node.
        for (let j = 0; j < d; j++) candidates[j] = j;
        let remaining = d;
        let feature = -1;
        let lo = 0;
        let hi = 0;
        while (remaining > 0) {
            const k = rng.int(remaining);
            const f = candidates[k];
            lo = Infinity;
            hi = -Infinity;
            for (let p = start; p < end; p++) {
                const v = x[idx[p] * d + f];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            if (hi > lo + FEATURE_THRESHOLD) {
                feature = f;
                break;
            }
            candidates[k] = candidates[--remaining];
        }
        if (feature < 0) return node; // every feature constant: leaf

        let threshold = lo + (hi - lo) * rng.next();
        if (threshold >= hi) threshold = lo; // sklearn: threshold == max -> min
        // In-place partition: x <= threshold to the left.
        let i = start;
        let j = end - 1;
        while (i <= j) {
            if (x[idx[i] * d + feature] <= threshold) i++;
            else {
                const tmp = idx[i];
                idx[i] = idx[j];
                idx[j] = tmp;
                j--;
            }
        }
        tree.feature[node] = feature;
        tree.threshold[node] = threshold;
        tree.left[node] = grow(start, i, depth + 1);
        tree.right[node] = grow(i, end, depth + 1);
        return node;
    };

    grow(0, idx.length, 0);
    return tree;
}

/** sklearn's score_samples for every row of a row-major float32 matrix. */
/** A tree in typed arrays, with c(rows) precomputed per leaf: scoring is the server's hot path. */
interface CompiledTree {
    left: Int32Array;
    right: Int32Array;
    feature: Int32Array;
    threshold: Float64Array;
    /** c(samples[node]) for leaves, 0 elsewhere. */
    leafDepth: Float64Array;
}

// Trees never change after fitting or loading, so their compiled form is cached per tree object.
const compiled = new WeakMap<Tree, CompiledTree>();

function compile(tree: Tree): CompiledTree {
    let c = compiled.get(tree);
    if (c === undefined) {
        const leafDepth = new Float64Array(tree.left.length);
        for (let node = 0; node < tree.left.length; node++)
            if (tree.left[node] === -1) leafDepth[node] = averagePathLength(tree.samples[node]);
        c = {
            left: Int32Array.from(tree.left),
            right: Int32Array.from(tree.right),
            feature: Int32Array.from(tree.feature),
            threshold: Float64Array.from(tree.threshold),
            leafDepth,
        };
        compiled.set(tree, c);
    }
    return c;
}

/**
 * Trees of at most this depth are also laid out as complete binary trees (see CompleteTree); deeper ones
 * (possible only in a hand-made model file) are walked node by node.
 */
const COMPLETE_MAX_DEPTH = 10;

/**
 * A tree padded to a complete binary tree of its depth D: internal slot i (0 <= i < 2^D - 1) has children
 * 2i + 1 and 2i + 2, and the 2^D bottom slots hold the path length (edges + c(rows)) of the real leaf above
 * them. A real leaf at depth k < D is padded with internal slots whose choice does not matter (every bottom
 * slot below it holds the same value), so a row takes exactly D steps with no data-dependent loop exit.
 * The value is computed as edges + leafDepth, the same double the node-by-node walk adds.
 */
interface CompleteTree {
    depth: number;
    feature: Int32Array;
    threshold: Float64Array;
    pathLength: Float64Array;
}

const completed = new WeakMap<Tree, CompleteTree | null>();

/** The tree's complete layout, cached per tree (the JavaScript walk's form); undefined when too deep. */
function complete(tree: Tree): CompleteTree | undefined {
    let c = completed.get(tree);
    if (c === undefined) {
        c = completeLayout(tree) ?? null;
        completed.set(tree, c);
    }
    return c ?? undefined;
}

function completeLayout(tree: Tree): CompleteTree | undefined {
    const depthOf = (node: number): number =>
        tree.left[node] === -1 ? 0 : 1 + Math.max(depthOf(tree.left[node]), depthOf(tree.right[node]));
    const depth = depthOf(0);
    if (depth > COMPLETE_MAX_DEPTH) return undefined;
    const inner = (1 << depth) - 1;
    const t: CompleteTree = {
        depth,
        feature: new Int32Array(inner),
        threshold: new Float64Array(inner),
        pathLength: new Float64Array(1 << depth),
    };
    const place = (node: number, slot: number, level: number): void => {
        if (tree.left[node] === -1) {
            // Every bottom slot under this slot: a contiguous run at its level, scaled to the bottom.
            const value = level + averagePathLength(tree.samples[node]);
            const span = 1 << (depth - level);
            const first = (slot - ((1 << level) - 1)) * span;
            t.pathLength.fill(value, first, first + span);
            return;
        }
        t.feature[slot] = tree.feature[node];
        t.threshold[slot] = tree.threshold[node];
        place(tree.left[node], 2 * slot + 1, level + 1);
        place(tree.right[node], 2 * slot + 2, level + 1);
    };
    place(0, 0, 0);
    return t;
}

// The WebAssembly kernel per forest (keyed by its trees array, which a model keeps for its lifetime); null
// when a tree is too deep for the complete layout or WebAssembly is unavailable.
const kernels = new WeakMap<Tree[], KernelForest | null>();

function kernelFor(forest: Forest): KernelForest | undefined {
    let k = kernels.get(forest.trees);
    if (k === undefined || (k !== null && k.nFeatures !== forest.nFeatures)) {
        // Laid out once for the copy into the kernel's memory and not cached: the kernel holds the trees.
        const layouts = forest.trees.map(completeLayout);
        k = layouts.every((t) => t !== undefined) ? (KernelForest.create(layouts as CompleteTree[], forest.nFeatures) ?? null) : null;
        kernels.set(forest.trees, k);
    }
    return k ?? undefined;
}

/** Which walk scores: the WebAssembly kernel when it can ("auto"), or the JavaScript one (tests compare them). */
export type ScoringKernel = "auto" | "js";

/** `b` as 0 or 1, with no branch: which way a row goes down a tree is data, and a branch on it is mispredicted about half the time. */
const bit = (b: boolean): number => (b as unknown as number) | 0;

export function scoreSamples(forest: Forest, x32: Float32Array, nRows: number, kernel: ScoringKernel = "auto"): Float64Array {
    const depths = new Float64Array(nRows);
    const wasm = kernel === "auto" ? kernelFor(forest) : undefined;
    if (wasm !== undefined) wasm.pathLengths(x32, nRows, depths);
    else pathLengths(forest, x32, nRows, depths);
    const denominator = forest.trees.length * averagePathLength(forest.maxSamplesUsed);
    const scores = new Float64Array(nRows);
    for (let r = 0; r < nRows; r++) {
        // sklearn: with max_samples_ = 1 the denominator is 0 and the ratio is taken as 1.
        const ratio = denominator === 0 ? 1 : depths[r] / denominator;
        scores[r] = -Math.pow(2, -ratio);
    }
    return scores;
}

/** depths[r] += row r's path length in each tree, tree after tree: the JavaScript walk. */
function pathLengths(forest: Forest, x32: Float32Array, nRows: number, depths: Float64Array): void {
    const d = forest.nFeatures;
    // sklearn compares float32 inputs; widened once to float64 (exactly), the loads below need no conversion.
    const x = Float64Array.from(x32);
    for (const tree of forest.trees) {
        const ct = complete(tree);
        if (ct !== undefined) {
            const { depth, feature, threshold, pathLength } = ct;
            const inner = (1 << depth) - 1;
            let r = 0;
            // Eight rows walk the tree together: eight independent chains of loads keep the CPU busy while
            // each waits on its own, which scores a 360-point window about four times faster than one row at a
            // time (2.1 -> 0.5 ms for 100 trees here; bench/bench.ts). More rows spill registers.
            for (; r + 8 <= nRows; r += 8) {
                const b0 = r * d;
                const b1 = b0 + d;
                const b2 = b1 + d;
                const b3 = b2 + d;
                const b4 = b3 + d;
                const b5 = b4 + d;
                const b6 = b5 + d;
                const b7 = b6 + d;
                let s0 = 0;
                let s1 = 0;
                let s2 = 0;
                let s3 = 0;
                let s4 = 0;
                let s5 = 0;
                let s6 = 0;
                let s7 = 0;
                for (let level = 0; level < depth; level++) {
                    s0 = 2 * s0 + 2 - bit(x[b0 + feature[s0]] <= threshold[s0]);
                    s1 = 2 * s1 + 2 - bit(x[b1 + feature[s1]] <= threshold[s1]);
                    s2 = 2 * s2 + 2 - bit(x[b2 + feature[s2]] <= threshold[s2]);
                    s3 = 2 * s3 + 2 - bit(x[b3 + feature[s3]] <= threshold[s3]);
                    s4 = 2 * s4 + 2 - bit(x[b4 + feature[s4]] <= threshold[s4]);
                    s5 = 2 * s5 + 2 - bit(x[b5 + feature[s5]] <= threshold[s5]);
                    s6 = 2 * s6 + 2 - bit(x[b6 + feature[s6]] <= threshold[s6]);
                    s7 = 2 * s7 + 2 - bit(x[b7 + feature[s7]] <= threshold[s7]);
                }
                depths[r] += pathLength[s0 - inner];
                depths[r + 1] += pathLength[s1 - inner];
                depths[r + 2] += pathLength[s2 - inner];
                depths[r + 3] += pathLength[s3 - inner];
                depths[r + 4] += pathLength[s4 - inner];
                depths[r + 5] += pathLength[s5 - inner];
                depths[r + 6] += pathLength[s6 - inner];
                depths[r + 7] += pathLength[s7 - inner];
            }
            for (; r < nRows; r++) {
                const base = r * d;
                let slot = 0;
                for (let level = 0; level < depth; level++) slot = 2 * slot + 2 - bit(x[base + feature[slot]] <= threshold[slot]);
                depths[r] += pathLength[slot - inner];
            }
            continue;
        }
        const { left, right, feature, threshold, leafDepth } = compile(tree);
        for (let r = 0; r < nRows; r++) {
            const base = r * d;
            let node = 0;
            let edges = 0;
            while (left[node] !== -1) {
                node = x[base + feature[node]] <= threshold[node] ? left[node] : right[node];
                edges++;
            }
            depths[r] += edges + leafDepth[node];
        }
    }
}

export function percentile(values: ArrayLike<number>, q: number): number {
    if (values.length === 0) throw new Error("percentile of an empty array");
    return sortedPercentile(Float64Array.from(values).sort(), q);
}

/** numpy's percentile (linear) of values already sorted ascending: sort once, read many quantiles. */
export function sortedPercentile(sorted: ArrayLike<number>, q: number): number {
    const n = sorted.length;
    if (n === 0) throw new Error("percentile of an empty array");
    const pos = (q / 100) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const t = pos - lo;
    const a = sorted[lo];
    const b = sorted[hi];
    // numpy's _lerp: a + (b - a) * t, computed from the nearer end for t >= 0.5.
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** sklearn's offset_: -0.5 for "auto", else the contamination percentile of the training scores. */
export function offsetFor(trainScores: ArrayLike<number>, contamination: number | "auto"): number {
    if (contamination === "auto") return -0.5;
    return percentile(trainScores, 100 * contamination);
}
