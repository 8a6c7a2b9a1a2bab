// Props reach a policy as untyped JSON (resource inputs, or state during a real run). These guards read
// them without `any`, and treat a value of the wrong shape the same as a missing one.

export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export function asStrings(value: unknown): string[] {
    return asArray(value).filter((v): v is string => typeof v === "string");
}

/** Reads a dotted path ("spec.template.spec") from nested records; undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
    let current: unknown = value;
    for (const key of path.split(".")) {
        const record = asRecord(current);
        if (record === undefined) {
            return undefined;
        }
        current = record[key];
    }
    return current;
}

/** Renders a value for a violation message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    return typeof value === "string" ? `'${value}'` : JSON.stringify(value);
}
