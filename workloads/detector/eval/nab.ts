/** Loads the NAB realAWSCloudwatch series and labelled windows from the shared reference copy. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseTimestamp, readCsvSeries, type Point } from "../src/series";

export const AWS_DIR = "data/realAWSCloudwatch";
const WINDOWS_FILE = "labels/combined_windows.json";

/** A labelled window, inclusive, in unix seconds. */
export interface Window {
    start: number;
    end: number;
}

export interface NabSeries {
    /** Key in combined_windows.json, e.g. "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv". */
    key: string;
    name: string;
    points: Point[];
    windows: Window[];
}

/**
 * The NAB folder: $NAB_DIR, else the first ancestor of this file holding shared/reference/nab
 * (the repo lives at <work>/main, the data at <work>/shared/reference/nab).
 */
export function resolveNabDir(env: NodeJS.ProcessEnv = process.env, from: string = __dirname): string {
    const override = env.NAB_DIR;
    if (override !== undefined && override !== "") {
        const dir = resolve(override);
        if (!existsSync(join(dir, WINDOWS_FILE))) {
            throw new Error(`NAB_DIR=${override} has no ${WINDOWS_FILE}; point it at the folder holding data/ and labels/`);
        }
        return dir;
    }
    for (let dir = resolve(from); ; dir = dirname(dir)) {
        const candidate = join(dir, "shared", "reference", "nab");
        if (existsSync(join(candidate, WINDOWS_FILE))) return candidate;
        if (dirname(dir) === dir) break;
    }
    throw new Error(`cannot find shared/reference/nab above ${from}; set NAB_DIR to the NAB folder (with data/ and labels/)`);
}

export function loadWindows(nabDir: string): Record<string, Window[]> {
    const raw = JSON.parse(readFileSync(join(nabDir, WINDOWS_FILE), "utf8")) as Record<string, [string, string][]>;
    const out: Record<string, Window[]> = {};
    for (const [key, list] of Object.entries(raw)) {
        out[key] = list.map(([s, e]) => {
            const start = parseTimestamp(s);
            const end = parseTimestamp(e);
            if (start === undefined || end === undefined) throw new Error(`${WINDOWS_FILE}: bad window [${s}, ${e}] for ${key}`);
            return { start, end };
        });
    }
    return out;
}

/** Every CSV in data/realAWSCloudwatch, sorted by name, with its windows. */
export function loadAwsSeries(nabDir: string): NabSeries[] {
    const windows = loadWindows(nabDir);
    const dir = join(nabDir, AWS_DIR);
    return readdirSync(dir)
        .filter((f) => f.endsWith(".csv"))
        .sort()
        .map((file) => {
            const key = `realAWSCloudwatch/${file}`;
            const w = windows[key];
            if (w === undefined) throw new Error(`${WINDOWS_FILE} has no entry for ${key}`);
            return { key, name: file.replace(/\.csv$/, ""), points: readCsvSeries(readFileSync(join(dir, file), "utf8")), windows: w };
        });
}
