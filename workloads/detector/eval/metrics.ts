/**
 * The scoring protocol of the seed baseline (notes section 4): an anomaly is label -1;
 * window recall = windows with at least one flagged point / windows;
 * point precision = flagged points inside a window / flagged points;
 * FP outside = flagged points outside every window. Windows are inclusive.
 */
import type { Window } from "./nab";

export interface Detection {
    windows: number;
    windowsHit: number;
    flagged: number;
    inWindow: number;
    fpOutside: number;
}

export function evaluateFlags(timestamps: readonly number[], labels: readonly (1 | -1)[], windows: readonly Window[]): Detection {
    const hit = new Array<boolean>(windows.length).fill(false);
    let flagged = 0;
    let inWindow = 0;
    for (let i = 0; i < timestamps.length; i++) {
        if (labels[i] !== -1) continue;
        flagged++;
        let inside = false;
        windows.forEach((w, k) => {
            if (timestamps[i] >= w.start && timestamps[i] <= w.end) {
                inside = true;
                hit[k] = true;
            }
        });
        if (inside) inWindow++;
    }
    const windowsHit = hit.filter(Boolean).length;
    return { windows: windows.length, windowsHit, flagged, inWindow, fpOutside: flagged - inWindow };
}

export function sumDetections(ds: readonly Detection[]): Detection {
    const total: Detection = { windows: 0, windowsHit: 0, flagged: 0, inWindow: 0, fpOutside: 0 };
    for (const d of ds) {
        total.windows += d.windows;
        total.windowsHit += d.windowsHit;
        total.flagged += d.flagged;
        total.inWindow += d.inWindow;
        total.fpOutside += d.fpOutside;
    }
    return total;
}

export function windowRecall(d: Detection): number {
    return d.windows === 0 ? NaN : d.windowsHit / d.windows;
}

export function pointPrecision(d: Detection): number {
    return d.flagged === 0 ? 0 : d.inWindow / d.flagged;
}
