// A newcomer's first commands (issue 16): help exits 0, a wrong stack name is one clear line naming the
// stacks there are, and clean output needs no `bin`: `npm run -s` or `--out`.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, listStacks } from "../harness/stack-config";

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}
const cli = (file: string, ...args: string[]) =>
    run(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, file), ...args]);
const POLICY = "policies/offline/cli.ts";
const RENDER = "tests/harness/render-cli.ts";

describe("CLI first use: help, wrong stack, clean output", function () {
    this.timeout(180_000);
    let scratch: string;
    before(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cli-ux-"))));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    for (const [name, file] of [
        ["policy", POLICY],
        ["render", RENDER],
    ] as const) {
        for (const flag of ["--help", "-h"]) {
            it(`${name} ${flag} prints the usage on stdout and exits 0`, async () => {
                const r = await cli(file, flag);
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.match(/^usage: npm run -s /i);
                expect(r.stdout).to.include("--stack").and.include("--out");
                expect(r.stderr).to.equal("");
            });
        }
    }

    it("policy --stack nope: one clear error naming the stacks there are, exit 2, no stack trace", async () => {
        const r = await cli(POLICY, "--stack", "nope");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.equal(
            `error: no stack 'nope': there is no Pulumi.nope.yaml at the repository root. Available stacks: ${listStacks().join(", ")}.\n`,
        );
        expect(r.stdout).to.equal("");
    });

    it("render --stack nope: the same, exit 2, no stack trace", async () => {
        const r = await cli(RENDER, "--stack", "nope");
        expect(r.code).to.equal(2);
        expect(r.stderr.startsWith(`--stack must be one of ${listStacks().join(", ")}; got nope\n`), r.stderr).to.equal(true);
        expect(r.stderr).to.not.match(/^\s+at /m);
    });

    it("policy --out FILE writes the report there and keeps stdout empty", async () => {
        const file = path.join(scratch, "report.json");
        const r = await cli(POLICY, "--stack", "homelab", "--format", "json", "--out", file);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal("");
        expect(r.stderr).to.equal(`wrote ${file}\n`);
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.have.all.keys("policies", "violations");
    });

    it("`npm run -s render` prints only the document (no npm banner), as the README says", async () => {
        const r = await run("npm", ["run", "-s", "render", "--", "--stack", "homelab"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.startsWith("{"), r.stdout.slice(0, 80)).to.equal(true);
        expect(JSON.parse(r.stdout)).to.have.property("stack", "homelab");
    });
});
