// One reader of environment variables for the tool, the scorer and the analyst: each config collects every
// problem (one ConfigError lists them all) instead of stopping at the first.

export type Env = Readonly<Record<string, string | undefined>>;

/** Its readers are bound properties, so a config can destructure them: `const { value, int } = new EnvReader(env)`. */
export class EnvReader {
    /** Every problem found so far, one line each, naming the variable and the fix. */
    readonly problems: string[] = [];

    constructor(private readonly env: Env) {}

    /** The trimmed value; unset and empty read the same. */
    readonly value = (name: string): string | undefined => {
        const v = this.env[name]?.trim();
        return v === undefined || v === "" ? undefined : v;
    };

    /** A decimal integer in [min, max], or `def` when unset; `hint` says what the number means. */
    readonly int = (name: string, def: number, min: number, max: number, hint?: string): number => {
        const raw = this.value(name);
        if (raw === undefined) return def;
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < min || n > max) {
            this.problems.push(`${name} must be an integer from ${min} to ${max}${hint ? ` (${hint})` : ""}; got '${raw}'`);
            return def;
        }
        return n;
    };

    /**
     * A required http(s) base URL without query or fragment, returned with a trailing slash so that
     * `new URL("api/v1/...", base)` keeps any path prefix (e.g. /prometheus/). "" when bad (a problem is recorded).
     */
    readonly baseUrl = (name: string, example: string): string => {
        const raw = this.value(name);
        if (raw === undefined) {
            this.problems.push(`${name} is required: set it to the base URL, e.g. ${example}`);
            return "";
        }
        let parsed: URL;
        try {
            parsed = new URL(raw);
        } catch {
            this.problems.push(`${name} must be an http(s) URL such as ${example}; got '${raw}'`);
            return "";
        }
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
            this.problems.push(`${name} must use http or https, e.g. ${example}; got '${raw}'`);
            return "";
        }
        if (parsed.search !== "" || parsed.hash !== "") {
            this.problems.push(`${name} must be a base URL without query or fragment, e.g. ${example}; got '${raw}'`);
            return "";
        }
        return parsed.href.endsWith("/") ? parsed.href : `${parsed.href}/`;
    };
}
