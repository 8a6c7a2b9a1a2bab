// `npm run policy -- --stack <name> | --graph <file> [--format text|json] [--config <file>] [--out <file>]`
// Exit codes: 0 no mandatory violation, 1 at least one mandatory violation, 2 bad usage or unreadable input.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { allPolicies } from "../rules";
import { ConfigError, evaluateGraph, EvaluationResult, PolicyConfigOverrides } from "./evaluate";
import { GraphError, loadGraph, RenderResult } from "./graph";
import { formatJson, formatText } from "./format";

export const USAGE = `Usage: npm run -s policy -- (--stack <name> | --graph <file>) [--format text|json] [--config <file>] [--out <file>]

  --stack <name>    render the stack's mock graph (tests/harness/render.ts) and evaluate it
                    (a stack is a Pulumi.<name>.yaml file at the repository root)
  --graph <file>    evaluate a graph in \`npm run render\`'s JSON form (e.g. a hand-edited one)
  --format <fmt>    text (default) or json: {"policies": N, "violations": [{policy, level, resource, message}]}
  --config <file>   policy config in \`pulumi preview --policy-pack-config\` form:
                    {"<policy>": "disabled" | {"enforcementLevel": "...", "<key>": <value>}}
                    (default: policies/policy-config.json, which CI also passes to \`pulumi preview\`)
  --out <file>      write the report to this file instead of stdout
  -h, --help        print this help and exit 0

npm -s (--silent) keeps npm's own banner out of stdout, e.g. npm run -s policy -- --stack aws --format json > report.json

Exit codes: 0 no mandatory violations, 1 mandatory violations, 2 bad usage or input.`;

export class UsageError extends Error {}

export interface CliOptions {
    readonly stack?: string;
    readonly graph?: string;
    readonly format: "text" | "json";
    readonly config?: string;
    readonly out?: string;
    readonly help?: boolean;
}

export function parseCliArgs(argv: string[]): CliOptions {
    let values: { stack?: string; graph?: string; format?: string; config?: string; out?: string; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                graph: { type: "string" },
                format: { type: "string" },
                config: { type: "string" },
                out: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (values.help) return { format: "text", help: true };
    if ((values.stack === undefined) === (values.graph === undefined)) {
        throw new UsageError("pass exactly one of --stack <name> or --graph <file>.");
    }
    const format = values.format ?? "text";
    if (format !== "text" && format !== "json") {
        throw new UsageError(`--format must be text or json; got '${format}'.`);
    }
    return { ...values, format };
}

export interface RenderModule {
    renderStack(stack: string): Promise<RenderResult>;
}

/** Imported lazily so `--graph` works even where the mock harness is absent. */
async function loadHarness(): Promise<RenderModule> {
    const modulePath = path.resolve(__dirname, "../../tests/harness/render");
    try {
        return (await import(modulePath)) as RenderModule;
    } catch (e) {
        throw new GraphError(`cannot load the mock harness (${modulePath}): ${(e as Error).message}. Use --graph <file> instead.`);
    }
}

/** The repository root, where each stack is a `Pulumi.<name>.yaml` file. */
export const REPO_ROOT = path.resolve(__dirname, "../..");

/** Stack names, from the `Pulumi.<name>.yaml` files in `root`. */
export function availableStacks(root: string = REPO_ROOT): string[] {
    return readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The project's policy config: the file CI passes to `pulumi preview --policy-pack-config` as well. */
export const DEFAULT_CONFIG = path.resolve(__dirname, "../policy-config.json");

export function loadOverrides(file: string | undefined = existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined): PolicyConfigOverrides {
    if (file === undefined) {
        return {};
    }
    try {
        return JSON.parse(readFileSync(file, "utf8")) as PolicyConfigOverrides;
    } catch (e) {
        throw new ConfigError(`cannot read policy config ${file}: ${(e as Error).message}`);
    }
}

export async function run(
    argv: string[],
    out: (text: string) => void,
    err: (text: string) => void,
    harness: () => Promise<RenderModule> = loadHarness,
    stacks: () => string[] = availableStacks,
): Promise<number> {
    let options: CliOptions;
    try {
        options = parseCliArgs(argv);
    } catch (e) {
        err(`error: ${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (options.help) {
        out(USAGE);
        return 0;
    }
    if (options.stack !== undefined && !stacks().includes(options.stack)) {
        const known = stacks();
        err(
            `error: no stack '${options.stack}': there is no Pulumi.${options.stack}.yaml at the repository root. ` +
                `Available stacks: ${known.length > 0 ? known.join(", ") : "none"}.`,
        );
        return 2;
    }
    let result: EvaluationResult;
    let graph: RenderResult;
    try {
        graph = options.graph !== undefined ? loadGraph(options.graph) : await (await harness()).renderStack(options.stack!);
        result = await evaluateGraph(graph, allPolicies, loadOverrides(options.config));
    } catch (e) {
        if (e instanceof GraphError || e instanceof ConfigError) {
            err(`error: ${e.message}`);
            return 2;
        }
        throw e;
    }
    const report = options.format === "json" ? formatJson(result) : formatText(result, graph);
    if (options.out !== undefined) {
        try {
            writeFileSync(options.out, `${report}\n`);
        } catch (e) {
            err(`error: cannot write --out ${options.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            return 2;
        }
        err(`wrote ${options.out}`);
    } else {
        out(report);
    }
    return result.violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

if (require.main === module) {
    run(
        process.argv.slice(2),
        (t) => process.stdout.write(`${t}\n`),
        (t) => process.stderr.write(`${t}\n`),
    ).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
            process.exitCode = 2;
        },
    );
}
