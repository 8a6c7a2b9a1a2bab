/** Rank statistics used to compare our scores with scikit-learn's. */

/** Average ranks (1-based), ties sharing the mean of their positions. */
export function ranks(values: ArrayLike<number>): Float64Array {
    const n = values.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
    const r = new Float64Array(n);
    for (let i = 0; i < n;) {
        let j = i;
        while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
        const avg = (i + j) / 2 + 1;
        for (let k = i; k <= j; k++) r[order[k]] = avg;
        i = j + 1;
    }
    return r;
}

/** Spearman's rank correlation: Pearson correlation of the average ranks (handles ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
    if (a.length !== b.length || a.length < 2)
        throw new Error(`spearman needs two equal-length arrays of >= 2 values, got ${a.length} and ${b.length}`);
    const ra = ranks(a);
    const rb = ranks(b);
    const n = a.length;
    const mean = (n + 1) / 2;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < n; i++) {
        sab += (ra[i] - mean) * (rb[i] - mean);
        saa += (ra[i] - mean) ** 2;
        sbb += (rb[i] - mean) ** 2;
    }
    return sab / Math.sqrt(saa * sbb);
}
