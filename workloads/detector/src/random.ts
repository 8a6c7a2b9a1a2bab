/**
 * Small seeded PRNG (mulberry32): 32-bit state, fast, good enough for random splits and subsampling.
 * We do not try to reproduce numpy's MT19937 stream; agreement with sklearn is statistical (see test/agreement).
 */
export class Random {
    private state: number;

    constructor(seed: number) {
        // Mix the seed once so that nearby seeds (1, 2, 3) start far apart.
        this.state = splitmix32(seed >>> 0);
    }

    /** Uniform in [0, 1), 32 bits of resolution. */
    next(): number {
        let t = (this.state = (this.state + 0x6d2b79f5) | 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    /** Uniform integer in [0, n). */
    int(n: number): number {
        return Math.floor(this.next() * n);
    }

    /** A 32-bit seed for a child generator (one per tree), drawn from this stream. */
    fork(): Random {
        return new Random(Math.floor(this.next() * 4294967296));
    }
}

function splitmix32(x: number): number {
    x = (x + 0x9e3779b9) | 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
}
