/** A metric series sample: unix seconds (UTC) and a finite FP64 value. */
export interface Point {
    timestamp: number;
    value: number;
}

// NAB writes "YYYY-MM-DD HH:MM:SS" without a zone (UTC); labels add ".ffffff". Accept "T" and "Z" too.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/;

/**
 * Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) or unix seconds into unix seconds.
 * Returns undefined when the text is neither.
 */
export function parseTimestamp(text: string): number | undefined {
    const t = text.trim();
    const m = DATE_TIME.exec(t);
    if (m) {
        const [, y, mo, d, h, mi, s, frac] = m;
        const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
        // Date.UTC rolls 2014-02-30 over to March; reject instead of guessing.
        const back = new Date(ms);
        if (back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) {
            return undefined;
        }
        return ms / 1000 + (frac ? Number(frac) : 0);
    }
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) {
        const n = Number(t);
        return Number.isFinite(n) ? n : undefined;
    }
    return undefined;
}

/**
 * Reads a two-column CSV ("timestamp,value", header optional) as NAB ships it.
 * Rows keep file order; duplicates, gaps and out-of-order rows are left for the features to handle.
 * Throws an Error naming the line number and the bad field.
 */
export function readCsvSeries(text: string): Point[] {
    const points: Point[] = [];
    const lines = text.split(/\r?\n/);
    const first = lines.findIndex((l) => l.trim() !== "");
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i].trim();
        if (line === "") continue;
        const cells = line.split(",");
        if (i === first && parseTimestamp(cells[0]) === undefined) {
            // Header row such as "timestamp,value".
            continue;
        }
        const where = `line ${i + 1}`;
        if (cells.length !== 2) {
            throw new Error(`${where}: expected 2 columns "timestamp,value", got ${cells.length}: "${truncate(line)}"`);
        }
        const timestamp = parseTimestamp(cells[0]);
        if (timestamp === undefined) {
            throw new Error(`${where}: timestamp "${truncate(cells[0])}" is neither "YYYY-MM-DD HH:MM:SS" (UTC) nor unix seconds`);
        }
        const rawValue = cells[1].trim();
        const value = rawValue === "" ? NaN : Number(rawValue);
        if (!Number.isFinite(value)) {
            throw new Error(`${where}: value "${truncate(cells[1])}" is not a finite number`);
        }
        points.push({ timestamp, value });
    }
    if (points.length === 0) {
        throw new Error('CSV has no data rows; expected lines of "timestamp,value"');
    }
    return points;
}

function truncate(s: string): string {
    return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
