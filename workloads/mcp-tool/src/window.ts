/** Prometheus refuses a query_range that would return more points than this per series. */
export const PROMETHEUS_MAX_POINTS = 11_000;
/** The longest window a tool call may ask for (7 days). */
export const MAX_HOURS = 168;
/** The scrape-like resolution the detector models are trained at; used whenever the window allows it. */
export const BASE_STEP_SECONDS = 10;

// Round steps keep timestamps readable and repeated calls aligned.
const STEP_LADDER = [10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600] as const;

/** Points query_range returns for a window: both ends included. */
export function pointsFor(windowSeconds: number, stepSeconds: number): number {
    return Math.floor(windowSeconds / stepSeconds) + 1;
}

/** The smallest round step (10 s when possible) that keeps the window within Prometheus's point limit. */
export function chooseStep(hours: number, maxPoints: number = PROMETHEUS_MAX_POINTS): number {
    const seconds = hours * 3600;
    for (const step of STEP_LADDER) {
        if (step >= BASE_STEP_SECONDS && pointsFor(seconds, step) <= maxPoints) return step;
    }
    // Beyond the ladder (only for windows far over MAX_HOURS): the exact minimum, rounded up to a minute.
    return Math.ceil(seconds / (maxPoints - 1) / 60) * 60;
}

export interface QueryWindow {
    /** Unix seconds, inclusive. */
    readonly start: number;
    /** Unix seconds, inclusive; a multiple of the step, so repeated calls line up. */
    readonly end: number;
    readonly step: number;
    readonly hours: number;
}

/** The window ending at `nowMs`, aligned down to the step. */
export function windowEndingAt(nowMs: number, hours: number): QueryWindow {
    const step = chooseStep(hours);
    const end = Math.floor(nowMs / 1000 / step) * step;
    return { start: end - Math.round(hours * 3600), end, step, hours };
}
