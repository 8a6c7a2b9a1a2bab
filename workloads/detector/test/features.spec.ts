import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
    BASELINE_WINDOW,
    computeFeatures,
    FEATURE_SETS,
    featureLookback,
    fitFeatureParams,
    slog,
    SortedWindow,
    timeOrder,
} from "../src/features";
import { parseTimestamp, readCsvSeries, type Point } from "../src/series";

interface ExactFixture {
    points: Point[];
    seedFeatures: number[][];
    defaultFeatures: number[][];
    defaultV1Features: number[][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures", "sklearn-exact.json"), "utf8")) as ExactFixture;

function maxAbsDiff(a: number[][], b: number[][]): number {
    expect(a.length).to.equal(b.length);
    let worst = 0;
    a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
    return worst;
}

const series = (values: number[], step = 300, t0 = 1_400_000_000): Point[] =>
    values.map((value, i) => ({ timestamp: t0 + i * step, value }));

describe("readCsvSeries", () => {
    it("reads NAB's header and UTC timestamps", () => {
        const pts = readCsvSeries("timestamp,value\n2014-02-14 14:30:00,0.132\n2014-02-14 14:35:00,1e2\n\n");
        expect(pts).to.deep.equal([
            { timestamp: Date.UTC(2014, 1, 14, 14, 30) / 1000, value: 0.132 },
            { timestamp: Date.UTC(2014, 1, 14, 14, 35) / 1000, value: 100 },
        ]);
    });

    it("accepts unix seconds without a header", () => {
        expect(readCsvSeries("1397088240,91.9\n1397088540,-2\n")).to.deep.equal([
            { timestamp: 1397088240, value: 91.9 },
            { timestamp: 1397088540, value: -2 },
        ]);
    });

    it("names the line and the field of a bad row", () => {
        expect(() => readCsvSeries("timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,abc\n")).to.throw(/line 3: value "abc"/);
        expect(() => readCsvSeries("timestamp,value\n2014-02-30 14:30:00,1\n")).to.throw(/line 2: timestamp "2014-02-30 14:30:00"/);
        expect(() => readCsvSeries("timestamp,value\n2014-02-14 14:30:00,1,2\n")).to.throw(/line 2: expected 2 columns/);
        expect(() => readCsvSeries("timestamp,value\n")).to.throw(/no data rows/);
    });

    it("parses NAB window timestamps with microseconds", () => {
        expect(parseTimestamp("2014-02-19 10:50:00.000000")).to.equal(Date.UTC(2014, 1, 19, 10, 50) / 1000);
        expect(parseTimestamp("yesterday")).to.equal(undefined);
    });
});

describe("seed feature set", () => {
    it("matches the seed's pandas features on a NAB segment with a gap and duplicate timestamps", () => {
        const { names, rows } = computeFeatures(fixture.points, "seed");
        expect(names).to.deep.equal(["value", "rolling_mean", "rolling_std", "rate_of_change", "hour"]);
        // pandas' online rolling std differs from a two-pass std by rounding only (notes: <= 2.1e-10 of the max).
        const scale = Math.max(...fixture.points.map((p) => Math.abs(p.value)));
        expect(maxAbsDiff(rows, fixture.seedFeatures) / scale).to.be.below(1e-9);
    });

    it("fills the first row's std and diff with 0 and uses the UTC hour", () => {
        const { rows } = computeFeatures([{ timestamp: Date.UTC(2014, 0, 1, 23, 59) / 1000, value: 5 }], "seed");
        expect(rows).to.deep.equal([[5, 5, 0, 0, 23]]);
    });

    it("uses ddof 1 over up to 5 points", () => {
        const { rows } = computeFeatures(series([1, 2, 3, 4, 5, 6]), "seed");
        expect(rows[1][2]).to.be.closeTo(Math.SQRT1_2, 1e-15); // std(1, 2)
        expect(rows[5][1]).to.equal(4); // mean(2..6)
        expect(rows[5][2]).to.be.closeTo(Math.sqrt(2.5), 1e-15);
        expect(rows[5][3]).to.equal(1);
    });
});

describe("default feature set", () => {
    it("matches an independent numpy implementation on the same segment", () => {
        const { names, rows } = computeFeatures(fixture.points, "default");
        expect(names).to.deep.equal([...FEATURE_SETS.default]);
        expect(maxAbsDiff(rows, fixture.defaultFeatures)).to.be.below(1e-9);
        expect(fixture.points.length).to.be.above(BASELINE_WINDOW + 10); // the window slides in the fixture
    });

    it("gives one zero row for a single point", () => {
        const { rows } = computeFeatures([{ timestamp: 0, value: 7 }], "default");
        expect(rows).to.deep.equal([[0, 0, 0, 0, 0]]);
    });

    it("keeps a constant series at zero deviation (a series flat all along is not 'stuck')", () => {
        const { rows } = computeFeatures(series(new Array(400).fill(3.5)), "default");
        for (const r of rows) expect(r).to.deep.equal([0, 0, 0, 0, 0]);
        expect(fitFeatureParams(series([0, 0, 0])).scaleFloor).to.be.above(0);
    });

    // A noisy wave: sin plus a deterministic jitter, so the point-to-point noise is never zero.
    const wave = (n: number) =>
        Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 30) + 0.3 * Math.sin(i * 2.1) + 0.2 * Math.cos(i * 5.3));
    const column = (rows: number[][], name: string) => rows.map((r) => r[FEATURE_SETS.default.indexOf(name)]);
    const typical = (c: number[]) => Math.max(...c.slice(300, 399).map(Math.abs));

    it("makes a spike and a level shift stand out against the trailing baseline", () => {
        const values = wave(600);
        values[450] = 30; // spike
        for (let i = 500; i < 600; i++) values[i] += 8; // level shift
        const { rows } = computeFeatures(series(values), "default");
        const robust = column(rows, "robust_z");
        expect(robust[450]).to.be.above(typical(robust) + 1);
        const shift = column(rows, "level_shift_z");
        expect(shift[502]).to.be.above(typical(shift) + 1); // once the short window is past the step
        const step = column(rows, "noise_step_z");
        expect(step[450]).to.be.above(typical(step) + 1); // step up
        expect(step[451]).to.be.below(-typical(step) - 1); // and back down
    });

    it("spread_ratio falls far below its usual range on a stuck metric and rises on a variance burst", () => {
        const values = wave(600);
        for (let i = 420; i < 440; i++) values[i] = values[420]; // stuck
        for (let i = 500; i < 520; i++) values[i] = 10 + (i % 2 === 0 ? 4 : -4); // burst
        const spread = column(computeFeatures(series(values), "default").rows, "spread_ratio");
        const usual = spread.slice(300, 399);
        expect(Math.min(...spread.slice(427, 440))).to.be.below(Math.min(...usual) - 5);
        expect(Math.max(...spread.slice(505, 520))).to.be.above(Math.max(...usual) + 1);
    });

    it("trend_z catches a slow ramp", () => {
        const values = wave(700);
        for (let i = 500; i < 560; i++) values[i] += (i - 500) * 0.25; // leak: +15 over 60 points
        const trend = column(computeFeatures(series(values), "default").rows, "trend_z");
        expect(trend[555]).to.be.above(typical(trend) + 1);
    });

    it("has no echo: one baseline after an anomaly, normal data gets normal features", () => {
        // A same-time-yesterday column (one baseline back) would read ~3 at 588-610: the echo the MCP tool e2e test caught.
        const values = wave(800);
        for (let i = 300; i < 320; i++) values[i] += 12;
        const { rows } = computeFeatures(series(values), "default");
        const quiet = rows.slice(700, 800);
        for (let j = 0; j < FEATURE_SETS.default.length; j++) {
            const usual = Math.max(...quiet.map((r) => Math.abs(r[j])));
            expect(Math.max(...rows.slice(588, 612).map((r) => Math.abs(r[j]))), FEATURE_SETS.default[j]).to.be.at.most(usual + 0.5); // the echo was ~3
        }
    });

    it("default-v1 (the set before issue 15) still matches its numpy implementation", () => {
        const { names, rows } = computeFeatures(fixture.points, "default-v1");
        expect(names).to.deep.equal(["value", "robust_z", "step_z", "level_shift_z"]);
        expect(maxAbsDiff(rows, fixture.defaultV1Features)).to.be.below(1e-9);
    });

    it("needs BASELINE_WINDOW + SHIFT_WINDOW - 1 points of lookback: a window scored with it gets the rows of the whole series", () => {
        const values = wave(500);
        values[460] = 25;
        const params = fitFeatureParams(series(values)); // the model's, as when serving
        const whole = computeFeatures(series(values), "default", params).rows;
        const lookback = featureLookback("default");
        expect(lookback).to.equal(BASELINE_WINDOW + 2);
        const from = 450;
        const part = computeFeatures(series(values).slice(from - lookback), "default", params).rows.slice(lookback);
        // Equal up to the rounding of the baseline noise's running sum, which starts at a different point.
        expect(maxAbsDiff(part, whole.slice(from))).to.be.below(1e-12);
        // One point less history changes some row: the lookback is not longer than needed.
        const short = computeFeatures(series(values).slice(from - lookback + 1), "default", params).rows.slice(lookback - 1);
        expect(maxAbsDiff(short, whole.slice(from))).to.be.above(1e-3);
        expect(featureLookback("seed")).to.equal(4);
    });

    it("bounds deviations with slog, keeping sign and order", () => {
        expect(slog(0)).to.equal(0);
        expect(slog(-3)).to.equal(-slog(3));
        expect(slog(1e12)).to.be.below(30);
        expect(slog(2)).to.be.above(slog(1));
    });
});

describe("irregular input (both sets)", () => {
    const values = Array.from({ length: 60 }, (_, i) => Math.cos(i) * 10 + (i === 40 ? 50 : 0));
    const regular = series(values);

    for (const set of ["seed", "default", "default-v1"] as const) {
        it(`${set}: out-of-order rows get the features of their time position, in input order`, () => {
            const shuffled = regular
                .map((p, i) => ({ p, k: (i * 37) % regular.length }))
                .sort((a, b) => a.k - b.k)
                .map((x) => x.p);
            const sorted = computeFeatures(regular, set).rows;
            const got = computeFeatures(shuffled, set).rows;
            expect(got.length).to.equal(shuffled.length);
            shuffled.forEach((p, i) => expect(got[i]).to.deep.equal(sorted[regular.indexOf(p)]));
        });

        it(`${set}: duplicate timestamps and gaps still give one row per point`, () => {
            const pts = [
                ...regular.slice(0, 20),
                ...regular.slice(20, 25).map((p) => ({ ...p, timestamp: regular[20].timestamp })),
                ...regular.slice(25).map((p) => ({ ...p, timestamp: p.timestamp + 7200 })),
            ];
            const { rows } = computeFeatures(pts, set);
            expect(rows.length).to.equal(pts.length);
            for (const r of rows) for (const v of r) expect(Number.isFinite(v)).to.equal(true);
            // Points are the same values in the same order, so value-only features are unchanged by the gap.
            if (FEATURE_SETS[set][0] === "value") expect(rows.map((r) => r[0])).to.deep.equal(values);
        });
    }

    it("throws a clear error on an empty series", () => {
        expect(() => computeFeatures([], "default")).to.throw(/empty/);
    });

    it("timeOrder is stable for ties", () => {
        expect(
            timeOrder([
                { timestamp: 5, value: 0 },
                { timestamp: 1, value: 0 },
                { timestamp: 5, value: 1 },
                { timestamp: 1, value: 1 },
            ]),
        ).to.deep.equal([1, 3, 0, 2]);
    });
});

describe("SortedWindow", () => {
    const naiveMedian = (a: number[]) => {
        const s = [...a].sort((x, y) => x - y);
        const m = s.length >> 1;
        return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    };

    it("tracks the median and MAD of a sliding window with ties", () => {
        const w = new SortedWindow(7);
        const data = [5, 1, 1, 9, 3, 3, 3, 8, 2, 7, 7, 0, 4, 6, 1];
        for (let i = 0; i < data.length; i++) {
            if (i >= 7) w.remove(data[i - 7]);
            w.insert(data[i]);
            const win = data.slice(Math.max(0, i - 6), i + 1);
            const med = naiveMedian(win);
            expect(w.median()).to.equal(med);
            expect(w.mad(med)).to.equal(naiveMedian(win.map((v) => Math.abs(v - med))));
        }
    });

    it("finds the MAD by binary search exactly as the naive one, odd and even sizes, heavy ties", () => {
        let state = 12345;
        const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
        for (const capacity of [1, 2, 5, 16, 33]) {
            const w = new SortedWindow(capacity);
            const data = Array.from({ length: 200 }, () => Math.floor(next() * 6) * 0.5);
            for (let i = 0; i < data.length; i++) {
                if (i >= capacity) w.remove(data[i - capacity]);
                w.insert(data[i]);
                const win = data.slice(Math.max(0, i - capacity + 1), i + 1);
                const med = naiveMedian(win);
                expect(w.mad(med)).to.equal(naiveMedian(win.map((v) => Math.abs(v - med))));
                // Any centre, not only the median (drift checks read the MAD around other points).
                expect(w.mad(1.25)).to.equal(naiveMedian(win.map((v) => Math.abs(v - 1.25))));
            }
        }
    });

    it("refuses to remove a value it does not hold", () => {
        const w = new SortedWindow(3);
        w.insert(1);
        expect(() => w.remove(2)).to.throw(/no 2/);
    });
});
