import { expect } from "chai";
import { chooseStep, MAX_HOURS, pointsFor, PROMETHEUS_MAX_POINTS, windowEndingAt } from "../src/window";

describe("mcp-tool query window", () => {
    it("uses 10 s steps while the window fits, then the next round step", () => {
        expect(chooseStep(1)).to.equal(10);
        expect(chooseStep(24)).to.equal(10); // 8,641 points
        expect(chooseStep(30.5)).to.equal(10); // 10,981 points
        expect(chooseStep(31)).to.equal(15);
        expect(chooseStep(48)).to.equal(20);
        expect(chooseStep(MAX_HOURS)).to.equal(60); // 10,081 points
    });

    it("never asks Prometheus for more than 11,000 points, for any window up to the cap and beyond", () => {
        for (let minutes = 1; minutes <= MAX_HOURS * 60; minutes += 7) {
            const hours = minutes / 60;
            const step = chooseStep(hours);
            expect(pointsFor(hours * 3600, step), `${hours} h at ${step} s`).to.be.at.most(PROMETHEUS_MAX_POINTS);
        }
        for (const hours of [500, 5000, 87_600]) {
            expect(pointsFor(hours * 3600, chooseStep(hours)), `${hours} h`).to.be.at.most(PROMETHEUS_MAX_POINTS);
        }
    });

    it("aligns the window end down to the step and spans the requested hours", () => {
        const now = Date.UTC(2026, 0, 15, 12, 0, 7, 500);
        const w = windowEndingAt(now, 2);
        expect(w.step).to.equal(10);
        expect(w.end).to.equal(Date.UTC(2026, 0, 15, 12, 0, 0) / 1000);
        expect(w.end - w.start).to.equal(7200);
        expect(windowEndingAt(now, 0.5).start).to.equal(w.end - 1800);
    });
});
