/**
 * An SVG plot (written as text, no browser or library): one panel per anomaly kind, each a stretch of one
 * synthetic series around that kind's labelled window (shaded), with the points the detector flags in red.
 */
import type { Labeller, LabelledSeries } from "./evaluate";
import { ANOMALY_KINDS } from "./synthetic";

const WIDTH = 900;
const PANEL = 150;
const MARGIN = { left: 70, right: 20, top: 28, bottom: 22 };

export function plotKinds(series: readonly LabelledSeries[], labeller: Labeller): string {
    const parts: string[] = [];
    const height = ANOMALY_KINDS.length * PANEL + 30;
    parts.push(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
        `<rect width="100%" height="100%" fill="white"/>`,
        `<text x="${MARGIN.left}" y="18" font-size="14">Default detector on the synthetic benchmark: labelled window shaded, flagged points red (whole-series scoring)</text>`,
    );
    ANOMALY_KINDS.forEach((kind, k) => {
        // The first 5-minute series holding this kind (a few days of context fit in one panel).
        const s = series.find((x) => x.windows.some((w) => w.kind === kind)) as LabelledSeries;
        const w = s.windows.find((x) => x.kind === kind)!;
        const labels = labeller(s, "whole");
        const span = w.end - w.start;
        const from = w.start - 2 * span;
        const to = w.end + 2 * span;
        const idx = s.points.map((p, i) => i).filter((i) => s.points[i].timestamp >= from && s.points[i].timestamp <= to);
        const top = 30 + k * PANEL;
        const x0 = MARGIN.left;
        const x1 = WIDTH - MARGIN.right;
        const y0 = top + MARGIN.top;
        const y1 = top + PANEL - MARGIN.bottom;
        let lo = Infinity;
        let hi = -Infinity;
        for (const i of idx) {
            lo = Math.min(lo, s.points[i].value);
            hi = Math.max(hi, s.points[i].value);
        }
        if (hi === lo) hi = lo + 1;
        const t0 = s.points[idx[0]].timestamp;
        const t1 = s.points[idx[idx.length - 1]].timestamp;
        const X = (t: number) => x0 + ((t - t0) / (t1 - t0)) * (x1 - x0);
        const Y = (v: number) => y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
        parts.push(
            `<g>`,
            `<text x="${x0}" y="${top + 18}" font-weight="bold">${kind}</text>`,
            `<text x="${x0 + 110}" y="${top + 18}" fill="#555">${s.name}, ${new Date(t0 * 1000).toISOString().slice(0, 16)}Z to ${new Date(t1 * 1000).toISOString().slice(0, 16)}Z</text>`,
            `<rect x="${X(w.start).toFixed(1)}" y="${y0}" width="${(X(w.end) - X(w.start)).toFixed(1)}" height="${y1 - y0}" fill="#f6d9a8" opacity="0.6"/>`,
            `<line x1="${x0}" y1="${y1}" x2="${x1}" y2="${y1}" stroke="#999"/>`,
            `<text x="${x0 - 6}" y="${y0 + 4}" text-anchor="end" fill="#555">${fmt(hi)}</text>`,
            `<text x="${x0 - 6}" y="${y1}" text-anchor="end" fill="#555">${fmt(lo)}</text>`,
            `<polyline fill="none" stroke="#2b6cb0" stroke-width="1" points="${idx.map((i) => `${X(s.points[i].timestamp).toFixed(1)},${Y(s.points[i].value).toFixed(1)}`).join(" ")}"/>`,
            ...idx
                .filter((i) => labels[i] === -1)
                .map(
                    (i) =>
                        `<circle cx="${X(s.points[i].timestamp).toFixed(1)}" cy="${Y(s.points[i].value).toFixed(1)}" r="2.6" fill="#d62728"/>`,
                ),
            `</g>`,
        );
    });
    parts.push(`</svg>`);
    return `${parts.join("\n")}\n`;
}

function fmt(v: number): string {
    return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(3);
}
