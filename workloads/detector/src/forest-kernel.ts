/**
 * The serving hot path, the walk of rows down complete trees (iforest.ts CompleteTree), as a WebAssembly
 * kernel. Same arithmetic as the JavaScript walk: rows go to child 2i + 1 when value <= threshold (f64
 * compare of the float32 input widened exactly), and each row's path lengths are added tree after tree in
 * forest order, so the sums are bit-identical; what WebAssembly saves is the bounds check on every typed-array
 * load (its memory is guarded instead), about half the time of a 360-point window (bench/bench.ts).
 *
 * The module is assembled here from opcodes, not shipped as a binary: one exported function, `walk`, and one
 * memory per forest that holds the trees (copied once) and a fixed scratch area for a chunk of rows.
 */

/** One complete tree as the kernel reads it: 2^depth - 1 internal slots, 2^depth path lengths. */
export interface KernelTree {
    readonly depth: number;
    readonly feature: Int32Array;
    readonly threshold: Float64Array;
    readonly pathLength: Float64Array;
}

// The WebAssembly global of Node.js, declared here: the project's TypeScript lib settings (ES2022, no DOM) omit it.
interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
}
declare const WebAssembly: {
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
};
type WasmModule = { readonly __wasmModule?: never };

/** Rows per kernel call: bounds the scratch memory whatever the request size. */
export const CHUNK_ROWS = 1024;
const PAGE = 65536;

// --- a minimal WebAssembly binary encoder (only what `walk` needs) ---------------------------------------

/** Unsigned LEB128, as WebAssembly encodes sizes and indices. */
export function uleb(n: number): number[] {
    const out: number[] = [];
    do {
        let byte = n & 0x7f;
        n >>>= 7;
        if (n !== 0) byte |= 0x80;
        out.push(byte);
    } while (n !== 0);
    return out;
}

/** Signed LEB128, as WebAssembly encodes i32.const. */
export function sleb(n: number): number[] {
    const out: number[] = [];
    for (;;) {
        const byte = n & 0x7f;
        n >>= 7;
        if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

const utf8 = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "utf8")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const op = {
    get: (i: number) => [0x20, ...uleb(i)],
    set: (i: number) => [0x21, ...uleb(i)],
    i32: (v: number) => [0x41, ...sleb(v)],
    add: [0x6a],
    sub: [0x6b],
    mul: [0x6c],
    shl: [0x74],
    gtS: [0x4a],
    geS: [0x4e],
    f64le: [0x65],
    f64add: [0xa0],
    i32load: [0x28, 2, 0],
    f64load: [0x2b, 3, 0],
    f64store: [0x39, 3, 0],
    block: [0x02, 0x40],
    loop: [0x03, 0x40],
    end: [0x0b],
    br: (depth: number) => [0x0c, ...uleb(depth)],
    brIf: (depth: number) => [0x0d, ...uleb(depth)],
};

/** Rows walked together: independent chains of loads the CPU overlaps (as in the JavaScript walk). */
const LANES = 8;

/**
 * walk(feat, thr, path, depth, x, n, rowBytes, out): for rows r < n at x + r * rowBytes, out[r] += the path
 * length of the row's bottom slot. feat holds each slot's feature as a byte offset into a row (feature * 8).
 */
function walkBody(): number[] {
    // Parameters 0..7, then the locals.
    const [feat, thr, , depth, x, n, rowBytes, out] = [0, 1, 2, 3, 4, 5, 6, 7];
    const r = 8;
    const level = 9;
    const at = 10;
    const paths = 11; // path - (2^depth - 1) * 8: indexed by the bottom slot number directly
    const slot = (k: number) => 12 + 2 * k;
    const base = (k: number) => 13 + 2 * k;
    const locals = 4 + 2 * LANES;

    // s = 2s + 2 - (x[base + feat[s]] <= thr[s])
    const step = (k: number): number[] => [
        ...op.get(slot(k)),
        ...op.i32(1),
        ...op.shl,
        ...op.i32(2),
        ...op.add,
        ...op.get(base(k)),
        ...op.get(feat),
        ...op.get(slot(k)),
        ...op.i32(2),
        ...op.shl,
        ...op.add,
        ...op.i32load,
        ...op.add,
        ...op.f64load,
        ...op.get(thr),
        ...op.get(slot(k)),
        ...op.i32(3),
        ...op.shl,
        ...op.add,
        ...op.f64load,
        ...op.f64le,
        ...op.sub,
        ...op.set(slot(k)),
    ];
    // out[r + k] += paths[s]
    const accumulate = (k: number): number[] => [
        ...op.get(out),
        ...op.get(r),
        ...op.i32(k),
        ...op.add,
        ...op.i32(3),
        ...op.shl,
        ...op.add,
        ...op.set(at),
        ...op.get(at),
        ...op.get(at),
        ...op.f64load,
        ...op.get(paths),
        ...op.get(slot(k)),
        ...op.i32(3),
        ...op.shl,
        ...op.add,
        ...op.f64load,
        ...op.f64add,
        ...op.f64store,
    ];
    // base_k = x + (r + k) * rowBytes; s_k = 0
    const start = (k: number): number[] => [
        ...op.get(x),
        ...op.get(r),
        ...op.i32(k),
        ...op.add,
        ...op.get(rowBytes),
        ...op.mul,
        ...op.add,
        ...op.set(base(k)),
        ...op.i32(0),
        ...op.set(slot(k)),
    ];
    // for (level = 0; level < depth; level++) { steps }
    const levels = (lanes: number): number[] => [
        ...op.i32(0),
        ...op.set(level),
        ...op.block,
        ...op.loop,
        ...op.get(level),
        ...op.get(depth),
        ...op.geS,
        ...op.brIf(1),
        ...Array.from({ length: lanes }, (_, k) => step(k)).flat(),
        ...op.get(level),
        ...op.i32(1),
        ...op.add,
        ...op.set(level),
        ...op.br(0),
        ...op.end,
        ...op.end,
    ];
    // for (; r + lanes <= n; r += lanes) { start lanes; levels; accumulate lanes }
    const rows = (lanes: number): number[] => [
        ...op.block,
        ...op.loop,
        ...op.get(r),
        ...op.i32(lanes),
        ...op.add,
        ...op.get(n),
        ...op.gtS,
        ...op.brIf(1),
        ...Array.from({ length: lanes }, (_, k) => start(k)).flat(),
        ...levels(lanes),
        ...Array.from({ length: lanes }, (_, k) => accumulate(k)).flat(),
        ...op.get(r),
        ...op.i32(lanes),
        ...op.add,
        ...op.set(r),
        ...op.br(0),
        ...op.end,
        ...op.end,
    ];
    const body = [
        ...[1, ...uleb(locals), I32], // one group of i32 locals
        // paths = path - ((1 << depth) - 1) * 8
        ...op.get(2),
        ...op.i32(1),
        ...op.get(depth),
        ...op.shl,
        ...op.i32(1),
        ...op.sub,
        ...op.i32(3),
        ...op.shl,
        ...op.sub,
        ...op.set(paths),
        ...rows(LANES),
        ...rows(1),
        ...op.end,
    ];
    return [...uleb(body.length), ...body];
}

/** The module's bytes: type, function, memory (1 page, exported), exports, code. */
export function kernelModuleBytes(): Uint8Array {
    const type = [1, 0x60, ...uleb(8), ...Array<number>(8).fill(I32), 0];
    const exportSection = [2, ...utf8("memory"), 0x02, 0, ...utf8("walk"), 0x00, 0];
    return Uint8Array.from([
        ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
        ...section(1, type),
        ...section(3, [1, 0]),
        ...section(5, [1, 0x00, 1]),
        ...section(7, exportSection),
        ...section(10, [1, ...walkBody()]),
    ]);
}

let compiled: WasmModule | null | undefined;

/** The compiled module, once per thread; null where WebAssembly is unavailable (node --jitless). */
function kernelModule(): WasmModule | null {
    if (compiled === undefined) {
        try {
            compiled = new WebAssembly.Module(kernelModuleBytes());
        } catch {
            compiled = null;
        }
    }
    return compiled;
}

type Walk = (feat: number, thr: number, path: number, depth: number, x: number, n: number, rowBytes: number, out: number) => void;

/** One forest copied into its own kernel memory. */
export class KernelForest {
    private constructor(
        private readonly walk: Walk,
        private readonly trees: readonly { feat: number; thr: number; path: number; depth: number }[],
        private readonly x: Float64Array,
        private readonly out: Float64Array,
        readonly nFeatures: number,
    ) {}

    /** Copies the trees into a new kernel memory; undefined where WebAssembly is unavailable. */
    static create(trees: readonly KernelTree[], nFeatures: number): KernelForest | undefined {
        const module = kernelModule();
        if (module === null) return undefined;
        const align8 = (n: number) => (n + 7) & ~7;
        let bytes = 0;
        for (const t of trees) bytes += align8(t.feature.length * 4) + t.threshold.length * 8 + t.pathLength.length * 8;
        const xAt = bytes;
        const outAt = xAt + CHUNK_ROWS * nFeatures * 8;
        const total = outAt + CHUNK_ROWS * 8;
        const instance = new WebAssembly.Instance(module, {});
        const memory = instance.exports.memory as WasmMemory;
        const pages = Math.ceil(total / PAGE);
        if (pages > 1) memory.grow(pages - 1);
        const buffer = memory.buffer;
        let at = 0;
        const placed = trees.map((t) => {
            const feat = at;
            const features = new Int32Array(buffer, at, t.feature.length);
            for (let i = 0; i < features.length; i++) features[i] = t.feature[i] * 8;
            at += align8(t.feature.length * 4);
            const thr = at;
            new Float64Array(buffer, at, t.threshold.length).set(t.threshold);
            at += t.threshold.length * 8;
            const path = at;
            new Float64Array(buffer, at, t.pathLength.length).set(t.pathLength);
            at += t.pathLength.length * 8;
            return { feat, thr, path, depth: t.depth };
        });
        return new KernelForest(
            instance.exports.walk as Walk,
            placed,
            new Float64Array(buffer, xAt, CHUNK_ROWS * nFeatures),
            new Float64Array(buffer, outAt, CHUNK_ROWS),
            nFeatures,
        );
    }

    /** depths[r] = the sum over the trees, in order, of row r's path length (x: row-major, nFeatures wide). */
    pathLengths(x: ArrayLike<number>, nRows: number, depths: Float64Array): void {
        const d = this.nFeatures;
        const { x: xs, out } = this;
        for (let first = 0; first < nRows; first += CHUNK_ROWS) {
            const n = Math.min(CHUNK_ROWS, nRows - first);
            for (let i = 0, j = first * d; i < n * d; i++, j++) xs[i] = x[j];
            out.fill(0, 0, n);
            for (const t of this.trees) this.walk(t.feat, t.thr, t.path, t.depth, xs.byteOffset, n, d * 8, out.byteOffset);
            for (let r = 0; r < n; r++) depths[first + r] = out[r];
        }
    }
}
