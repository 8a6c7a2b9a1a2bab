/**
 * `npm run eval`: on NAB realAWSCloudwatch and on the synthetic benchmark, side by side, in both modes (whole
 * series, and 1-hour windows each scored with the detector's lookback before it): our default detector, the
 * seed's pipeline (`--features seed`) and the SRE z-score rule tuned on a small grid. Writes the plot of one
 * synthetic series per anomaly kind to docs/detector-quality.svg (or $EVAL_SVG; EVAL_SVG=- skips it).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pointPrecision, windowRecall, type Detection } from "./metrics";
import { loadAwsSeries, resolveNabDir } from "./nab";
import {
    DEFAULT_CONFIG,
    evaluateLabeller,
    forestLabeller,
    hourPoints,
    MODES,
    scoreWindowed,
    SEED_CONFIG,
    seriesStep,
    SKLEARN_SEED_BASELINE,
    type ConfigResult,
    type LabelledSeries,
    type Mode,
} from "./evaluate";
import { ANOMALY_KINDS, syntheticBenchmark } from "./synthetic";
import { pickRule, rangePoints, zscoreLabels, ZSCORE_GRID, type ZScoreRule } from "./zscore";
import { plotKinds } from "./plot";

function fmt(d: Detection): string[] {
    const recall = windowRecall(d);
    return [
        `${d.windowsHit}/${d.windows}`,
        Number.isNaN(recall) ? "-" : recall.toFixed(3),
        String(d.flagged),
        String(d.inWindow),
        pointPrecision(d).toFixed(3),
        String(d.fpOutside),
    ];
}

export function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
    return [
        line(header),
        `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
        ...rows.map(line),
    ].join("\n");
}

const METRIC_HEADER = ["windows hit", "recall", "flagged", "in window", "precision", "FP outside"];

function ruleLabel(rule: ZScoreRule): string {
    const r = rule.rangeSeconds;
    return `SRE z-score [${r % 3600 === 0 ? `${r / 3600}h` : `${r / 60}m`}] |z|>${rule.k}`;
}

/** Every grid rule on every series; the picked one is the best precision at the default's recall or better. */
function zscoreResults(series: readonly LabelledSeries[], mode: Mode): (ConfigResult & { rule: ZScoreRule })[] {
    return ZSCORE_GRID.map((rule) => {
        const label = ruleLabel(rule);
        const result = evaluateLabeller(
            series,
            { label, options: {} },
            (s, m) => {
                const w = rangePoints(rule, seriesStep(s.points));
                if (m === "whole") return zscoreLabels(s.points, w, rule.k);
                return scoreWindowed(s.points, hourPoints(s.points), w - 1, (slice) => zscoreLabels(slice, w, rule.k));
            },
            mode,
        );
        return { ...result, rule };
    });
}

interface DataSet {
    name: string;
    series: LabelledSeries[];
}

function main(): void {
    const nabDir = resolveNabDir();
    const sets: DataSet[] = [
        { name: "NAB realAWSCloudwatch", series: loadAwsSeries(nabDir) },
        { name: "synthetic benchmark", series: syntheticBenchmark() },
    ];
    console.log(`NAB data: ${nabDir} (${sets[0].series.length} series); synthetic: ${sets[1].series.length} series (eval/synthetic.ts)\n`);
    const summary: string[][] = [];
    for (const set of sets) {
        const kinds = set.name.startsWith("synthetic") ? [...ANOMALY_KINDS] : [];
        for (const mode of MODES) {
            const started = process.hrtime.bigint();
            const ours = evaluateLabeller(set.series, DEFAULT_CONFIG, forestLabeller(DEFAULT_CONFIG), mode);
            const seed = evaluateLabeller(set.series, SEED_CONFIG, forestLabeller(SEED_CONFIG), mode);
            const sre = pickRule(zscoreResults(set.series, mode), windowRecall(ours.total));
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const rows = [ours, seed, sre];
            console.log(
                `## ${set.name}, ${mode === "whole" ? "whole series" : "1-hour windows with lookback"} (${seconds.toFixed(1)} s)\n`,
            );
            const extra =
                set.name.startsWith("NAB") && mode === "whole"
                    ? [["sklearn seed baseline (published)", ...fmt(SKLEARN_SEED_BASELINE)]]
                    : [];
            console.log(
                table(
                    ["detector", ...METRIC_HEADER, ...kinds],
                    [
                        ...rows.map((r) => [
                            r.config.label,
                            ...fmt(r.total),
                            ...kinds.map((k) => (r.perKind[k] ? windowRecall(r.perKind[k]).toFixed(2) : "-")),
                        ]),
                        ...extra.map((r) => [...r, ...kinds.map(() => "")]),
                    ],
                ),
            );
            console.log("");
            for (const r of rows) summary.push([set.name, mode, r.config.label, ...fmt(r.total)]);
            if (set.name.startsWith("NAB") && mode === "whole") {
                console.log(`### ${DEFAULT_CONFIG.label}, per series\n`);
                console.log(
                    table(
                        ["series", "points", ...METRIC_HEADER],
                        ours.perSeries.map((r) => [r.series, String(r.points), ...fmt(r.detection)]),
                    ),
                );
                console.log("");
            }
        }
    }
    const svg = process.env.EVAL_SVG ?? resolve(__dirname, "../../../docs/detector-quality.svg");
    if (svg !== "-") {
        writeFileSync(svg, plotKinds(sets[1].series, forestLabeller(DEFAULT_CONFIG)));
        console.log(`plot of one synthetic series per anomaly kind with the default detector's flags: ${svg}`);
    }
}

main();
