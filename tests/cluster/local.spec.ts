// The local stack: its preflight and cluster scripts run for real under bash against stub docker, k3d and
// pulumi binaries; its config block; the capacity check for the default laptop; and the rendered stack.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { k3dCreateArgs, k3dCreateCommand, k3dDeleteCommand, k3dServerUrl } from "../../components/cluster/k3d/commands";
import { dockerBuildCommand, k3dImportCommand, sourceDigest } from "../../components/cluster/k3d/image-import";
import { checkCapacity, planNodes } from "../../components/platform";
import { MISSING_API_KEY_PLACEHOLDER } from "../../components/platform/kagent";
import { uiIngressSpec, uiUrl } from "../../components/platform/local-ui-routes";
import { validateStackConfig } from "../../stacks/config";
import type { RawStackConfig } from "../../stacks/config";
import { localAllocatable } from "../../stacks/config/local-checks";
import { LOCAL_PLATFORM_BUDGET, localPreflightEnvironment, localPreflightNeeds } from "../../stacks/local";
import { loadOverrides } from "../../policies/offline/cli";
import { evaluateGraph } from "../../policies/offline/evaluate";
import { allPolicies } from "../../policies/rules";
import { REPO_ROOT, runStack, toRenderResult } from "../harness";
import { overridesFor } from "../support/config-paths";
import { failureOf, inputs, ofType, one, runWith } from "./helpers";

const GiB = 2 ** 30;
const PREFLIGHT = path.join(REPO_ROOT, "components/cluster/k3d/preflight.sh");
const LOCAL_SH = path.join(REPO_ROOT, "scripts/local.sh");

// ------------------------------------------------------------------------------------------ stub binaries
interface Stubs {
    readonly dir: string;
    /** Lines "<tool> <args>" every stub appended, in call order. */
    calls(): string[];
}

/** A bin folder with the given stubs (bash bodies); each logs its arguments first. Only these tools (and coreutils) are on PATH. */
function stubs(bodies: Record<string, string>): Stubs {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-local-stubs-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(log, "");
    for (const [tool, body] of Object.entries(bodies)) {
        const file = path.join(dir, tool);
        fs.writeFileSync(file, `#!/usr/bin/env bash\necho "${tool} $*" >> ${JSON.stringify(log)}\n${body}\n`);
        fs.chmodSync(file, 0o755);
    }
    // The scripts (and the stubs' shebang) use bash, sed, sort, head, mkdir and dirname: link the real ones, nothing else.
    for (const tool of ["bash", "sed", "sort", "head", "mkdir", "dirname", "cat", "env"]) {
        const real = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        if (real) fs.symlinkSync(real, path.join(dir, tool));
    }
    return { dir, calls: () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const DOCKER_OK = `case "$1" in info) if [ "$2" = --format ]; then case "$3" in *MemTotal*) echo 16651931648;; *NCPU*) echo 8;; esac; fi; exit 0;; esac`;
const k3dAt = (v: string) =>
    `[ "$1" = version ] && { echo "k3d version ${v}"; echo "k3s version v1.31.5-k3s1 (default)"; exit 0; }; exit 0`;
const PULUMI_OK = `[ "$1" = version ] && { echo v3.270.0; exit 0; }; exit 0`;

function run(script: string, s: Stubs, env: Record<string, string> = {}, args: string[] = []) {
    const bash = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
    return spawnSync(bash, [script, ...args], {
        encoding: "utf8",
        cwd: REPO_ROOT,
        env: { PATH: s.dir, HOME: os.tmpdir(), ...env },
        timeout: 20_000,
    });
}

const NEEDS = { K3D_MIN_VERSION: "v5.7.0", PULUMI_MIN_VERSION: "v3.265.0", NEED_MEMORY_BYTES: String(7 * GiB), NEED_CPUS: "3" };

describe("local: preflight.sh under bash with stub binaries", () => {
    it("passes on a machine with Docker running, a recent k3d and Pulumi CLI, and names what it found", () => {
        const s = stubs({ docker: DOCKER_OK, k3d: k3dAt("v5.8.3"), pulumi: PULUMI_OK });
        const r = run(PREFLIGHT, s, NEEDS);
        expect(r.stderr).to.equal("");
        expect(r.status).to.equal(0);
        expect(r.stdout.trim()).to.equal("local preflight ok: docker: 15 GiB, 8 CPUs k3d: v5.8.3 pulumi: v3.270.0");
    });

    it("names every missing tool with how to install it, and exits 1", () => {
        const s = stubs({});
        const r = run(PREFLIGHT, s, NEEDS);
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("local preflight failed (3 problem(s))");
        expect(r.stderr).to.contain(
            "docker is not on PATH: install Docker Desktop (macOS, Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/",
        );
        expect(r.stderr).to.contain(
            "k3d is not on PATH: install k3d v5.7.0 or newer: curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | TAG=v5.7.0 bash",
        );
        expect(r.stderr).to.contain(
            "pulumi is not on PATH: install the Pulumi CLI v3.265.0 or newer the official way: curl -fsSL https://get.pulumi.com | sh",
        );
        expect(r.stderr).to.contain("not npx pulumi");
    });

    it("tells Docker installed but not running apart from Docker missing", () => {
        const s = stubs({ docker: "exit 1", k3d: k3dAt("v5.8.3"), pulumi: PULUMI_OK });
        const r = run(PREFLIGHT, s, NEEDS);
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("Docker is installed but not running (docker info failed): start Docker Desktop");
        expect(r.stderr).to.contain("(1 problem(s))");
    });

    it("refuses a k3d older than the minimum (version compare, not string compare: v5.10 > v5.7)", () => {
        const old = run(PREFLIGHT, stubs({ docker: DOCKER_OK, k3d: k3dAt("v5.6.3"), pulumi: PULUMI_OK }), NEEDS);
        expect(old.status).to.equal(1);
        expect(old.stderr).to.contain("k3d v5.6.3 is too old (need v5.7.0 or newer)");
        const newer = run(PREFLIGHT, stubs({ docker: DOCKER_OK, k3d: k3dAt("v5.10.0"), pulumi: PULUMI_OK }), NEEDS);
        expect(newer.status, newer.stderr).to.equal(0);
    });

    it("refuses an old Pulumi CLI, and skips the CLI check when asked (inside pulumi up)", () => {
        const s = stubs({ docker: DOCKER_OK, k3d: k3dAt("v5.8.3"), pulumi: `[ "$1" = version ] && echo v3.100.0` });
        const r = run(PREFLIGHT, s, NEEDS);
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("Pulumi CLI v3.100.0 is too old (need v3.265.0 or newer)");
        expect(run(PREFLIGHT, s, { ...NEEDS, CHECK_PULUMI: "0" }).status).to.equal(0);
    });

    it("refuses when Docker offers less memory or fewer CPUs than the platform needs, naming Docker Desktop's setting", () => {
        const small = `case "$3" in *MemTotal*) echo ${4 * GiB};; *NCPU*) echo 2;; esac; exit 0`;
        const r = run(PREFLIGHT, stubs({ docker: small, k3d: k3dAt("v5.8.3"), pulumi: PULUMI_OK }), NEEDS);
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain(
            "Docker offers 4096 MiB of memory; the local platform needs 7168 MiB: raise it in Docker Desktop > Settings > Resources > Memory",
        );
        expect(r.stderr).to.contain("Docker offers 2 CPUs; the local platform needs 3");
    });

    it("names a loopback port something else listens on, with the setting that moves it; not while the cluster exists", async () => {
        const server = net.createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => server.once("listening", resolve));
        const busy = (server.address() as net.AddressInfo).port;
        try {
            const env = { ...NEEDS, CLUSTER_NAME: "aiops-local", PORTS: `${busy}:local.httpPort 1:local.apiPort` };
            // No cluster yet (k3d cluster get fails): the busy port is refused, the free one is not mentioned.
            const fresh = stubs({ docker: DOCKER_OK, k3d: `[ "$1" = cluster ] && exit 1; ${k3dAt("v5.8.3")}`, pulumi: PULUMI_OK });
            const r = run(PREFLIGHT, fresh, env);
            expect(r.status).to.equal(1);
            expect(r.stderr).to.contain(
                `port ${busy} on 127.0.0.1 is in use (k3d needs it for local.httpPort): stop what listens there (lsof -i :${busy}) or pulumi config set --path 'aiops-mlops-platform:local.httpPort' <free port>`,
            );
            expect(r.stderr).to.contain("(1 problem(s))");
            expect(fresh.calls()).to.include("k3d cluster get aiops-local");
            // The cluster exists (a re-run of npm run local): its own ports are not a problem.
            const running = stubs({ docker: DOCKER_OK, k3d: `[ "$1" = cluster ] && exit 0; ${k3dAt("v5.8.3")}`, pulumi: PULUMI_OK });
            expect(run(PREFLIGHT, running, env).status).to.equal(0);
        } finally {
            server.close();
        }
    });

    it("gets its needs from the stack: 6 GiB of platform + 1 GiB for k3s, 2 GiB more with Kubeflow Pipelines", () => {
        const defaults = validLocal().local;
        expect(localPreflightNeeds(defaults)).to.deep.equal({ memoryBytes: 7 * GiB, cpus: 3 });
        expect(localPreflightNeeds({ ...defaults, kubeflowPipelines: true }).memoryBytes).to.equal(9 * GiB);
        expect(localPreflightEnvironment(defaults, "aiops-local")).to.deep.equal({
            ...NEEDS,
            CHECK_PULUMI: "0",
            CLUSTER_NAME: "aiops-local",
            PORTS: "6550:local.apiPort 8080:local.httpPort",
        });
        // npm run local runs the same script first, with the same numbers.
        const sh = fs.readFileSync(LOCAL_SH, "utf8");
        expect(sh).to.contain(`NEED_MEMORY_BYTES=\${NEED_MEMORY_BYTES:-${7 * GiB}}`);
        expect(sh).to.contain("K3D_MIN_VERSION=${K3D_MIN_VERSION:-v5.7.0}");
    });
});

// ------------------------------------------------------------------------------------------ cluster scripts
const LOCAL_SPEC = {
    name: "aiops-local",
    k3dVersion: "v5.7.0",
    k3dVersionMatch: "minimum" as const,
    k3sImage: "rancher/k3s:v1.35.2-k3s1",
    apiBindAddress: "127.0.0.1",
    apiPort: 6550,
    agents: 1,
    traefik: true,
    loadBalancerPorts: [{ host: 8080, node: 80 }],
};

describe("local: k3d create/delete scripts under bash with a stub k3d", () => {
    function runCreate(k3dVersion: string) {
        const s = stubs({ k3d: k3dAt(k3dVersion) });
        const file = path.join(s.dir, "create.sh");
        fs.writeFileSync(file, k3dCreateCommand(LOCAL_SPEC));
        return { r: run(file, s), s };
    }

    it("creates one server and one agent with the pinned image, Traefik kept, API and UI port on loopback only", () => {
        const { r, s } = runCreate("v5.8.3");
        expect(r.status, r.stderr).to.equal(0);
        const create = s.calls().filter((c) => c.startsWith("k3d cluster create"));
        expect(create).to.deep.equal([
            "k3d cluster create aiops-local --servers 1 --agents 1 --image rancher/k3s:v1.35.2-k3s1 --api-port 127.0.0.1:6550 " +
                "--port 127.0.0.1:8080:80@loadbalancer --wait --timeout 300s --kubeconfig-update-default=false --kubeconfig-switch-context=false",
        ]);
        expect(k3dCreateArgs(LOCAL_SPEC)).to.not.include("--disable=traefik@server:0");
        expect(k3dServerUrl(LOCAL_SPEC)).to.equal("https://127.0.0.1:6550");
    });

    it("refuses an older k3d before creating anything", () => {
        const { r, s } = runCreate("v5.6.0");
        expect(r.status).to.equal(1);
        expect(r.stderr.trim()).to.equal("k3d v5.7.0 or newer is required; found v5.6.0 (https://k3d.io/stable/#installation)");
        expect(s.calls().some((c) => c.startsWith("k3d cluster create"))).to.equal(false);
    });

    it("deletes exactly the named cluster (what pulumi destroy runs)", () => {
        const s = stubs({ k3d: "exit 0" });
        const file = path.join(s.dir, "delete.sh");
        fs.writeFileSync(file, k3dDeleteCommand("aiops-local"));
        expect(run(file, s).status).to.equal(0);
        expect(s.calls()).to.deep.equal(["k3d cluster delete aiops-local"]);
    });

    it("rebuilds an image when a source file changes, and not when node_modules or dist do", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-digest-"));
        fs.mkdirSync(path.join(dir, "src/sub"), { recursive: true });
        fs.mkdirSync(path.join(dir, "src/node_modules"));
        fs.writeFileSync(path.join(dir, "src/a.ts"), "a");
        fs.writeFileSync(path.join(dir, "src/sub/b.ts"), "b");
        const before = sourceDigest(dir, ["src"]);
        fs.writeFileSync(path.join(dir, "src/node_modules/x.js"), "x");
        expect(sourceDigest(dir, ["src"])).to.equal(before);
        fs.writeFileSync(path.join(dir, "src/sub/b.ts"), "b2");
        expect(sourceDigest(dir, ["src"])).to.not.equal(before);
        expect(sourceDigest(dir, ["src", "missing"])).to.equal(sourceDigest(dir, ["src"]));
    });

    it("builds an image from the repository root and imports it into the cluster", () => {
        expect(
            dockerBuildCommand({ image: "k3d.local/aiops/detector:0.1.0", dockerfile: "workloads/detector/Dockerfile", sources: [] }),
        ).to.equal("docker build -f workloads/detector/Dockerfile -t k3d.local/aiops/detector:0.1.0 .");
        expect(k3dImportCommand("aiops-local", "k3d.local/aiops/detector:0.1.0")).to.equal(
            "k3d image import --cluster aiops-local k3d.local/aiops/detector:0.1.0",
        );
    });
});

describe("local: the host-local k3d options leave the hybrid edge as it was", function () {
    this.timeout(120_000);

    it("the edge's triggers (and so its cluster) are byte-for-byte those of before the options existed", async () => {
        const hybrid = await runWith("hybrid", { objectStore: "gcs" });
        const cluster = inputs(one(hybrid, "command:local:Command", "hybrid-edge-cluster"));
        // The spec as K3dCluster wrote it before host-local options: no new key may appear, none may move.
        expect(cluster.triggers).to.deep.equal([
            JSON.stringify({
                name: "hybrid-edge",
                k3dVersion: "v5.9.0",
                k3sImage: "rancher/k3s:v1.35.2-k3s1",
                tailscaleAddress: "100.101.102.103",
                apiPort: 6550,
                agents: 1,
                tailnetNodePorts: [30080],
            }),
        ]);
        expect(ofType(hybrid, "command:local:Command").filter((c) => c.name.endsWith("-preflight"))).to.deep.equal([]);
    });
});

// ------------------------------------------------------------------------------------------ npm run local
describe("local: scripts/local.sh (npm run local) under bash with stub binaries", () => {
    const tools = () => ({ docker: DOCKER_OK, k3d: k3dAt("v5.8.3"), pulumi: PULUMI_OK });

    it("stops with a clear message, before touching any backend, when PULUMI_CONFIG_PASSPHRASE is unset", () => {
        const s = stubs(tools());
        const r = run(LOCAL_SH, s);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.contain("PULUMI_CONFIG_PASSPHRASE is not set.");
        expect(r.stderr).to.contain("export PULUMI_CONFIG_PASSPHRASE='choose-a-passphrase'");
        expect(s.calls().filter((c) => c.startsWith("pulumi ") && c !== "pulumi version")).to.deep.equal([]);
    });

    it("runs the preflight, logs in to the repo's file backend, selects or creates `local`, then pulumi up with the flags given", () => {
        const s = stubs(tools());
        const r = run(LOCAL_SH, s, { PULUMI_CONFIG_PASSPHRASE: "" }, ["--yes"]);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("local preflight ok");
        expect(s.calls().filter((c) => c.startsWith("pulumi ") && c !== "pulumi version")).to.deep.equal([
            `pulumi login file://${REPO_ROOT}/.pulumi-state`,
            "pulumi stack select local --create",
            "pulumi up --stack local --yes",
        ]);
    });

    it("stops at a failed preflight without running pulumi up", () => {
        const s = stubs({ k3d: k3dAt("v5.8.3"), pulumi: PULUMI_OK });
        const r = run(LOCAL_SH, s, { PULUMI_CONFIG_PASSPHRASE: "x" });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain("docker is not on PATH");
        expect(s.calls().some((c) => c.startsWith("pulumi up"))).to.equal(false);
    });
});

// ------------------------------------------------------------------------------------------ config
function raw(local: unknown, extra: Record<string, unknown> = {}, secrets: RawStackConfig["secrets"] = {}): RawStackConfig {
    const values: Record<string, unknown> = { environment: "local", ...extra, ...(local === undefined ? {} : { local }) };
    return { values, secrets, setKeys: Object.keys(values) };
}
function validLocal() {
    const v = validateStackConfig(raw(undefined));
    if (v.environment !== "local") throw new Error("not local");
    return v;
}
function problemsOf(r: RawStackConfig): string {
    try {
        validateStackConfig(r);
    } catch (e) {
        return (e as Error).message;
    }
    return "";
}

describe("local: config validation", () => {
    it("needs no local block, no LLM key and no secret at all: a 16 GiB laptop, Helm, lean, MinIO, KFP off", () => {
        const v = validLocal();
        expect(v.platform).to.include({ delivery: "helm", profile: "lean", objectStore: "minio", llmProvider: "gemini" });
        expect(v.local).to.deep.equal({
            k3dMinVersion: "v5.7.0",
            pulumiMinVersion: "v3.265.0",
            k3sImage: "rancher/k3s:v1.35.2-k3s1",
            agents: 1,
            apiPort: 6550,
            httpPort: 8080,
            machine: { cpu: 8, memory: "16Gi" },
            hostReserve: { cpu: 1, memory: "4Gi" },
            buildImages: false,
            kubeflowPipelines: false,
        });
    });

    it("still requires the LLM key on the other environments", () => {
        expect(problemsOf({ values: { environment: "homelab" }, secrets: {}, setKeys: ["environment"] })).to.contain(
            "`llmApiKey` is required",
        );
        expect(problemsOf(raw(undefined))).to.equal("");
    });

    it("names each bad key of the block with its fix", () => {
        const msg = problemsOf(raw({ k3sImage: "rancher/k3s:latest", agents: 9, buildImages: "yes", extra: 1 }));
        expect(msg).to.contain(
            "`local.k3sImage` must be a pinned rancher/k3s image such as rancher/k3s:v1.35.2-k3s1; got 'rancher/k3s:latest'",
        );
        expect(msg).to.contain("`local.agents` must be at most 3; got 9");
        expect(msg).to.contain("`local.buildImages` must be a boolean; got 'yes'");
        expect(msg).to.contain("`local` has unknown key(s) 'extra'");
    });

    it("refuses a reserve that leaves the cluster nothing, and the UI port on the API port", () => {
        const msg = problemsOf(raw({ machine: { cpu: 2, memory: "4Gi" }, hostReserve: { cpu: 2, memory: "4Gi" }, httpPort: 6550 }));
        expect(msg).to.contain("`local.hostReserve` must leave the cluster some of local.machine");
        expect(msg).to.contain("`local.httpPort` must differ from local.apiPort; both are 6550");
    });

    it("refuses a cloud object store on local, naming the ones it supports", () => {
        expect(problemsOf(raw(undefined, { objectStore: "s3" }))).to.contain("environment local supports minio, seaweedfs");
    });
});

// ------------------------------------------------------------------------------------------ capacity + render
describe("local: the rendered stack", function () {
    this.timeout(120_000);
    let run: Awaited<ReturnType<typeof runStack>>;
    before(async () => {
        run = await runStack("local", {});
    });

    it("the always-on platform fits in 6 GiB and 3 CPUs of requests (the laptop budget)", () => {
        const plan = inputs(one(run, "aiops:platform:CapacityPlan", "aiops-local-capacity"));
        const requests = plan.requests as { cpu: number; memory: number; service: string }[];
        const memory = requests.reduce((a, r) => a + r.memory, 0);
        const cpu = requests.reduce((a, r) => a + r.cpu, 0);
        expect(memory, `${(memory / GiB).toFixed(2)} GiB`).to.be.at.most(LOCAL_PLATFORM_BUDGET.memoryGiB * GiB);
        expect(cpu).to.be.at.most(LOCAL_PLATFORM_BUDGET.cpu);
        // The default laptop: 16 GiB and 8 CPUs minus the host's 4 GiB and 1 CPU.
        expect(plan.nodes).to.deep.equal([{ name: "local", arch: process.arch === "arm64" ? "arm64" : "amd64", cpu: 7, memory: 12 * GiB }]);
        expect(localAllocatable(validLocal().local)).to.deep.equal({ cpu: 7, memory: 12 * GiB });
        const check = checkCapacity(
            planNodes({
                nodePools: [{ name: "local", arch: "amd64", count: 1, labels: {}, taints: [], allocatable: { cpu: 7, memory: 12 * GiB } }],
            }),
            requests.map((r) => ({ workload: r.service, cpu: r.cpu, memory: r.memory })),
        );
        expect(check.fits).to.equal(true);
    });

    it("creates the cluster with local commands: preflight, then k3d create (deleted on destroy), then the kubeconfig", () => {
        const commands = ofType(run, "command:local:Command");
        expect(commands.map((c) => c.name)).to.deep.equal(["aiops-local-preflight", "aiops-local-cluster", "aiops-local-kubeconfig"]);
        const [preflight, cluster, kubeconfig] = commands.map(inputs);
        expect(preflight.create).to.equal(fs.readFileSync(PREFLIGHT, "utf8"));
        expect(preflight.delete).to.equal(undefined);
        expect(cluster.create).to.equal(k3dCreateCommand(LOCAL_SPEC));
        expect(cluster.delete).to.equal("k3d cluster delete aiops-local");
        expect(kubeconfig.delete).to.equal(undefined);
        // Nothing else on the machine is touched: no remote commands, no cloud resources.
        expect(run.registrations.filter((r) => /^(aws|gcp|command:remote):/.test(r.type))).to.deep.equal([]);
    });

    it("installs every platform service with Helm and the whole AIOps loop; Kubeflow Pipelines only when asked", async () => {
        const types = new Set(run.registrations.map((r) => r.type));
        for (const t of [
            "aiops:platform:CertManager",
            "aiops:platform:Monitoring",
            "aiops:platform:KServe",
            "aiops:platform:Kagent",
            "aiops:platform:MinioObjectStore",
            "aiops:platform:Mlflow",
            "aiops:workloads:AnomalyDetector",
            "aiops:workloads:McpTool",
            "aiops:workloads:AiopsAgent",
            "aiops:workloads:AiopsAlerts",
        ])
            expect(types, t).to.include(t);
        expect(types).to.not.include("aiops:platform:ArgoCd");
        expect(types).to.not.include("aiops:platform:KubeflowPipelines");
        const withKfp = await runWith("local", { "local.kubeflowPipelines": true });
        expect(ofType(withKfp, "aiops:platform:KubeflowPipelines")).to.have.length(1);
        expect(withKfp.outputs.kfpUrl.value).to.equal("http://kfp.localhost:8080");
    });

    it("exports the UIs on http://<name>.localhost:<httpPort> through Traefik Ingresses, and deploys with no LLM key", async () => {
        expect(run.outputs.grafanaUrl.value).to.equal("http://grafana.localhost:8080");
        expect(run.outputs.kagentUrl.value).to.equal("http://kagent.localhost:8080");
        expect(run.outputs.mlflowUrl.value).to.equal("http://mlflow.localhost:8080");
        expect(run.outputs.kubectlContext.value).to.equal("k3d-aiops-local");
        const grafana = inputs(one(run, "kubernetes:networking.k8s.io/v1:Ingress", "aiops-local-ui-grafana"));
        expect(grafana.spec).to.deep.equal(
            uiIngressSpec({ name: "grafana", namespace: "monitoring", service: "kps-grafana", port: 80 }, "traefik"),
        );
        expect(uiUrl("grafana", 9090)).to.equal("http://grafana.localhost:9090");
        const noKey = await runWith("local", {}, ["llmApiKey"]);
        expect(noKey.outputs.llmApiKeySet.value).to.equal(false);
        // The Secret holds a placeholder (so the agent pods start) that names the fix; with a key it holds the key.
        const placeholder = inputs(one(noKey, "kubernetes:core/v1:Secret", "aiops-local-kagent-llm-api-key"));
        expect(placeholder.stringData).to.deep.equal({ GOOGLE_API_KEY: MISSING_API_KEY_PLACEHOLDER });
        const withKey = inputs(one(run, "kubernetes:core/v1:Secret", "aiops-local-kagent-llm-api-key"));
        expect(withKey.stringData).to.deep.equal({ GOOGLE_API_KEY: "mock-secret-for-llmApiKey" });
    });

    it("MLflow (3.15.1's own host check) accepts the browser's Host mlflow.localhost:8080 behind the Traefik Ingress, and nothing else new", function () {
        const release = inputs(one(run, "kubernetes:helm.sh/v3:Release", "aiops-local-mlflow"));
        expect(release.values.ingress).to.deep.equal({
            className: "traefik",
            enabled: true,
            hosts: [{ host: "mlflow.localhost", paths: [{ path: "/", pathType: "Prefix" }] }],
        });
        const hosts = release.values.serverAllowedHosts as string[];
        // The real check: mlflow/server/security_utils.py is_allowed_host_header (fnmatch for patterns with '*'),
        // from the mlflow==3.15.1 in the CI virtualenv (.ci/run PIP_PACKAGES).
        const venv = process.env.AIOPS_CI_VENV ?? path.join(os.homedir(), ".cache/aiops-ci/venv");
        const python = path.join(venv, "bin/python");
        if (!fs.existsSync(python)) {
            if (process.env.CI) throw new Error(`no ${python}: .ci/run installs mlflow there`);
            this.skip();
        }
        const check = (host: string) =>
            spawnSync(
                python,
                [
                    "-c",
                    "import json,sys; from mlflow.server.security_utils import is_allowed_host_header as ok; print(ok(json.loads(sys.argv[1]), sys.argv[2]))",
                    JSON.stringify(hosts),
                    host,
                ],
                { encoding: "utf8", timeout: 60_000 },
            ).stdout.trim();
        expect(check("mlflow.localhost:8080")).to.equal("True");
        expect(check("mlflow.mlflow.svc.cluster.local:80")).to.equal("True");
        expect(check("evil.example:8080")).to.equal("False");
        expect(check("mlflow.localhost.evil.example:8080")).to.equal("False");
    });

    it("with the README's Ollama settings, kagent talks to Ollama on the host (host.k3d.internal) and needs no key", async () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        expect(readme).to.contain("pulumi config set llmProvider ollama && pulumi config set ollamaHost host.k3d.internal:11434");
        const ollama = await runWith("local", { llmProvider: "ollama", ollamaHost: "host.k3d.internal:11434" }, ["llmApiKey"]);
        const kagent = inputs(one(ollama, "kubernetes:helm.sh/v3:Release", "aiops-local-kagent"));
        expect(kagent.values.providers).to.deep.equal({
            default: "ollama",
            ollama: { config: { host: "host.k3d.internal:11434" }, model: "llama3.2", provider: "Ollama" },
        });
        expect(ofType(ollama, "kubernetes:core/v1:Secret").filter((r) => r.name.includes("llm-api-key"))).to.deep.equal([]);
    });

    it("with buildImages, builds and imports both images and points the workloads at them", async () => {
        const built = await runWith("local", { "local.buildImages": true });
        const names = ofType(built, "command:local:Command").map((c) => c.name);
        expect(names).to.include.members([
            "aiops-local-images-detector-0-1-0-build",
            "aiops-local-images-detector-0-1-0-import",
            "aiops-local-images-mcp-tool-0-1-0-build",
            "aiops-local-images-mcp-tool-0-1-0-import",
        ]);
        expect(built.outputs.builtImages.value).to.deep.equal(["k3d.local/aiops/detector:0.1.0", "k3d.local/aiops/mcp-tool:0.1.0"]);
        const text = JSON.stringify(built.registrations.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs));
        expect(text).to.contain("k3d.local/aiops/mcp-tool:0.1.0");
        expect(text).to.not.contain("ghcr.io/aiops-mlops/mcp-tool");
    });

    it("passes the policy pack with 0 mandatory violations in every variant: built images, KFP on, Argo CD delivery, no key", async () => {
        for (const set of [{ "local.buildImages": true }, { "local.kubeflowPipelines": true }, { delivery: "argocd" }]) {
            const variant = await runStack("local", overridesFor("local", set, ["llmApiKey"]));
            const result = await evaluateGraph(toRenderResult(variant), allPolicies, loadOverrides());
            const mandatory = result.violations.filter((v) => v.level === "mandatory");
            expect(mandatory, JSON.stringify(set) + " " + JSON.stringify(mandatory)).to.deep.equal([]);
        }
    });

    it("fails before anything is declared when the config is bad", async () => {
        expect(await failureOf("local", { "local.httpPort": 6550 })).to.contain("`local.httpPort` must differ from local.apiPort");
    });
});
