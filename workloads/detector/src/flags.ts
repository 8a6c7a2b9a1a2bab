// Command-line pieces shared by the detector's CLI (cli.ts) and the trainer's commands (training/commands.ts),
// in their own module so that neither imports the other (cli.ts loads the trainer lazily).
import { parseArgs, ParseArgsConfig } from "node:util";
import { FeatureSetName, isFeatureSetName } from "./features";
import type { TrainOptions } from "./model";

/** A mistake in the command line: exit code 2 with the usage. */
export class UsageError extends Error {}

/** Where the CLI writes; tests pass their own. */
export interface Io {
    out: (text: string) => void;
    err: (text: string) => void;
    env: NodeJS.ProcessEnv;
}

/** util.parseArgs with its errors turned into usage errors that name the flag. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(command: string, args: string[], options: T) {
    try {
        return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const flag = /'(-[^' ]+)/.exec(message)?.[1];
        const code = (err as { code?: string }).code;
        if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`${command}: unknown option ${flag ?? message}`);
        if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
            throw new UsageError(`${command}: option ${flag ?? ""} needs a value`.trimEnd());
        if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
            throw new UsageError(`${command}: unexpected argument (${message.split(".")[0]}); every value needs its --flag`);
        throw new UsageError(`${command}: ${message}`);
    }
}

/** Parses a numeric flag; `check` says what is allowed, for the message. */
export function numberFlag(
    command: string,
    flag: string,
    text: string | undefined,
    check: (n: number) => boolean,
    what: string,
): number | undefined {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || !check(n))
        throw new UsageError(`${command}: --${flag} must be ${what}; got '${text}'`);
    return n;
}

export const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/**
 * The training options shared by train and train-all (--features, --contamination, --trees, --max-samples,
 * --seed); unset ones are left out, so the model's own defaults apply.
 */
export function trainingOptions(
    command: string,
    v: { features?: string; contamination?: string; trees?: string; "max-samples"?: string; seed?: string },
): Omit<TrainOptions, "name"> {
    const features = v.features;
    if (features !== undefined && !isFeatureSetName(features)) {
        throw new UsageError(`${command}: --features must be seed or default; got '${features}'`);
    }
    const contamination =
        v.contamination === "auto"
            ? "auto"
            : numberFlag(command, "contamination", v.contamination, (n) => n > 0 && n <= 0.5, "'auto' or a number in (0, 0.5]");
    const options: Omit<TrainOptions, "name"> = {
        featureSet: features as FeatureSetName | undefined,
        contamination,
        trees: numberFlag(command, "trees", v.trees, positiveInt, "a positive integer"),
        maxSamples: numberFlag(command, "max-samples", v["max-samples"], positiveInt, "a positive integer"),
        seed: numberFlag(command, "seed", v.seed, Number.isInteger, "an integer"),
    };
    for (const key of Object.keys(options) as Array<keyof typeof options>) {
        if (options[key] === undefined) Reflect.deleteProperty(options, key);
    }
    return options;
}

/** Unix seconds or an ISO 8601 date-time. */
export function parseTime(text: string, command = "train"): number {
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
    if (!Number.isFinite(n))
        throw new UsageError(`${command}: --end must be unix seconds or ISO 8601 (2026-01-31T00:00:00Z); got '${text}'`);
    return n;
}
