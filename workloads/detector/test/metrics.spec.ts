import { expect } from "chai";
import { binIndex, DetectorMetrics, DRIFT_MIN_ROWS, DriftWindow, ModelStatus, populationStabilityIndex, PSI_EPSILON } from "../src/metrics";
import { featureRows } from "../src/model";
import { cpuSeries, prng, smallModel } from "./server-helpers";

/** Value of one sample line in the exposition text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    for (const line of text.split("\n")) {
        if (!line.startsWith(`${name}{`)) continue;
        const labelText = line.slice(name.length + 1, line.indexOf("}"));
        const have = labelText.split(",");
        if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(line.slice(line.indexOf("}") + 2));
    }
    return undefined;
}

describe("detector metrics: PSI", () => {
    it("matches a hand-computed value", () => {
        // (0.1-0.25)ln(0.1/0.25) + (0.2-0.25)ln(0.2/0.25) + (0.3-0.25)ln(0.3/0.25) + (0.4-0.25)ln(0.4/0.25)
        // = 0.137444 + 0.011157 + 0.009116 + 0.070501 = 0.228217
        expect(populationStabilityIndex([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4])).to.be.closeTo(0.228217, 1e-6);
    });

    it("is 0 for identical shares and clamps empty bins to epsilon instead of going infinite", () => {
        expect(populationStabilityIndex([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).to.equal(0);
        // Third bin: (0.25 - 1e-4) * ln(0.25 / 1e-4) = 1.955229; second: (0.25-0.5)ln(0.5) = 0.173287.
        expect(PSI_EPSILON).to.equal(1e-4);
        expect(populationStabilityIndex([0.5, 0.5, 0], [0.5, 0.25, 0.25])).to.be.closeTo(2.128516, 1e-6);
    });

    it("refuses shares with different bin counts", () => {
        expect(() => populationStabilityIndex([0.5, 0.5], [1])).to.throw(/same number of bins/);
    });
});

describe("detector metrics: drift window", () => {
    const dist = { name: "x", edges: [1, 2, 3], fractions: [0.25, 0.25, 0.25, 0.25] };

    it("bins like the model file: bin i is (edges[i-1], edges[i]]", () => {
        expect([0, 1, 1.5, 2, 3, 3.0001, 100].map((x) => binIndex(dist.edges, x))).to.deep.equal([0, 0, 1, 1, 2, 3, 3]);
        expect(binIndex([], 5)).to.equal(0);
    });

    it("keeps only the last `capacity` rows and skips rows with non-finite values", () => {
        const w = new DriftWindow([dist], 4);
        w.add([[0.5], [0.5], [0.5], [0.5]]);
        // All four in bin 0: PSI against uniform shares is large.
        expect(w.psi()[0]).to.be.greaterThan(1);
        w.add([[1.5], [2.5], [3.5], [0.5], [NaN]]);
        expect(w.size).to.equal(4);
        // Now one row per bin, exactly the training shares.
        expect(w.psi()[0]).to.be.closeTo(0, 1e-12);
    });

    it("adds flat row-major rows (wider than the model's features) exactly as row arrays, skipping non-finite rows", () => {
        const two = [dist, { ...dist, name: "y" }];
        const rows = [
            [0.5, 2.5],
            [1.5, NaN],
            [3.5, 1.5],
            [2.5, 0.5],
        ];
        const byRows = new DriftWindow(two, 8);
        byRows.add(rows);
        const flat = new DriftWindow(two, 8);
        // Three columns: the window reads the first two of each row.
        flat.addFlat(Float64Array.from(rows.flatMap((r) => [...r, 99])), 3);
        expect(flat.size).to.equal(3);
        expect(flat.psi()).to.deep.equal(byRows.psi());
        // Narrower than the model's features: nothing is added.
        flat.addFlat(Float64Array.from([0.5, 0.5]), 1);
        expect(flat.size).to.equal(3);
    });

    it("rejects distributions whose fractions do not fit the edges", () => {
        expect(() => new DriftWindow([{ name: "bad", edges: [1], fractions: [1] }])).to.throw(/feature 'bad'/);
        expect(() => new DriftWindow([dist], 0)).to.throw(/positive integer/);
    });
});

describe("detector metrics: drift gauge", () => {
    const model = smallModel("cpu");

    function metricsWith(drift: DriftWindow): DetectorMetrics {
        const statuses: ModelStatus[] = [{ name: "cpu", ready: true, version: "v1", featureSet: model.featureSet, drift }];
        return new DetectorMetrics(() => statuses, { defaultMetrics: false });
    }

    it("stays low for input from the training distribution and rises for drifted input", async () => {
        const same = new DriftWindow(model.drift);
        same.add(featureRows(model, cpuSeries(1500, { seed: 99 })));
        const sameText = await metricsWith(same).registry.metrics();
        const sameValue = sample(sameText, "detector_feature_drift_psi", { model: "cpu", feature: "noise_step_z" });
        expect(sameValue).to.be.a("number").and.to.be.lessThan(0.1);

        const drifted = new DriftWindow(model.drift);
        // Every 4th point 25 higher: spiky input (a level change alone is normalised away by the default features).
        drifted.add(
            featureRows(
                model,
                cpuSeries(1500, { seed: 99 }).map((p, i) => (i % 4 === 0 ? { ...p, value: p.value + 25 } : p)),
            ),
        );
        const driftText = await metricsWith(drifted).registry.metrics();
        const driftValue = sample(driftText, "detector_feature_drift_psi", { model: "cpu", feature: "noise_step_z" });
        expect(driftValue).to.be.a("number").and.to.be.greaterThan(1);
        // Every feature of the model gets a series.
        for (const f of model.features) expect(driftText).to.include(`detector_feature_drift_psi{model="cpu",feature="${f}"}`);
    });

    it("is absent until the window holds enough rows, while the window size is exported", async () => {
        const w = new DriftWindow(model.drift);
        const rand = prng(3);
        w.add(Array.from({ length: DRIFT_MIN_ROWS - 1 }, () => model.features.map(() => rand())));
        const text = await metricsWith(w).registry.metrics();
        expect(text).not.to.include("detector_feature_drift_psi{");
        expect(sample(text, "detector_drift_window_rows", { model: "cpu" })).to.equal(DRIFT_MIN_ROWS - 1);
    });

    it("exports model readiness and info from the model list, and default process metrics when asked", async () => {
        const statuses: ModelStatus[] = [
            { name: "good", ready: true, version: "abc", featureSet: "default" },
            { name: "broken", ready: false },
        ];
        const m = new DetectorMetrics(() => statuses);
        const text = await m.registry.metrics();
        expect(sample(text, "detector_model_ready", { model: "good" })).to.equal(1);
        expect(sample(text, "detector_model_ready", { model: "broken" })).to.equal(0);
        expect(sample(text, "detector_model_info", { model: "good", version: "abc", feature_set: "default" })).to.equal(1);
        expect(text).to.include("process_cpu_user_seconds_total");
        expect(text).to.include("nodejs_version_info");
    });
});
