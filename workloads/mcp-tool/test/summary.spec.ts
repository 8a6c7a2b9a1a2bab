import { expect } from "chai";
import { mergePeriods, ScoredPoint } from "../src/periods";
import { summarize } from "../src/summary";
import { QueryWindow } from "../src/window";

const start = Date.UTC(2026, 0, 15, 14, 0, 0) / 1000;
const window: QueryWindow = { start, end: start + 3600, step: 10, hours: 1 };

function points(anomalous: (i: number) => boolean, n = 361): ScoredPoint[] {
    return Array.from({ length: n }, (_, i) => ({
        timestamp: start + i * 10,
        value: anomalous(i) ? 90 + (i % 7) : 20,
        score: anomalous(i) ? -0.6 - (i === 200 ? 0.2 : 0) : -0.4,
        label: anomalous(i) ? -1 : 1,
    }));
}

function summaryOf(pts: ScoredPoint[]): string {
    const periods = mergePeriods(pts, 10);
    return summarize({
        instance: "10.0.0.11:9100",
        metric: "cpu",
        window,
        points: pts.length,
        anomalies: pts.filter((p) => p.label === -1).length,
        periods,
    });
}

describe("mcp-tool summary text", () => {
    it("states counts, percentage and the period in UTC", () => {
        // 14:30:00 .. 14:45:00 = indexes 180..270 (91 points)
        const text = summaryOf(points((i) => i >= 180 && i <= 270));
        expect(text).to.equal(
            "cpu on 10.0.0.11:9100, last 1 h (14:00–15:00 UTC, 361 points at 10 s steps): " +
                "91 anomalies (25.2%) between 14:30 and 14:45 UTC (90.0% to 96.0%, most anomalous 94.0% at 14:33).",
        );
    });

    it("says so when nothing is anomalous", () => {
        expect(summaryOf(points(() => false))).to.equal(
            "cpu on 10.0.0.11:9100, last 1 h (14:00–15:00 UTC, 361 points at 10 s steps): no anomalies.",
        );
    });

    it("names the 5 longest of many periods in time order and counts the rest", () => {
        // 8 periods: lengths 1..8 points, each 20 steps apart
        const members = new Set<number>();
        for (let p = 0; p < 8; p++) for (let k = 0; k <= p; k++) members.add(p * 30 + k);
        const text = summaryOf(points((i) => members.has(i)));
        expect(text).to.match(/: 36 anomalies \(10\.0%\) in 8 periods: /);
        expect(text).to.match(/; and 3 shorter periods\.$/);
        // the three 1-, 2- and 3-point periods at 14:00, 14:05 and 14:10 are left out
        expect(text).not.to.include("14:00 UTC");
        expect(text).to.include("at 14:15 UTC (");
        expect(text.indexOf("14:15")).to.be.lessThan(text.indexOf("14:35"));
    });

    it("adds dates when the window crosses midnight", () => {
        const late: QueryWindow = {
            start: Date.UTC(2026, 0, 15, 23, 30) / 1000,
            end: Date.UTC(2026, 0, 16, 0, 30) / 1000,
            step: 10,
            hours: 1,
        };
        const text = summarize({ instance: "n:9100", metric: "network", window: late, points: 361, anomalies: 0, periods: [] });
        expect(text).to.equal(
            "network on n:9100, last 1 h (2026-01-15 23:30–2026-01-16 00:30 UTC, 361 points at 10 s steps): no anomalies.",
        );
    });
});
