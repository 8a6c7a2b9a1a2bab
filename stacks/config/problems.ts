// What every cross-field check returns, shared by the per-environment check files (<env>-checks.ts).
export const PROJECT = "aiops-mlops-platform";

/** One refused setting: the key, what is wrong with the value, and the command that fixes it. */
export interface Problem {
    key: string;
    message: string;
    fix: string;
}

export function duplicates(values: string[]): string[] {
    return [...new Set(values.filter((x, i) => values.indexOf(x) !== i))];
}
