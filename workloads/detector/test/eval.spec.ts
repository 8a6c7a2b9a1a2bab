import { expect } from "chai";
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONFIG, evaluateConfig, SEED_CONFIG, SKLEARN_SEED_BASELINE } from "../eval/evaluate";
import { evaluateFlags, pointPrecision, sumDetections, windowRecall } from "../eval/metrics";
import { loadAwsSeries, resolveNabDir } from "../eval/nab";

describe("evaluation protocol", () => {
    it("counts window hits, in-window flags and false positives with inclusive windows", () => {
        const windows = [
            { start: 10, end: 20 },
            { start: 40, end: 50 },
        ];
        const d = evaluateFlags([5, 10, 15, 20, 30, 45], [-1, -1, 1, -1, -1, 1], windows);
        expect(d).to.deep.equal({ windows: 2, windowsHit: 1, flagged: 4, inWindow: 2, fpOutside: 2 });
        expect(windowRecall(d)).to.equal(0.5);
        expect(pointPrecision(d)).to.equal(0.5);
        expect(sumDetections([d, d]).fpOutside).to.equal(4);
    });

    it("finds the NAB folder through NAB_DIR and says how to fix a wrong one", () => {
        const dir = mkdtempSync(join(tmpdir(), "nab-"));
        try {
            mkdirSync(join(dir, "labels"));
            writeFileSync(join(dir, "labels", "combined_windows.json"), "{}");
            expect(resolveNabDir({ NAB_DIR: dir })).to.equal(dir);
            expect(() => resolveNabDir({ NAB_DIR: join(dir, "nope") })).to.throw(/set|point it at/);
            expect(() => resolveNabDir({}, tmpdir())).to.throw(/set NAB_DIR/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The proof of the detection targets (issue 5): train on each NAB realAWSCloudwatch series, score it.
describe("NAB realAWSCloudwatch evaluation", () => {
    const series = loadAwsSeries(resolveNabDir());

    it("loads the 17 series and their 30 windows", () => {
        expect(series).to.have.length(17);
        expect(series.reduce((a, s) => a + s.windows.length, 0)).to.equal(30);
    });

    it("default detector: point precision >= 0.30, window recall >= 0.90, <= 1,500 FP outside windows", () => {
        const { total } = evaluateConfig(series, DEFAULT_CONFIG);
        expect(windowRecall(total), "window recall").to.be.at.least(0.9);
        expect(pointPrecision(total), "point precision").to.be.at.least(0.3);
        expect(total.fpOutside, "FP outside windows").to.be.at.most(1500);
    });

    it("seed configuration through our port lands on the published sklearn baseline", () => {
        const { total } = evaluateConfig(series, SEED_CONFIG);
        expect(total.flagged).to.be.closeTo(SKLEARN_SEED_BASELINE.flagged, 5);
        expect(windowRecall(total)).to.be.closeTo(windowRecall(SKLEARN_SEED_BASELINE), 0.07);
        expect(pointPrecision(total)).to.be.closeTo(pointPrecision(SKLEARN_SEED_BASELINE), 0.02);
    });
});
