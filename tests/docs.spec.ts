// The README's examples are tested: the first commands exist and do what the README says, and the offline
// commands (render, policy, detector train/score on a named NAB file) print what the docs show.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveNabDir } from "../workloads/detector/eval/nab";
import { REPO_ROOT } from "./harness";

const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), "utf8");
const README = read("README.md");
const PKG = JSON.parse(read("package.json")) as { scripts: Record<string, string>; engines: { node: string } };

/** The fenced blocks of a markdown text with their language. */
function blocks(md: string): { lang: string; body: string }[] {
    return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

function npm(args: string[], timeout = 180_000) {
    return spawnSync("npm", args, { cwd: REPO_ROOT, encoding: "utf8", timeout, env: { ...process.env, FORCE_COLOR: "0" } });
}

describe("docs: the README's first commands", () => {
    const first = blocks(README)[0];

    it("opens with what it is, then the two commands for a fresh machine: npm ci && npm run local, and the test command", () => {
        expect(README.indexOf("```")).to.be.lessThan(README.indexOf("## "));
        expect(first.lang).to.equal("sh");
        const commands = first.body
            .split("\n")
            .map((l) => l.replace(/#.*$/, "").trim())
            .filter(Boolean);
        expect(commands).to.deep.equal([
            "export PULUMI_CONFIG_PASSPHRASE='choose-a-passphrase'",
            "npm ci && npm run local",
            "bash .ci/run",
        ]);
        expect(first.body).to.contain("`npm test` once npm ci ran");
    });

    it("names a test command that is what CI runs: .ci/run ends in npm test, which is package.json's test script", () => {
        expect(read(".ci/run")).to.match(/^npm test\b/m);
        expect(PKG.scripts.test).to.match(/^mocha /);
    });

    it("`npm run local` exists and calls, in order, the commands the README says it runs", () => {
        expect(PKG.scripts.local).to.equal("bash scripts/local.sh");
        const script = read("scripts/local.sh");
        const named = [
            "pulumi login file://<this checkout>/.pulumi-state",
            "pulumi stack select local --create",
            "pulumi up --stack local",
        ];
        for (const n of named) expect(README, n).to.contain("`" + n + "`");
        const lines = script.split("\n").filter((l) => /^pulumi (login|stack|up) /.test(l));
        expect(lines).to.deep.equal([
            'pulumi login "file://$ROOT/.pulumi-state"',
            "pulumi stack select local --create",
            'pulumi up --stack local "$@"',
        ]);
        // The preflight and the passphrase check come first.
        const login = script.indexOf('pulumi login "file://');
        expect(script.indexOf("bash components/cluster/k3d/preflight.sh")).to.be.within(0, login);
        expect(script.indexOf('if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ]')).to.be.within(0, login);
    });

    it("never tells users to run the Pulumi CLI through npx, and sets secrets only after the stack exists", () => {
        // The one mention is the warning against it.
        expect(README.replace("not `npx pulumi`", "")).to.not.contain("npx pulumi");
        const deploy = README.slice(README.indexOf("## Deploy another stack"));
        const order = [
            "pulumi login",
            "PULUMI_CONFIG_PASSPHRASE",
            "pulumi stack select homelab --create",
            "pulumi config set --secret",
            "pulumi up --stack homelab",
        ];
        const at = order.map((c) => deploy.indexOf(c));
        expect(
            at.every((i) => i >= 0),
            JSON.stringify(at),
        ).to.equal(true);
        expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
    });

    it("says Node.js 22+, as engines does (see docs/node.md for the Node 20 build machines)", () => {
        expect(PKG.engines.node).to.equal(">=22");
        expect(README).to.contain("Node.js 22 (or 24) LTS");
        expect(README).to.not.match(/Node\.js 20\b/);
    });

    it("has one Mermaid architecture diagram before the prerequisites (the loop and the alert path come later)", () => {
        const prerequisites = README.indexOf("## Prerequisites per stack");
        expect(blocks(README.slice(0, prerequisites)).filter((b) => b.lang === "mermaid")).to.have.length(1);
        expect(README.indexOf("```mermaid")).to.be.lessThan(prerequisites);
        expect(README.indexOf("### The MLOps loop")).to.be.greaterThan(prerequisites);
        expect(blocks(README).filter((b) => b.lang === "mermaid")).to.have.length(3);
    });
});

describe("docs: the README's offline commands print what it shows", function () {
    this.timeout(300_000);

    it("`npm run -s render -- --stack local` prints clean JSON with the outputs the 'What you will see' table lists", () => {
        expect(README).to.contain("npm run -s render -- --stack local");
        const r = npm(["run", "-s", "render", "--", "--stack", "local"]);
        expect(r.status, r.stderr).to.equal(0);
        const graph = JSON.parse(r.stdout) as { stack: string; outputs: Record<string, unknown>; resources: { type: string }[] };
        expect(graph.stack).to.equal("local");
        const table = README.slice(README.indexOf("## What you will see"), README.indexOf("## Ask the agent"));
        for (const [name, url] of [
            ["grafanaUrl", "http://grafana.localhost:8080"],
            ["kagentUrl", "http://kagent.localhost:8080"],
            ["mlflowUrl", "http://mlflow.localhost:8080"],
        ]) {
            expect(table).to.contain(`| \`${name}\` | ${url}`);
            expect(graph.outputs[name]).to.equal(url);
        }
        expect(table).to.contain("`k3d-aiops-local`");
        expect(graph.outputs.kubectlContext).to.equal("k3d-aiops-local");
        expect(graph.outputs).to.not.have.property("kfpUrl");
        for (const key of ["detectorUrl", "mcpUrl", "mlflowTrackingUri", "llmApiKeySet", "grafanaAdminPassword"])
            expect(graph.outputs).to.have.property(key);
        expect(graph.resources.filter((x) => x.type === "command:local:Command")).to.have.length(3);
    });

    it("`npm run policy -- --stack local` passes with 0 mandatory violations, as the README says of every stack", () => {
        expect(README).to.contain("Every committed stack passes with zero.");
        const r = npm(["run", "-s", "policy", "--", "--stack", "local"]);
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.match(/\d+ policies, 0 mandatory violations/);
    });
});

describe("docs: the detector README's worked example on a named NAB file", function () {
    this.timeout(120_000);
    const md = read("workloads/detector/README.md");
    const example = blocks(md).find((b) => b.body.includes("ec2_cpu_utilization_24ae8d.csv"));

    it("trains and scores ec2_cpu_utilization_24ae8d.csv and prints exactly the lines shown", () => {
        expect(example, "the README names the NAB file").to.not.equal(undefined);
        const lines = example!.body.split("\n");
        const shown = (after: RegExp) => {
            const i = lines.findIndex((l) => after.test(l));
            const out: string[] = [];
            for (let j = i + 1; j < lines.length && lines[j].startsWith("# "); j++) out.push(lines[j].slice(2));
            return out;
        };
        // Where the detector's own eval finds NAB: NAB_DIR, else shared/reference/nab in a parent folder.
        const nab = path.join(resolveNabDir(), "data", "realAWSCloudwatch");
        const csv = path.join(nab, "ec2_cpu_utilization_24ae8d.csv");
        if (!fs.existsSync(csv)) throw new Error(`no ${csv}: set NAB_DIR to the folder holding data/ and labels/`);

        // The README's own command lines, run from a scratch folder (models/ and scored.csv land there).
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-docs-"));
        const cli = ["-r", require.resolve("ts-node/register/transpile-only"), path.join(REPO_ROOT, "workloads/detector/src/cli.ts")];
        const argsOf = (verb: string) => {
            const line = lines.find((l) => l.startsWith(`node workloads/detector/dist/cli.js ${verb} `))!;
            return line
                .replace(/ > scored\.csv$/, "")
                .split(" ")
                .slice(2)
                .map((a) => a.replace("$NAB", nab));
        };
        fs.mkdirSync(path.join(work, "models"));
        const env = { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, "workloads/detector/tsconfig.json") };
        const train = spawnSync(process.execPath, [...cli, ...argsOf("train")], { cwd: work, encoding: "utf8", env });
        expect(train.status, train.stderr).to.equal(0);
        const said = (train.stdout + train.stderr).trim();
        const expected = shown(/ train --csv /)[0];
        expect(said.replace(/in \d+ ms/, "in N ms")).to.equal(expected.replace(/in \d+ ms/, "in N ms"));

        const score = spawnSync(process.execPath, [...cli, ...argsOf("score")], { cwd: work, encoding: "utf8", env, maxBuffer: 64 << 20 });
        expect(score.status, score.stderr).to.equal(0);
        const rows = score.stdout.trim().split("\n");
        expect(rows.slice(0, 3)).to.deep.equal(shown(/^head -n 3 scored\.csv/));
        expect([String(rows.filter((r) => r.endsWith(",-1")).length)]).to.deep.equal(shown(/^grep -c ',-1\$' scored\.csv/));
        expect(rows.length - 1).to.equal(4032);
    });
});

describe("docs: the MCP tool README matches what the platform deploys", () => {
    const md = read("workloads/mcp-tool/README.md");

    it("has a start command, and the kagent snippet and URLs use the deployed names", () => {
        expect(md).to.contain("npm start -w workloads/mcp-tool");
        expect(JSON.parse(read("workloads/mcp-tool/package.json")).scripts.start).to.equal("node dist/server.js");
        const snippet = blocks(md).find((b) => b.lang === "yaml" && b.body.includes("RemoteMCPServer"))!.body;
        expect(snippet).to.contain("metadata: { name: aiops-mcp, namespace: kagent }");
        expect(snippet).to.contain("url: http://aiops-mcp.aiops.svc.cluster.local:8080/mcp");
        for (const url of [
            "http://kps-prometheus.monitoring.svc.cluster.local:9090",
            "http://anomaly-detector-predictor.aiops-serving.svc.cluster.local",
            "aiops-mcp,aiops-mcp.aiops,aiops-mcp.aiops.svc,aiops-mcp.aiops.svc.cluster.local",
        ])
            expect(md).to.contain(url);
        expect(md).to.not.match(/anomaly-mcp\b/);
    });
});
