/** `npm run eval`: the NAB realAWSCloudwatch evaluation, per series and in total, beside the seed baseline. */
import { pointPrecision, windowRecall, type Detection } from "./metrics";
import { loadAwsSeries, resolveNabDir } from "./nab";
import { DEFAULT_CONFIG, evaluateConfig, SEED_CONFIG, SKLEARN_SEED_BASELINE, type ConfigResult } from "./evaluate";

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

function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
    return [
        line(header),
        `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
        ...rows.map(line),
    ].join("\n");
}

const METRIC_HEADER = ["windows hit", "recall", "flagged", "in window", "precision", "FP outside"];

function main(): void {
    const nabDir = resolveNabDir();
    const series = loadAwsSeries(nabDir);
    console.log(`NAB data: ${nabDir} (${series.length} realAWSCloudwatch series)\n`);
    const results: ConfigResult[] = [];
    for (const config of [DEFAULT_CONFIG, SEED_CONFIG]) {
        const started = process.hrtime.bigint();
        const result = evaluateConfig(series, config);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        results.push(result);
        console.log(`## ${config.label} ${JSON.stringify(config.options)} (train + score: ${seconds.toFixed(1)} s)\n`);
        console.log(
            table(
                ["series", "points", ...METRIC_HEADER],
                result.perSeries.map((r) => [r.series, String(r.points), ...fmt(r.detection)]),
            ),
        );
        console.log("");
    }
    console.log("## Totals (train on each series, score it)\n");
    console.log(
        table(
            ["detector", ...METRIC_HEADER],
            [
                ...results.map((r) => [r.config.label, ...fmt(r.total)]),
                ["sklearn seed baseline (published)", ...fmt(SKLEARN_SEED_BASELINE)],
            ],
        ),
    );
}

main();
