// npm run render:snapshot [-- --stack <name>]: re-record the committed render snapshot of every stack
// (tests/fixtures/render-snapshot/<stack>.json) from the current code. Only run it when a change to the
// rendered graph is intended; tests/foundation/render-snapshot.spec.ts compares against these files.
import { parseArgs } from "node:util";
import { renderStack } from "./render";
import { diffSnapshots, readSnapshot, toSnapshot, writeSnapshot } from "./snapshot";
import { listStacks } from "./stack-config";

async function cli(argv: string[]): Promise<number> {
    const { values } = parseArgs({ args: argv, options: { stack: { type: "string", multiple: true } } });
    const stacks = values.stack ?? listStacks();
    const unknown = stacks.filter((s) => !listStacks().includes(s));
    if (unknown.length > 0) {
        process.stderr.write(`--stack must be one of ${listStacks().join(", ")}; got ${unknown.join(", ")}\n`);
        return 2;
    }
    console.log = (...args: unknown[]) => process.stderr.write(args.map(String).join(" ") + "\n");
    for (const stack of stacks) {
        const snapshot = toSnapshot(await renderStack(stack));
        const before = readSnapshot(stack);
        const changes = before ? diffSnapshots(before, snapshot).length : "new";
        process.stderr.write(
            `wrote ${writeSnapshot(snapshot)} (${Object.keys(snapshot.resources).length} resources; changed lines: ${changes})\n`,
        );
    }
    return 0;
}

cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        process.exitCode = 1;
    },
);
