import { expect } from "chai";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { allPolicies } from "../rules";
import { configFor, evaluateGraph, keyOfUrn, levelFor, policyResourcesFromGraph, sortViolations, Violation } from "../offline/evaluate";
import { DEFAULT_CONFIG, loadOverrides, run, USAGE } from "../offline/cli";
import { loadGraph, RenderResult } from "../offline/graph";
import { k8sWorkloadRequiresResources } from "../rules/k8s-workload-requires-resources";

const FIXTURES = path.join(__dirname, "fixtures");
const COMPLIANT = path.join(FIXTURES, "compliant.json");
const VIOLATIONS = path.join(FIXTURES, "violations.json");

async function cli(args: string[], harness?: Parameters<typeof run>[3]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(
        args,
        (t) => out.push(t),
        (t) => err.push(t),
        harness,
    );
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("offline evaluation (npm run policy)", () => {
    let scratch: string;
    // Fixture runs use an empty config, so the project's policies/policy-config.json cannot change their counts.
    let noConfig: string;
    before(() => {
        scratch = mkdtempSync(path.join(tmpdir(), "policy-cli-"));
        noConfig = path.join(scratch, "none.json");
        writeFileSync(noConfig, "{}");
    });
    after(() => rmSync(scratch, { recursive: true, force: true }));
    const write = (name: string, content: string) => {
        const file = path.join(scratch, name);
        writeFileSync(file, content);
        return file;
    };

    describe("graph to policy resources", () => {
        const graph = loadGraph(COMPLIANT);
        const resources = policyResourcesFromGraph(graph);
        const find = (type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;

        it("builds URNs with the parent type chain, as the engine does", () => {
            const deployment = find("kubernetes:apps/v1:Deployment", "detector");
            expect(deployment.urn).to.equal(
                "urn:pulumi:fixture::aiops-mlops-platform::aiops:platform:Platform$kubernetes:apps/v1:Deployment::detector",
            );
            expect(keyOfUrn(deployment.urn)).to.equal("kubernetes:apps/v1:Deployment::detector");
            expect(deployment.parent?.name).to.equal("platform");
            expect(deployment.provider).to.include({ type: "pulumi:providers:kubernetes", name: "platform" });
            expect(deployment.provider?.props.kubeconfig).to.equal("[secret]");
        });

        it("infers property dependencies from recorded ids", () => {
            const bucket = find("aws:s3/bucket:Bucket", "artifacts");
            const sse = find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "artifacts");
            expect(sse.propertyDependencies.bucket).to.deep.equal([bucket]);
            expect(sse.dependencies).to.deep.equal([bucket]);
            expect(bucket.propertyDependencies).to.deep.equal({});
        });
    });

    describe("evaluateGraph", () => {
        it("finds no violation in the compliant graph", async () => {
            const result = await evaluateGraph(loadGraph(COMPLIANT), allPolicies);
            expect(result).to.deep.equal({ policies: allPolicies.length, violations: [] });
        });

        it("reports each seeded violation once, in stable order", async () => {
            const { violations } = await evaluateGraph(loadGraph(VIOLATIONS), allPolicies);
            expect(violations.map((v) => [v.level, v.policy, v.resource])).to.deep.equal([
                ["mandatory", "capacity-plan-fits-node-capacity", "aiops:platform:CapacityPlan::capacity"],
                ["mandatory", "ec2-node-requires-imdsv2", "eks:index:ManagedNodeGroup::aiops-arm"],
                ["mandatory", "helm-release-requires-pinned-version", "kubernetes:helm.sh/v3:Release::kube-prometheus-stack"],
                ["mandatory", "k8s-namespace-requires-default-deny-ingress", "kubernetes:core/v1:Namespace::aiops"],
                ["mandatory", "k8s-service-disallows-unannotated-load-balancer", "kubernetes:core/v1:Service::detector"],
                ["mandatory", "k8s-workload-requires-amd64-node-selector", "kubernetes:apps/v1:Deployment::metadata-grpc"],
                ["mandatory", "k8s-workload-requires-pinned-image", "kubernetes:apps/v1:Deployment::detector"],
                ["mandatory", "s3-bucket-requires-public-access-block", "aws:s3/bucket:Bucket::artifacts"],
                ["advisory", "k8s-workload-requires-standard-labels", "kubernetes:apps/v1:Deployment::detector"],
            ]);
            expect(sortViolations([...violations].reverse())).to.deep.equal(violations);
        });

        it("applies overrides: disabled policies do not run, levels change, config reaches the policy", async () => {
            const { policies, violations } = await evaluateGraph(loadGraph(VIOLATIONS), allPolicies, {
                "helm-release-requires-pinned-version": "disabled",
                "k8s-service-disallows-unannotated-load-balancer": { enforcementLevel: "advisory" },
                "capacity-plan-fits-node-capacity": { headroomPercent: 0, enforcementLevel: "mandatory" },
            });
            expect(policies).to.equal(allPolicies.length - 1);
            expect(violations.some((v) => v.policy === "helm-release-requires-pinned-version")).to.equal(false);
            expect(violations.find((v) => v.policy === "k8s-service-disallows-unannotated-load-balancer")?.level).to.equal("advisory");
            // 12.5 requested cores still exceed 12 total with no headroom.
            expect(violations.find((v) => v.policy === "capacity-plan-fits-node-capacity")?.message).to.include("with 0% headroom");
        });

        it("reports a stack-wide finding against the stack when no urn is given", async () => {
            const policy = {
                name: "stack-requires-something",
                description: "x",
                enforcementLevel: "advisory" as const,
                validateStack: (_: unknown, report: (m: string) => void) => report("fix it"),
            };
            const { violations } = await evaluateGraph({ project: "p", stack: "s", resources: [], outputs: {} }, [policy]);
            expect(violations).to.deep.equal([
                { policy: "stack-requires-something", level: "advisory", resource: "pulumi:pulumi:Stack::p-s", message: "fix it" },
            ]);
        });

        it("rejects config for unknown policies, unknown keys and wrong types", async () => {
            const graph: RenderResult = { project: "p", stack: "s", resources: [], outputs: {} };
            await expectReject(
                evaluateGraph(graph, allPolicies, { "no-such-policy": "disabled" }),
                "policy config names unknown policies: no-such-policy.",
            );
            expect(() => configFor(k8sWorkloadRequiresResources, { cpu: true })).to.throw(
                "policy k8s-workload-requires-resources has no config key `cpu`; known keys: requireCpuLimit.",
            );
            expect(() => configFor(k8sWorkloadRequiresResources, { requireCpuLimit: "no" })).to.throw(
                'config `requireCpuLimit` must be a boolean; got "no".',
            );
            expect(configFor(k8sWorkloadRequiresResources)).to.deep.equal({ requireCpuLimit: true });
            expect(levelFor(k8sWorkloadRequiresResources, "remediate")).to.equal("remediate");
        });
    });

    describe("the CLI", () => {
        it("prints a readable summary and exits 0 on the compliant graph", async () => {
            const { code, stdout } = await cli(["--graph", COMPLIANT, "--config", noConfig]);
            expect(code).to.equal(0);
            expect(stdout.split("\n").at(-1)).to.equal(`${allPolicies.length} policies, 0 mandatory violations, 0 advisory`);
        });

        it("exits 1 with violations, and prints exactly the JSON shape", async () => {
            const { code, stdout } = await cli(["--graph", VIOLATIONS, "--format", "json", "--config", noConfig]);
            expect(code).to.equal(1);
            const parsed = JSON.parse(stdout) as { policies: number; violations: Violation[] };
            expect(Object.keys(parsed)).to.deep.equal(["policies", "violations"]);
            expect(parsed.policies).to.equal(allPolicies.length);
            expect(parsed.violations).to.have.length(9);
            for (const v of parsed.violations) {
                expect(Object.keys(v)).to.deep.equal(["policy", "level", "resource", "message"]);
            }
            const text = await cli(["--graph", VIOLATIONS, "--config", noConfig]);
            expect(text.stdout.split("\n").at(-1)).to.equal(`${allPolicies.length} policies, 8 mandatory violations, 1 advisory`);
            expect(text.stdout).to.include("MANDATORY  k8s-workload-requires-pinned-image  kubernetes:apps/v1:Deployment::detector");
        });

        it("exits 0 when only advisory violations remain", async () => {
            const config = write("advisory.json", JSON.stringify({ all: "advisory" }));
            const { code, stdout } = await cli(["--graph", VIOLATIONS, "--config", config]);
            expect(code).to.equal(0);
            expect(stdout).to.match(/0 mandatory violations, 9 advisory$/);
        });

        for (const [title, args, message] of [
            ["no source", [], "pass exactly one of --stack <name> or --graph <file>."],
            ["both sources", ["--stack", "aws", "--graph", COMPLIANT], "pass exactly one of --stack <name> or --graph <file>."],
            ["a bad format", ["--graph", COMPLIANT, "--format", "yaml"], "--format must be text or json; got 'yaml'."],
            ["an unknown flag", ["--graph", COMPLIANT, "--verbose"], "Unknown option '--verbose'"],
        ] as const) {
            it(`exits 2 with usage on ${title}`, async () => {
                const { code, stderr } = await cli([...args]);
                expect(code).to.equal(2);
                expect(stderr).to.include(message).and.include(USAGE);
            });
        }

        it("exits 2 with a clear error for a missing, malformed or mis-shaped graph", async () => {
            const missing = await cli(["--graph", path.join(scratch, "nope.json")]);
            expect([missing.code, missing.stderr]).to.deep.equal([
                2,
                `error: cannot read graph file ${path.join(scratch, "nope.json")}: ENOENT. Pass the path of a JSON file written by \`npm run render\`.`,
            ]);
            const broken = await cli(["--graph", write("broken.json", "{ not json")]);
            expect(broken.code).to.equal(2);
            expect(broken.stderr).to.match(/broken\.json is not valid JSON: /);
            const shape = await cli([
                "--graph",
                write("shape.json", JSON.stringify({ project: "p", stack: "s", resources: [{ name: "x" }], outputs: {} })),
            ]);
            expect(shape.code).to.equal(2);
            expect(shape.stderr).to.include("`resources[0].type` must be a non-empty string; got nothing.");
        });

        it("renders --stack through the harness, and explains a harness that cannot load", async () => {
            const rendered: string[] = [];
            const harness = async () => ({
                renderStack: async (stack: string) => {
                    rendered.push(stack);
                    return loadGraph(COMPLIANT);
                },
            });
            expect((await cli(["--stack", "homelab", "--format", "json", "--config", noConfig], harness)).code).to.equal(0);
            expect(rendered).to.deep.equal(["homelab"]);
            const broken = await cli(["--stack", "homelab"], async () => {
                throw new (await import("../offline/graph")).GraphError(
                    "cannot load the mock harness (x): gone. Use --graph <file> instead.",
                );
            });
            expect([broken.code, broken.stderr]).to.deep.equal([
                2,
                "error: cannot load the mock harness (x): gone. Use --graph <file> instead.",
            ]);
        });

        it("reads the project's policy config by default, and a given file instead", () => {
            expect(loadOverrides()).to.deep.equal(JSON.parse(readFileSync(DEFAULT_CONFIG, "utf8")));
            expect(loadOverrides(write("custom.json", JSON.stringify({ all: "disabled" })))).to.deep.equal({ all: "disabled" });
        });

        it("sets the process exit code when run as a script", function () {
            this.timeout(60_000);
            const script = path.join(__dirname, "..", "offline", "cli.ts");
            const runScript = (...args: string[]) =>
                spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], {
                    encoding: "utf8",
                    timeout: 50_000,
                });
            expect(runScript("--graph", VIOLATIONS, "--config", noConfig).status).to.equal(1);
            expect(runScript("--format", "json").status).to.equal(2);
        });
    });
});

async function expectReject(promise: Promise<unknown>, message: string): Promise<void> {
    try {
        await promise;
    } catch (e) {
        expect((e as Error).message).to.equal(message);
        return;
    }
    expect.fail(`expected rejection: ${message}`);
}
