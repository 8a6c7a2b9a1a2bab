/** One schedule value, rendered for KFP (robfig/cron v1: six fields, seconds first) and a Kubernetes CronJob (five). */
import { expect } from "chai";
import { parseSchedule } from "../../src/pipeline/schedule";
import { robfigV1Parse } from "./kfp-standin";

describe("training schedule", () => {
    it("converts a five-field crontab to both forms", () => {
        expect(parseSchedule("0 2 * * *")).to.deep.equal({ kfp: "0 0 2 * * *", kubernetes: "0 2 * * *" });
        expect(parseSchedule("  30 3 * * 1-5 ")).to.deep.equal({ kfp: "0 30 3 * * 1-5", kubernetes: "30 3 * * 1-5" });
        expect(parseSchedule("*/15 0-6,22,23 1,15 jan-MAR ?")).to.deep.equal({
            kfp: "0 */15 0-6,22,23 1,15 jan-MAR ?",
            kubernetes: "*/15 0-6,22,23 1,15 jan-MAR ?",
        });
    });

    it("converts a six-field KFP cron (seconds first) to both forms", () => {
        expect(parseSchedule("0 0 2 * * *")).to.deep.equal({ kfp: "0 0 2 * * *", kubernetes: "0 2 * * *" });
        expect(parseSchedule("00 15 4 * * sun")).to.deep.equal({ kfp: "0 15 4 * * sun", kubernetes: "15 4 * * sun" });
        expect(parseSchedule("0 0  2 ? * sat,SUN")).to.deep.equal({ kfp: "0 0 2 ? * sat,SUN", kubernetes: "0 2 ? * sat,SUN" });
        expect(parseSchedule("0 2 * dec *").kubernetes).to.equal("0 2 * dec *");
    });

    it("spells out descriptors for both parsers", () => {
        expect(parseSchedule("@daily")).to.deep.equal({ kfp: "0 0 0 * * *", kubernetes: "0 0 * * *" });
        expect(parseSchedule("@HOURLY")).to.deep.equal({ kfp: "0 0 * * * *", kubernetes: "0 * * * *" });
        expect(parseSchedule("@weekly").kubernetes).to.equal("0 0 * * 0");
    });

    it("the KFP form means the same time to KFP's own parser", () => {
        for (const [text, hour, minute] of [
            ["0 2 * * *", [2], [0]],
            ["0 0 2 * * *", [2], [0]],
            ["45 23 * * *", [23], [45]],
            ["@daily", [0], [0]],
        ] as const) {
            const parsed = robfigV1Parse(parseSchedule(text).kfp);
            expect(parsed.hour, text).to.deep.equal(hour);
            expect(parsed.minute, text).to.deep.equal(minute);
            expect(parsed.second, text).to.deep.equal([0]);
        }
    });

    const bad: [string, string][] = [
        ["", "it is empty"],
        ["0 2 * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found 4"],
        ["0 0 0 2 * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found 7"],
        ["30 0 2 * * *", "the seconds field must be 0 (a Kubernetes CronJob has no seconds); got '30'"],
        ["0 25 * * *", "hour 25 is out of range 0-23"],
        ["60 2 * * *", "minute 60 is out of range 0-59"],
        ["0 2 0 * *", "day of month 0 is out of range 1-31"],
        ["0 2 * 13 *", "month 13 is out of range 1-12"],
        ["0 2 * * 7", "day of week 7 is out of range 0-6"],
        ["0 2 * * funday", "day of week field has 'funday', which is not a number or a name"],
        ["0 two * * *", "hour field has 'two', which is not a number"],
        ["0 5-2 * * *", "hour range '5-2' runs backwards"],
        ["0 1-2-3 * * *", "hour range '1-2-3' has more than one '-'"],
        ["*/0 2 * * *", "minute step '0' must be a positive integer"],
        ["*/5/2 2 * * *", "minute field '*/5/2' has more than one '/'"],
        ["0 2,,3 * * *", "hour field '2,,3' has an empty list item"],
        ["0 ? * * *", "'?' is only allowed in the day-of-month and day-of-week fields, not in hour"],
        ["@fortnightly", "unknown descriptor (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"],
        ["70 0 2 * * *", "second 70 is out of range 0-59"],
        ["05 0 2 * * *", "the seconds field must be 0 (a Kubernetes CronJob has no seconds); got '05'"],
        ["0 x1 * * *", "hour field has 'x1', which is not a number"],
        ["0 1x * * *", "hour field has '1x', which is not a number"],
        ["0 0x1 * * *", "hour field has '0x1', which is not a number"],
        ["0 1e1 * * *", "hour field has '1e1', which is not a number"],
        ["*/0x2 2 * * *", "minute step '0x2' must be a positive integer"],
        ["*/1e1 2 * * *", "minute step '1e1' must be a positive integer"],
        ["*/x2 2 * * *", "minute step 'x2' must be a positive integer"],
        ["*/2x 2 * * *", "minute step '2x' must be a positive integer"],
    ];
    for (const [text, message] of bad)
        it(`refuses '${text}' naming the problem and the fix`, () => {
            expect(() => parseSchedule(text)).to.throw(`schedule '${text.trim()}': ${message}; write e.g. '0 2 * * *'`);
        });

    it("everything it accepts, KFP's parser accepts too", () => {
        for (const text of ["0 2 * * *", "*/15 0-6,22,23 1,15 jan-MAR ?", "0 0 2 * * *", "@monthly", "5 4 * * mon-fri", "0 0-23/2 * * *"])
            expect(() => robfigV1Parse(parseSchedule(text).kfp), text).to.not.throw();
    });
});
