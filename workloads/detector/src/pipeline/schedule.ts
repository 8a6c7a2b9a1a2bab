// One training schedule, two cron dialects. Kubeflow Pipelines parses a recurring run's cron with
// robfig/cron v1.2.0 `cron.Parse` (KFP 2.17.0 backend/src/apiserver/server/api_converter.go): six fields,
// SECONDS FIRST, the day of week optional. A five-field crontab is accepted there too, but read as
// "second minute hour day month": "0 2 * * *" silently means minute 2 of every hour. A Kubernetes CronJob
// takes the standard five fields (minute first). So config holds one value, either form, and every
// consumer gets the form it parses, validated field by field.

/** Both renderings of one schedule. */
export interface Schedule {
    /** Six fields, seconds first, for a KFP recurring run (`trigger.cron_schedule.cron`). */
    readonly kfp: string;
    /** Five fields, minute first, for a Kubernetes CronJob (`spec.schedule`). */
    readonly kubernetes: string;
}

interface FieldSpec {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly names?: readonly string[];
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const FIVE_FIELDS: readonly FieldSpec[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: MONTHS },
    // 0-6 only: robfig v1 (KFP) and v3 (Kubernetes) both reject 7.
    { name: "day of week", min: 0, max: 6, names: DAYS },
];

/** Descriptors both parsers understand, spelled out (so both renderings stay plain fields). */
const DESCRIPTORS: Readonly<Record<string, string>> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

export const SCHEDULE_EXAMPLE = "'0 2 * * *' (five fields, minute first) or '0 0 2 * * *' (six fields, seconds first): 02:00 daily";

function fail(source: string, what: string): never {
    throw new Error(`schedule '${source}': ${what}; write e.g. ${SCHEDULE_EXAMPLE}`);
}

function value(source: string, spec: FieldSpec, text: string): number {
    const lower = text.toLowerCase();
    const named = spec.names?.indexOf(lower) ?? -1;
    const n = named >= 0 ? named + (spec.names === MONTHS ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(n)) fail(source, `${spec.name} field has '${text}', which is not a number${spec.names ? " or a name" : ""}`);
    if (n < spec.min || n > spec.max) fail(source, `${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
    return n;
}

/** Checks one field against the syntax both robfig parsers share: *, ?, n, a-b, lists, /step. */
function checkField(source: string, spec: FieldSpec, field: string): void {
    for (const part of field.split(",")) {
        if (part === "") fail(source, `${spec.name} field '${field}' has an empty list item`);
        const [range, step, extra] = part.split("/");
        if (extra !== undefined) fail(source, `${spec.name} field '${part}' has more than one '/'`);
        if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))
            fail(source, `${spec.name} step '${step}' must be a positive integer`);
        if (range === "*" || range === "?") {
            if (range === "?" && spec.name !== "day of month" && spec.name !== "day of week")
                fail(source, `'?' is only allowed in the day-of-month and day-of-week fields, not in ${spec.name}`);
            continue;
        }
        const bounds = range.split("-");
        if (bounds.length > 2) fail(source, `${spec.name} range '${range}' has more than one '-'`);
        const lo = value(source, spec, bounds[0]);
        const hi = bounds.length === 2 ? value(source, spec, bounds[1]) : lo;
        if (hi < lo) fail(source, `${spec.name} range '${range}' runs backwards`);
    }
}

/**
 * Parses the configured schedule (five fields minute-first, six fields seconds-first, or a descriptor such
 * as @daily) into both renderings. Throws an error that names the schedule, the field and the fix.
 */
export function parseSchedule(text: string): Schedule {
    const source = text.trim();
    if (source === "") fail(text, "it is empty");
    const expanded = source.startsWith("@") ? DESCRIPTORS[source.toLowerCase()] : source;
    if (expanded === undefined) fail(source, `unknown descriptor (known: ${Object.keys(DESCRIPTORS).join(", ")})`);
    const fields = expanded.split(/\s+/);
    let seconds = "0";
    let five: string[];
    if (fields.length === 5) {
        five = fields;
    } else if (fields.length === 6) {
        [seconds, ...five] = fields;
        checkField(source, SECOND, seconds);
        // A CronJob cannot fire at a second other than 0; refuse rather than shift the time silently.
        if (!/^0+$/.test(seconds)) fail(source, `the seconds field must be 0 (a Kubernetes CronJob has no seconds); got '${seconds}'`);
        seconds = "0";
    } else {
        fail(source, `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found ${fields.length}`);
    }
    five.forEach((f, i) => checkField(source, FIVE_FIELDS[i], f));
    return { kfp: [seconds, ...five].join(" "), kubernetes: five.join(" ") };
}
