// `render` is the contract reviewers' tools read: its JSON shape, its redaction, its YAML, its errors.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigError } from "../../stacks/config";
import { SECRET_SIG } from "../harness/recorder";
import { RenderResult, kubernetesObjects, renderStack, toRenderResult, toYaml } from "../harness/render";
import { StackRun, runStack } from "../harness/run";
import { REPO_ROOT } from "../harness/stack-config";

const STACKS = ["aws", "homelab", "hybrid", "local"];

function renderCli(args: string[], env: NodeJS.ProcessEnv = {}) {
    return spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "tests/harness/render-cli.ts"), ...args],
        {
            cwd: REPO_ROOT,
            env: { ...process.env, ...env },
            encoding: "utf8",
            timeout: 120_000,
        },
    );
}

describe("render", () => {
    const runs: Record<string, StackRun> = {};
    const results: Record<string, RenderResult> = {};
    before(async () => {
        for (const stack of STACKS) {
            runs[stack] = await runStack(stack);
            results[stack] = toRenderResult(runs[stack]);
        }
    });

    for (const stack of STACKS) {
        describe(stack, () => {
            it("has exactly the documented JSON shape", () => {
                const r = results[stack];
                expect(Object.keys(r)).to.deep.equal(["project", "stack", "resources", "outputs"]);
                expect(r.project).to.equal("aiops-mlops-platform");
                expect(r.stack).to.equal(stack);
                expect(r.resources.length).to.be.greaterThan(0);
                for (const res of r.resources) {
                    expect(Object.keys(res)).to.deep.equal(["type", "name", "parent", "provider", "inputs"]);
                    expect(res.type).to.match(/^[a-z0-9-]+:[A-Za-z0-9/.-]*:[A-Za-z0-9]+$/);
                }
            });

            it("names parents and providers that are in the graph", () => {
                const r = results[stack];
                const known = new Set(r.resources.map((x) => `${x.type}::${x.name}`));
                for (const res of r.resources) {
                    if (res.parent !== null) expect(known.has(res.parent), `${res.name}'s parent ${res.parent}`).to.equal(true);
                    if (res.provider !== null) expect(known.has(res.provider), `${res.name}'s provider ${res.provider}`).to.equal(true);
                }
            });

            it("shows every secret as [secret], in inputs and outputs", () => {
                const text = JSON.stringify(results[stack]);
                expect(text).to.not.include(SECRET_SIG);
                expect(text).to.not.include("mock-secret-for-");
                for (const [key, out] of Object.entries(runs[stack].outputs)) {
                    if (out.secret) expect(results[stack].outputs[key], key).to.equal("[secret]");
                }
                expect(
                    Object.values(runs[stack].outputs).some((o) => o.secret),
                    "a kubeconfig output is a secret",
                ).to.equal(true);
            });

            it("renders every Kubernetes object as YAML kubectl can read", () => {
                const objects = kubernetesObjects(results[stack]);
                const docs = parseAllDocuments(toYaml(results[stack]));
                expect(docs).to.have.length(objects.length);
                for (const doc of docs) {
                    expect(doc.errors).to.deep.equal([]);
                    const o = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
                    expect(o.apiVersion, JSON.stringify(o).slice(0, 120)).to.be.a("string");
                    expect(o.kind).to.be.a("string");
                    expect(o.metadata?.name).to.be.a("string");
                }
            });
        });
    }

    it("fails a bad stack config before any resource is declared", async () => {
        let error: (ConfigError & { registrations?: unknown[] }) | undefined;
        try {
            await runStack("homelab", { environment: "marsbase" });
        } catch (e) {
            error = e as ConfigError & { registrations?: unknown[] };
        }
        expect(error).to.be.instanceOf(ConfigError);
        expect(error?.message).to.include("`environment` must be one of aws, homelab, hybrid, local; got 'marsbase'");
        expect(error?.registrations).to.deep.equal([]);
    });

    it("renders the same graph twice (deterministic)", async () => {
        const again = await renderStack("homelab");
        expect(JSON.stringify(again)).to.equal(JSON.stringify(results.homelab));
    });

    describe("command line", () => {
        it("prints the JSON graph for a stack", () => {
            const out = renderCli(["--stack", "homelab", "--format", "json"]);
            expect(out.status, out.stderr).to.equal(0);
            expect(JSON.parse(out.stdout)).to.deep.equal(results.homelab);
        });

        it("exits non-zero naming `environment` for a stack whose environment is marsbase", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-render-"));
            fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.mars.yaml"), "config:\n  aiops-mlops-platform:environment: marsbase\n");
            const out = renderCli(["--stack", "mars"], { AIOPS_PROJECT_ROOT: dir });
            fs.rmSync(dir, { recursive: true, force: true });
            expect(out.status).to.equal(1);
            expect(out.stdout).to.equal("");
            expect(out.stderr).to.include("`environment` must be one of aws, homelab, hybrid, local; got 'marsbase'");
        });

        it("refuses unknown stacks and formats with usage and exit code 2", () => {
            const stack = renderCli(["--stack", "prod"]);
            expect(stack.status).to.equal(2);
            expect(stack.stderr).to.include("--stack must be one of aws, homelab, hybrid, local; got prod");
            const format = renderCli(["--stack", "aws", "--format", "xml"]);
            expect(format.status).to.equal(2);
            expect(format.stderr).to.include("--format must be json or yaml; got xml");
        });

        it("writes <stack>.<format> into --out", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-out-"));
            const out = renderCli(["--stack", "aws", "--format", "yaml", "--out", dir]);
            const written = fs.existsSync(path.join(dir, "aws.yaml")) ? fs.readFileSync(path.join(dir, "aws.yaml"), "utf8") : undefined;
            fs.rmSync(dir, { recursive: true, force: true });
            expect(out.status, out.stderr).to.equal(0);
            expect(written).to.equal(toYaml(results.aws));
        });
    });
});
