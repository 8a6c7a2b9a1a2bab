// npm run -s render -- --stack <name> [--format json|yaml] [--out DIR]
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { listStacks } from "./stack-config";
import { renderStack, toYaml } from "./render";

const USAGE = [
    `usage: npm run -s render -- --stack <${listStacks().join("|")}> [--format json|yaml] [--out DIR]`,
    "  --out DIR   write DIR/<stack>.<format> instead of printing the document",
    "  -s          (npm's --silent) keeps npm's banner out of stdout: npm run -s render -- --stack aws > aws.json",
].join("\n");

async function cli(argv: string[]): Promise<number> {
    let values: { stack?: string; format?: string; out?: string; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                format: { type: "string", default: "json" },
                out: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        }));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const stacks = listStacks();
    if (!values.stack || !stacks.includes(values.stack)) {
        process.stderr.write(`--stack must be one of ${stacks.join(", ")}; got ${values.stack ?? "nothing"}\n${USAGE}\n`);
        return 2;
    }
    if (values.format !== "json" && values.format !== "yaml") {
        process.stderr.write(`--format must be json or yaml; got ${values.format}\n${USAGE}\n`);
        return 2;
    }
    // Keep stdout for the document: anything the runtime logs goes to stderr.
    console.log = (...args: unknown[]) => process.stderr.write(args.map(String).join(" ") + "\n");
    let text: string;
    try {
        const result = await renderStack(values.stack);
        text = values.format === "json" ? JSON.stringify(result, null, 2) + "\n" : toYaml(result);
    } catch (e) {
        process.stderr.write(`render failed for stack '${values.stack}':\n${(e as Error).message ?? String(e)}\n`);
        return 1;
    }
    if (values.out) {
        fs.mkdirSync(values.out, { recursive: true });
        const file = path.join(values.out, `${values.stack}.${values.format}`);
        fs.writeFileSync(file, text);
        process.stderr.write(`wrote ${file}\n`);
    } else {
        process.stdout.write(text);
    }
    return 0;
}

cli(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (e) => {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        process.exitCode = 1;
    },
);
