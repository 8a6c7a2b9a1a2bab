import { formatValue, MetricName } from "@aiops/contract";
import { Period } from "./periods";
import { QueryWindow } from "./window";

export interface SummaryInput {
    readonly instance: string;
    readonly metric: MetricName;
    readonly window: QueryWindow;
    readonly points: number;
    readonly anomalies: number;
    readonly periods: readonly Period[];
}

/** How many periods the text names; the rest are counted. structuredContent always has all of them. */
export const MAX_PERIODS_IN_TEXT = 5;

export function isoSeconds(unixSeconds: number): string {
    return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}

/** "14:30" within one UTC day, "2026-01-14 14:30" when the window crosses midnight. */
export function clockTime(unixSeconds: number, withDate: boolean): string {
    const iso = isoSeconds(unixSeconds);
    return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

export function formatDuration(seconds: number): string {
    if (seconds % 3600 === 0) return `${seconds / 3600} h`;
    if (seconds % 60 === 0) return `${seconds / 60} min`;
    return `${seconds} s`;
}

export function percent(part: number, whole: number): string {
    return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

/**
 * One paragraph an agent can quote: what was analysed, how many anomalies, and when they happened, e.g.
 * "15 anomalies (4.2%) between 14:30 and 14:45 UTC (61.2% to 98.0%, most anomalous 97.3% at 14:37)".
 */
export function summarize(s: SummaryInput): string {
    const withDate = isoSeconds(s.window.start).slice(0, 10) !== isoSeconds(s.window.end).slice(0, 10);
    const t = (x: number): string => clockTime(x, withDate);
    const head =
        `${s.metric} on ${s.instance}, last ${formatDuration(Math.round(s.window.hours * 3600))} ` +
        `(${t(s.window.start)}–${t(s.window.end)} UTC, ${s.points} points at ${s.window.step} s steps)`;
    if (s.anomalies === 0) return `${head}: no anomalies.`;

    const describe = (p: Period): string => {
        const [from, to] = [t(p.start), t(p.end)];
        const when = from === to ? `at ${from} UTC` : `between ${from} and ${to} UTC`;
        const [lo, hi] = [formatValue(s.metric, p.min), formatValue(s.metric, p.max)];
        const values = lo === hi ? lo : `${lo} to ${hi}`;
        const peak = p.count === 1 ? "" : `, most anomalous ${formatValue(s.metric, p.peak.value)} at ${t(p.peak.timestamp)}`;
        return `${when} (${values}${peak})`;
    };
    const counted = `${s.anomalies} ${s.anomalies === 1 ? "anomaly" : "anomalies"} (${percent(s.anomalies, s.points)})`;
    if (s.periods.length === 1) return `${head}: ${counted} ${describe(s.periods[0])}.`;

    // Name the longest periods (a 20-minute incident matters more than a one-point blip), then the most
    // anomalous; list them in time order.
    const named = [...s.periods]
        .sort((a, b) => b.count - a.count || a.peak.score - b.peak.score)
        .slice(0, MAX_PERIODS_IN_TEXT)
        .sort((a, b) => a.start - b.start);
    const rest = s.periods.length - named.length;
    const more = rest > 0 ? `; and ${rest} shorter ${rest === 1 ? "period" : "periods"}` : "";
    return `${head}: ${counted} in ${s.periods.length} periods: ${named.map(describe).join("; ")}${more}.`;
}
