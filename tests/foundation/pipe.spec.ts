// Every CLI's output must survive a pipe. `process.exit()` right after `process.stdout.write()` drops what
// Node still queues when stdout is a pipe: `npm run render -- --stack homelab | jq` used to receive exactly
// 65,536 bytes (one pipe buffer). These tests run each CLI with stdout on a real OS pipe into a reader
// that pauses after the first byte (so the pipe fills and the writer must wait), then parse everything.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/stack-config";

interface Piped {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * `argv | reader` under bash with pipefail (so the exit code is the CLI's). The reader takes one byte,
 * then pauses for a second before reading the rest: the CLI has then written its document into a full
 * pipe and must wait for the reader. (A reader that reads all along races the exit and may hide the bug.)
 */
function throughPipe(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Piped> {
    const child = spawn("bash", ["-c", 'set -o pipefail; "$@" | { dd bs=1 count=1 2>/dev/null; sleep 1; cat; }', "bash", ...argv], {
        cwd: REPO_ROOT,
        env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

const tsNode = (file: string, ...args: string[]) => [
    process.execPath,
    "-r",
    "ts-node/register/transpile-only",
    path.join(REPO_ROOT, file),
    ...args,
];

describe("CLIs through a real pipe", function () {
    this.timeout(180_000);

    it("render: the whole JSON document of the homelab stack (well over one 64 KiB pipe buffer) arrives", async () => {
        const r = await throughPipe(tsNode("tests/harness/render-cli.ts", "--stack", "homelab", "--format", "json"));
        expect(r.code, r.stderr).to.equal(0);
        expect(Buffer.byteLength(r.stdout), "more than one pipe buffer, or the test proves nothing").to.be.greaterThan(65_536);
        const doc = JSON.parse(r.stdout);
        expect(doc).to.have.property("resources").that.is.an("array").and.is.not.empty;
    });

    it("policy: the JSON report arrives whole and the exit code survives", async () => {
        const r = await throughPipe(tsNode("policies/offline/cli.ts", "--stack", "homelab", "--format", "json"));
        expect(r.code, r.stderr).to.equal(0);
        expect(JSON.parse(r.stdout)).to.have.all.keys("policies", "violations");
    });

    it("mcp-tool: the configuration error is logged whole before exit 2", async () => {
        const r = await throughPipe(tsNode("workloads/mcp-tool/src/server.ts"), { PATH: process.env.PATH });
        expect(r.code).to.equal(2);
        const line = JSON.parse(r.stdout.trim().split("\n").pop()!);
        expect(line).to.include({ level: "error" });
        expect(line.problems).to.be.an("array").with.length.greaterThan(0);
    });

    it("mcp-tool: on SIGTERM it logs 'stopped' and exits 0, the last line intact", async () => {
        const child = spawn(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "workloads/mcp-tool/src/server.ts")],
            {
                cwd: REPO_ROOT,
                env: {
                    PATH: process.env.PATH,
                    PORT: "0",
                    HOST: "127.0.0.1",
                    PROMETHEUS_URL: "http://127.0.0.1:9",
                    INFERENCE_SERVICE_URL: "http://127.0.0.1:9",
                },
            },
        );
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString("utf8");
            if (stdout.includes('"msg":"listening"')) child.kill("SIGTERM");
        });
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        expect(code, stdout).to.equal(0);
        const last = JSON.parse(stdout.trim().split("\n").pop()!);
        expect(last).to.include({ level: "info", msg: "stopped" });
    });

    it("no CLI source calls process.exit() directly (only the exitAfterStdout helpers, which wait for stdout)", () => {
        const roots = ["tests/harness", "policies/offline", "workloads/detector/src", "workloads/mcp-tool/src", "workloads/mcp-tool/bench"];
        const offenders: string[] = [];
        const walk = (dir: string): void => {
            for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
                const rel = path.join(dir, e.name);
                if (e.isDirectory()) walk(rel);
                else if (/\.ts$/.test(e.name) && e.name !== "exit.ts") {
                    fs.readFileSync(path.join(REPO_ROOT, rel), "utf8")
                        .split("\n")
                        .forEach((l, i) => {
                            // The bench's child program is a string run by another process, which exits after SIGTERM on purpose.
                            if (
                                /process\.exit\(/.test(l) &&
                                !/^const CHILD|app\.close\(\)\.then\(\(\) => process\.exit\(0\)\)\);$/.test(l.trim())
                            )
                                offenders.push(`${rel}:${i + 1}: ${l.trim()}`);
                        });
                }
            }
        };
        roots.forEach(walk);
        expect(offenders).to.deep.equal([]);
    });
});
