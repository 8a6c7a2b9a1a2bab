import { expect } from "chai";
import { mergePeriods, ScoredPoint } from "../src/periods";

/** A 10-s series where the listed indexes are anomalies with the given scores. */
function series(n: number, anomalies: Record<number, number>): ScoredPoint[] {
    return Array.from({ length: n }, (_, i) => ({
        timestamp: 1000 + i * 10,
        value: i,
        score: anomalies[i] ?? -0.4,
        label: i in anomalies ? -1 : 1,
    }));
}

describe("mcp-tool anomaly periods", () => {
    it("returns no periods when nothing is anomalous", () => {
        expect(mergePeriods(series(50, {}), 10)).to.deep.equal([]);
    });

    it("merges anomalies separated by up to 2 normal steps, splits at 3", () => {
        // 10,11 | gap of 2 normal points (12,13) | 14 -> one period; then 3 normal (15,16,17) | 18 -> new period
        const periods = mergePeriods(series(30, { 10: -0.6, 11: -0.7, 14: -0.65, 18: -0.8 }), 10);
        expect(periods.map((p) => [p.start, p.end, p.count])).to.deep.equal([
            [1100, 1140, 3],
            [1180, 1180, 1],
        ]);
    });

    it("picks the lowest score as the peak and records the value range", () => {
        const [p] = mergePeriods(series(30, { 5: -0.6, 6: -0.9, 7: -0.7 }), 10);
        expect(p.peak).to.deep.include({ timestamp: 1060, value: 6, score: -0.9 });
        expect([p.min, p.max]).to.deep.equal([5, 7]);
    });

    it("honours a different gap and unsorted input", () => {
        const pts = series(30, { 2: -0.6, 6: -0.6 }).reverse();
        expect(mergePeriods(pts, 10, 3)).to.have.length(1);
        expect(mergePeriods(pts, 10, 2)).to.have.length(2);
    });
});
