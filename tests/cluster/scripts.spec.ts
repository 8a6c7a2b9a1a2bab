// Runs every shell script the cluster components generate, for real, under bash and dash, with stub
// binaries on PATH that log their argv. The scripts come from the rendered stacks (the exact text the
// provider would run), and stdin is delivered as @pulumi/command 1.2.1 delivers it:
//   remote (provider/pkg/provider/remote/commandOutputs.go):
//     if c.Stdin != nil && len(*c.Stdin) > 0 { session.Stdin = strings.NewReader(*c.Stdin) }
//     ... session.Run(cmd)   (sshd runs `$SHELL -c cmd`; a nil Stdin is an empty stream)
//   local (provider/pkg/provider/local/commandOutputs.go): the same guard, `cmd.Stdin = strings.NewReader(...)`.
// So stdin is the string byte for byte, with no newline added, then end of input.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Registration, StackRun } from "../harness";
import { listStacks } from "../harness";
import { fakeK3sKubeconfig } from "../harness/mock-state";
import { inputs, runWith } from "./helpers";

const SHELLS = ["bash", "dash"] as const;
type Shell = (typeof SHELLS)[number];

/** Host paths the scripts read; the test points them into a fake root (the only edit made to a script). */
const HOST_PATHS = ["/proc/", "/sys/", "/usr/local/bin/", "/etc/rancher/"];

const LOG_ARGV = `{ printf '%s' "$(basename "$0")"; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n'; } >> "$STUB_LOG"`;

/** Behaviour of each stub after it logged its argv. Anything not on this list is the real binary. */
const STUBS: Record<string, string> = {
    // The k3s installer stand-in logs its arguments and the environment the real one reads.
    curl: `
case "$*" in
  *k3s-io/k3s/*/install.sh*)
    cat <<'EOF'
{ printf 'install.sh'; for a in "$@"; do printf ' %s' "$a"; done; printf ' [INSTALL_K3S_VERSION=%s K3S_URL=%s K3S_TOKEN=%s]\\n' "\${INSTALL_K3S_VERSION:-}" "\${K3S_URL:-}" "\${K3S_TOKEN:-}"; } >> "$STUB_LOG"
EOF
    ;;
  *tailscale.com/install.sh*) echo 'echo tailscale-installed >> "$STUB_LOG"' ;;
  *project/project-id*) printf 'aiops-hybrid-demo' ;;
  *service-accounts/default/token*) printf '{"access_token":"ya29.mock"}' ;;
  *secretmanager.googleapis.com*) printf '{"payload":{"data":"dHNrZXktYXV0aC1tb2Nr"}}' ;;
  *) echo "curl stub: unexpected $*" >&2; exit 22 ;;
esac`,
    sudo: `exec "$@"`,
    sleep: `exit 0`,
    uname: `
case "\${1:-}" in
  -s) echo Linux ;;
  -m) echo "\${STUB_MACHINE:-x86_64}" ;;
  -sr) echo "Linux 6.8.0-stub" ;;
  *) echo Linux ;;
esac`,
    k3s: `
case "$*" in
  --version) [ -n "\${STUB_K3S_VERSION:-}" ] && printf 'k3s version %s (abc)\\ngo version go1.24\\n' "$STUB_K3S_VERSION" || exit 127 ;;
esac
exit 0`,
    k3d: `
case "$*" in
  version) printf 'k3d version %s\\nk3s version v1.35.2-k3s1 (default)\\n' "\${STUB_K3D_VERSION:-v5.9.0}" ;;
  "kubeconfig get "*) cat "$STUB_KUBECONFIG" ;;
esac
exit 0`,
    docker: `
case "$*" in
  info) [ -z "\${STUB_DOCKER_DOWN:-}" ] || exit 1 ;;
  "info --format {{.MemTotal}}") echo 17179869184 ;;
  "info --format {{.NCPU}}") echo 8 ;;
esac
exit 0`,
    tailscale: `
case "$*" in
  "status --json") printf '{"Self":{"DNSName":"aiops-control.tail1234.ts.net."}}' ;;
  status) [ -f "$STUB_ROOT/tailscale-up" ] ;;
  up*) for a in "$@"; do case "$a" in --auth-key=file:*) echo "auth key file holds: $(cat "\${a#--auth-key=file:}")" >> "$STUB_LOG" ;; esac; done
       : > "$STUB_ROOT/tailscale-up" ;;
  "ip -4") echo 100.64.0.7 ;;
esac`,
};

interface Outcome {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Every stub call, in order, with the fake root stripped from paths. */
    readonly calls: string[];
}

interface Host {
    /** Files of the fake root, e.g. { "/proc/1/comm": "systemd\n" }; executable when the path is under /usr/local/bin. */
    readonly files?: Record<string, string>;
    readonly env?: Record<string, string>;
}

/** Runs `script` as `<shell> -c script`, the way sshd (the user's shell) and the local provider's `/bin/sh -c` do. */
async function execute(shell: Shell, script: string, stdin: string | undefined, host: Host = {}): Promise<Outcome> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiops-scripts-"));
    try {
        const bin = path.join(dir, "bin");
        const root = path.join(dir, "root");
        fs.mkdirSync(bin);
        fs.mkdirSync(root);
        for (const [name, body] of Object.entries(STUBS))
            fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${LOG_ARGV}\n${body}\n`, { mode: 0o755 });
        for (const [file, text] of Object.entries(host.files ?? {})) {
            const target = path.join(root, file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, text, { mode: file.startsWith("/usr/local/bin/") ? 0o755 : 0o644 });
        }
        const kubeconfig = path.join(dir, "kubeconfig");
        fs.writeFileSync(kubeconfig, fakeK3sKubeconfig("https://0.0.0.0:6550"));
        const log = path.join(dir, "calls.log");
        fs.writeFileSync(log, "");
        let text = script;
        for (const p of HOST_PATHS) text = text.split(p).join(`${root}${p}`);
        const child = spawn(shell, ["-c", text], {
            env: {
                PATH: `${bin}:${process.env.PATH}`,
                HOME: dir,
                TMPDIR: dir,
                STUB_LOG: log,
                STUB_ROOT: root,
                STUB_KUBECONFIG: kubeconfig,
                ...host.env,
            },
            timeout: 20_000,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        // A script that never reads stdin (a delete) may exit before the write lands; the provider ignores that too.
        child.stdin.on("error", () => undefined);
        // A nil Stdin in the provider is an empty stream: end of input at once.
        child.stdin.end(stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin, "utf8"));
        const code = await new Promise<number | null>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (c) => resolve(c));
        });
        const calls = fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => l.split(root).join(""));
        return { code, stdout, stderr, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const HEALTHY_HOST: Host = {
    files: { "/proc/1/comm": "systemd\n", "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n" },
};

const COMMAND_TYPES = ["command:remote:Command", "command:local:Command"];
const FIELDS = ["create", "update", "delete"] as const;
type Field = (typeof FIELDS)[number];

interface Script {
    readonly resource: string;
    readonly field: Field;
    readonly text: string;
    readonly stdin: string | undefined;
}

function scriptsOf(run: StackRun): Script[] {
    return run.registrations
        .filter((r: Registration) => COMMAND_TYPES.includes(r.type))
        .flatMap((r) => {
            const i = inputs(r);
            return FIELDS.filter((f) => typeof i[f] === "string").map((field) => ({
                resource: r.name,
                field,
                text: i[field] as string,
                stdin: i.stdin as string | undefined,
            }));
        });
}

function script(all: Script[], resource: string, field: Field): Script {
    const hit = all.find((s) => s.resource === resource && s.field === field);
    if (!hit) throw new Error(`no ${field} script on ${resource}; have ${all.map((s) => `${s.resource}.${s.field}`).join(", ")}`);
    return hit;
}

const K3S_SERVER_INSTALL =
    "install.sh server --write-kubeconfig-mode 600 --tls-san 192.168.1.10 --node-name server-arm --node-label aiops.dev/site=homelab --node-taint node-role.kubernetes.io/control-plane=true:NoSchedule" +
    " [INSTALL_K3S_VERSION=v1.35.5+k3s1 K3S_URL= K3S_TOKEN=mock-password-homelab-token]";
const K3S_AGENT_INSTALL =
    "install.sh agent --node-name worker-x86 --node-label aiops.dev/site=homelab --node-label workload=compute-intensive" +
    " [INSTALL_K3S_VERSION=v1.35.5+k3s1 K3S_URL=https://192.168.1.10:6443 K3S_TOKEN=mock-password-homelab-token]";
const INSTALLER_URL = "curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/v1.35.5%2Bk3s1/install.sh";

describe("cluster scripts: every generated script runs under bash and dash with stub binaries", function () {
    this.timeout(120_000);
    let homelab: Script[];
    let hybrid: Script[];
    let hybridRemoteEdge: Script[];
    let local: Script[];
    const covered = new Set<string>();
    const use = (s: Script) => {
        covered.add(`${s.resource}.${s.field}`);
        return s;
    };

    before(async () => {
        homelab = scriptsOf(await runWith("homelab"));
        hybrid = scriptsOf(await runWith("hybrid"));
        hybridRemoteEdge = scriptsOf(await runWith("hybrid", { "hybrid.edge.host": { address: "192.168.1.40", sshUser: "edge" } }));
        local = scriptsOf(await runWith("local"));
    });

    for (const shell of SHELLS) {
        describe(shell, () => {
            it("k3s server install (create and update) reads the newline-less token and passes it to the pinned installer", async () => {
                for (const field of ["create", "update"] as const) {
                    const s = use(script(homelab, "homelab-server-arm-k3s-server", field));
                    expect(s.stdin, "the provider sends the token without a newline").to.equal("mock-password-homelab-token");
                    const r = await execute(shell, s.text, s.stdin);
                    expect(r.code, `${field}: ${r.stderr}`).to.equal(0);
                    expect(r.calls).to.deep.equal([INSTALLER_URL, K3S_SERVER_INSTALL]);
                }
            });

            it("k3s agent install (create and update) joins the server with the token from stdin", async () => {
                for (const field of ["create", "update"] as const) {
                    const s = use(script(homelab, "homelab-worker-x86-k3s-agent", field));
                    const r = await execute(shell, s.text, s.stdin);
                    expect(r.code, `${field}: ${r.stderr}`).to.equal(0);
                    expect(r.calls).to.deep.equal([INSTALLER_URL, K3S_AGENT_INSTALL]);
                }
            });

            it("k3s install still works when the token does end in a newline, and refuses an empty stdin by name", async () => {
                const s = script(homelab, "homelab-server-arm-k3s-server", "create");
                const withNewline = await execute(shell, s.text, `${s.stdin}\n`);
                expect(withNewline.code, withNewline.stderr).to.equal(0);
                expect(withNewline.calls[1]).to.equal(K3S_SERVER_INSTALL);
                const empty = await execute(shell, s.text, undefined);
                expect(empty.code).to.equal(1);
                expect(empty.stderr).to.include("no K3S_TOKEN on stdin");
                expect(empty.calls, "nothing is installed without a token").to.deep.equal([]);
            });

            it("k3s uninstall (delete) runs the node's uninstaller as root when present, and is a no-op when not", async () => {
                for (const [resource, uninstaller] of [
                    ["homelab-server-arm-k3s-server", "/usr/local/bin/k3s-uninstall.sh"],
                    ["homelab-worker-x86-k3s-agent", "/usr/local/bin/k3s-agent-uninstall.sh"],
                ] as const) {
                    const s = use(script(homelab, resource, "delete"));
                    const present = await execute(shell, s.text, s.stdin, {
                        files: { [uninstaller]: `#!/bin/sh\necho uninstalled >> "$STUB_LOG"\n` },
                    });
                    expect(present.code, present.stderr).to.equal(0);
                    expect(present.calls).to.deep.equal([`sudo ${uninstaller}`, "uninstalled"]);
                    const absent = await execute(shell, s.text, s.stdin);
                    expect(absent.code, absent.stderr).to.equal(0);
                    expect(absent.calls).to.deep.equal([]);
                }
            });

            it("preflight passes on a systemd Linux host of the configured arch", async () => {
                for (const [node, machine, arch] of [
                    ["server-arm", "aarch64", "arm64"],
                    ["worker-x86", "x86_64", "amd64"],
                ] as const) {
                    const s = use(script(homelab, `homelab-${node}-preflight`, "create"));
                    const r = await execute(shell, s.text, s.stdin, { ...HEALTHY_HOST, env: { STUB_MACHINE: machine } });
                    expect(r.code, r.stderr).to.equal(0);
                    expect(r.stdout).to.equal(`preflight ${node}: ok (Linux 6.8.0-stub, ${arch})\n`);
                    expect(r.calls).to.deep.equal(["uname -s", "uname -m", "uname -sr"]);
                }
            });

            it("preflight names the fix for a wrong arch, WSL2 without systemd, and the memory cgroup off", async () => {
                const s = script(homelab, "homelab-worker-x86-preflight", "create");
                const arch = await execute(shell, s.text, s.stdin, { ...HEALTHY_HOST, env: { STUB_MACHINE: "aarch64" } });
                expect(arch.code).to.equal(1);
                expect(arch.stderr).to.include("configured arch is amd64 but the host is arm64: fix homelab.nodes[].arch for worker-x86");
                const wsl = await execute(shell, s.text, s.stdin, {
                    files: { "/proc/1/comm": "init\n", "/proc/version": "Linux version 5.15.153.1-microsoft-standard-WSL2\n" },
                });
                expect(wsl.code).to.equal(1);
                expect(wsl.stderr).to.include("add systemd=true under [boot] in /etc/wsl.conf");
                const v2 = await execute(shell, s.text, s.stdin, {
                    files: { "/proc/1/comm": "systemd\n", "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io pids\n" },
                });
                expect(v2.code).to.equal(1);
                expect(v2.stderr).to.include("the memory cgroup is off");
                const v1 = await execute(shell, s.text, s.stdin, {
                    files: {
                        "/proc/1/comm": "systemd\n",
                        "/proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t0\t1\t0\n",
                    },
                });
                expect(v1.code).to.equal(1);
                expect(v1.stderr).to.include("the memory cgroup is off");
            });

            it("waits for the server and each agent to be Ready, on the server, as root", async () => {
                for (const [resource, node] of [
                    ["homelab-server-arm-ready", "server-arm"],
                    ["homelab-worker-x86-registration", "worker-x86"],
                ] as const) {
                    const s = use(script(homelab, resource, "create"));
                    const r = await execute(shell, s.text, s.stdin);
                    expect(r.code, r.stderr).to.equal(0);
                    expect(r.calls).to.deep.equal([
                        `sudo k3s kubectl get node ${node}`,
                        `k3s kubectl get node ${node}`,
                        `sudo k3s kubectl wait --for=condition=Ready node/${node} --timeout=300s`,
                        `k3s kubectl wait --for=condition=Ready node/${node} --timeout=300s`,
                    ]);
                }
            });

            it("drains an agent before deleting its node (registration delete)", async () => {
                const s = use(script(homelab, "homelab-worker-x86-registration", "delete"));
                const r = await execute(shell, s.text, s.stdin);
                expect(r.code, r.stderr).to.equal(0);
                expect(r.calls.filter((c) => !c.startsWith("k3s "))).to.deep.equal([
                    "sudo k3s kubectl get node worker-x86",
                    "sudo k3s kubectl drain worker-x86 --ignore-daemonsets --delete-emptydir-data --timeout=300s",
                    "sudo k3s kubectl delete node worker-x86",
                ]);
            });

            it("applies labels and taints, and removes them on delete", async () => {
                const create = use(script(homelab, "homelab-worker-x86-labels", "create"));
                const r = await execute(shell, create.text, create.stdin);
                expect(r.code, r.stderr).to.equal(0);
                expect(r.calls.filter((c) => c.startsWith("sudo "))).to.deep.equal([
                    "sudo k3s kubectl label node worker-x86 --overwrite aiops.dev/site=homelab aiops.dev/stateful=true node-role.kubernetes.io/worker=true workload=compute-intensive",
                ]);
                const server = use(script(homelab, "homelab-server-arm-labels", "create"));
                const s = await execute(shell, server.text, server.stdin);
                expect(s.code, s.stderr).to.equal(0);
                expect(s.calls.filter((c) => c.startsWith("sudo "))).to.deep.equal([
                    "sudo k3s kubectl label node server-arm --overwrite aiops.dev/site=homelab",
                ]);
                for (const node of ["worker-x86", "server-arm"]) {
                    const del = use(script(homelab, `homelab-${node}-labels`, "delete"));
                    const d = await execute(shell, del.text, del.stdin);
                    expect(d.code, d.stderr).to.equal(0);
                    expect(d.calls.filter((c) => c.startsWith("sudo "))[0]).to.match(
                        new RegExp(`^sudo k3s kubectl label node ${node} \\S+-`),
                    );
                }
            });

            it("reads the k3s kubeconfig back as root", async () => {
                const s = use(script(homelab, "homelab-kubeconfig", "create"));
                const r = await execute(shell, s.text, s.stdin, {
                    files: { "/etc/rancher/k3s/k3s.yaml": "apiVersion: v1\nkind: Config\n" },
                });
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.equal("apiVersion: v1\nkind: Config\n");
                expect(r.calls).to.deep.equal(["sudo cat /etc/rancher/k3s/k3s.yaml"]);
            });

            it("hybrid control VM: waits for the kubeconfig, then reads it over SSH (as root)", async () => {
                const s = use(script(hybrid, "hybrid-control-kubeconfig", "create"));
                const r = await execute(shell, s.text, s.stdin, { files: { "/etc/rancher/k3s/k3s.yaml": "apiVersion: v1\n" } });
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.equal("apiVersion: v1\n");
                expect(r.calls, "root over Tailscale SSH: no sudo, the real test and cat").to.deep.equal([]);
            });

            it("hybrid control VM: the k3s version step installs the pinned release only when another one runs", async () => {
                const s = use(script(hybrid, "hybrid-control-k3s-version", "create"));
                const files = { "/etc/rancher/k3s/k3s.yaml": "apiVersion: v1\n" };
                const old = await execute(shell, s.text, s.stdin, { files, env: { STUB_K3S_VERSION: "v1.35.4+k3s1" } });
                expect(old.code, old.stderr).to.equal(0);
                expect(old.calls.filter((c) => !c.startsWith("tailscale"))).to.deep.equal([
                    "k3s --version",
                    INSTALLER_URL,
                    "install.sh server --write-kubeconfig-mode 600 --tls-san aiops-control --node-name hybrid-control --tls-san 100.64.0.7 --tls-san aiops-control.tail1234.ts.net [INSTALL_K3S_VERSION=v1.35.5+k3s1 K3S_URL= K3S_TOKEN=]",
                    "k3s --version",
                ]);
                const same = await execute(shell, s.text, s.stdin, { files, env: { STUB_K3S_VERSION: "v1.35.5+k3s1" } });
                expect(same.code, same.stderr).to.equal(0);
                expect(
                    same.calls.filter((c) => !c.startsWith("tailscale")),
                    "already at the pin: no install",
                ).to.deep.equal(["k3s --version", "k3s --version"]);
                expect(same.stdout).to.equal("v1.35.5+k3s1\n");
            });

            for (const [label, all] of [
                ["local", () => hybrid],
                ["remote", () => hybridRemoteEdge],
            ] as const) {
                it(`k3d edge (${label} host): create checks the k3d version, then creates; delete and kubeconfig read`, async () => {
                    const create = use(script(all(), "hybrid-edge-cluster", "create"));
                    const r = await execute(shell, create.text, create.stdin);
                    expect(r.code, r.stderr).to.equal(0);
                    expect(r.calls).to.have.length(2);
                    expect(r.calls[0]).to.equal("k3d version");
                    expect(r.calls[1]).to.match(
                        /^k3d cluster create hybrid-edge --servers 1 --agents 1 --image rancher\/k3s:v1\.35\.2-k3s1 /,
                    );
                    const old = await execute(shell, create.text, create.stdin, { env: { STUB_K3D_VERSION: "v5.6.0" } });
                    expect(old.code).to.equal(1);
                    expect(old.stderr).to.include("k3d v5.9.0 is required on the edge host; found v5.6.0");
                    expect(old.calls).to.deep.equal(["k3d version"]);

                    const del = use(script(all(), "hybrid-edge-cluster", "delete"));
                    const d = await execute(shell, del.text, del.stdin);
                    expect(d.code, d.stderr).to.equal(0);
                    expect(d.calls).to.deep.equal(["k3d cluster delete hybrid-edge"]);

                    const read = use(script(all(), "hybrid-edge-kubeconfig", "create"));
                    const k = await execute(shell, read.text, read.stdin);
                    expect(k.code, k.stderr).to.equal(0);
                    expect(k.calls).to.deep.equal(["k3d kubeconfig get hybrid-edge"]);
                    expect(k.stdout).to.include(`server: "https://0.0.0.0:6550"`);
                });
            }
        });
    }

    // The local stack's cluster commands run with the local provider's /bin/sh (dash on Debian, bash elsewhere).
    for (const shell of SHELLS) {
        it(`${shell}: local k3d cluster: create checks the k3d version, then creates; delete and kubeconfig read`, async () => {
            const create = use(script(local, "aiops-local-cluster", "create"));
            const r = await execute(shell, create.text, create.stdin);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.calls[0]).to.equal("k3d version");
            expect(r.calls[1]).to.match(/^k3d cluster create aiops-local --servers 1 --agents 1 --image rancher\/k3s:v1\.35\.2-k3s1 /);
            const old = await execute(shell, create.text, create.stdin, { env: { STUB_K3D_VERSION: "v5.6.0" } });
            expect(old.code).to.equal(1);
            expect(old.calls).to.deep.equal(["k3d version"]);
            const d = await execute(shell, use(script(local, "aiops-local-cluster", "delete")).text, undefined);
            expect(d.code, d.stderr).to.equal(0);
            expect(d.calls).to.deep.equal(["k3d cluster delete aiops-local"]);
            const k = await execute(shell, use(script(local, "aiops-local-kubeconfig", "create")).text, undefined);
            expect(k.code, k.stderr).to.equal(0);
            expect(k.calls).to.deep.equal(["k3d kubeconfig get aiops-local"]);
        });
    }

    // The preflight is a bash script (arrays), run with the interpreter ["/bin/bash", "-c"] (k3d-cluster.ts).
    it("bash: local preflight passes on a machine with Docker, k3d and room, and names a stopped Docker", async () => {
        const s = use(script(local, "aiops-local-preflight", "create"));
        const ok = await execute("bash", s.text, undefined, {
            env: { K3D_MIN_VERSION: "v5.7.0", NEED_MEMORY_BYTES: "1073741824", NEED_CPUS: "2", CHECK_PULUMI: "0", PORTS: "" },
        });
        expect(ok.code, ok.stderr + ok.stdout).to.equal(0);
        expect(ok.calls).to.include("docker info");
        expect(ok.calls).to.include("k3d version");
        const down = await execute("bash", s.text, undefined, {
            env: {
                K3D_MIN_VERSION: "v5.7.0",
                NEED_MEMORY_BYTES: "1073741824",
                NEED_CPUS: "2",
                CHECK_PULUMI: "0",
                PORTS: "",
                STUB_DOCKER_DOWN: "1",
            },
        });
        expect(down.code).to.equal(1);
        expect(down.stdout + down.stderr).to.include("Docker is installed but not running");
    });

    // The VM runs its startup script with the shebang's bash (google-guest-agent), so bash only.
    describe("bash: the hybrid control VM's startup script", () => {
        it("joins the tailnet with the key from Secret Manager, then installs the pinned k3s with the tailnet SANs", async () => {
            const run = await runWith("hybrid");
            const vm = run.registrations.find((r) => r.type === "gcp:compute/instance:Instance" && r.name === "hybrid-control")!;
            const text = inputs(vm).metadata["startup-script"] as string;
            expect(text.startsWith("#!/bin/bash\n")).to.equal(true);
            const r = await execute("bash", text, undefined);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.calls.map((c) => c.replace(/file:\S+/, "file:KEYFILE"))).to.deep.equal([
                "curl -sf -H Metadata-Flavor: Google http://metadata.google.internal/computeMetadata/v1/project/project-id",
                "tailscale status",
                "curl -sf -H Metadata-Flavor: Google http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token",
                "curl -sf -H Authorization: Bearer ya29.mock https://secretmanager.googleapis.com/v1/projects/aiops-hybrid-demo/secrets/hybrid-control-tailscale-authkey/versions/latest:access",
                "tailscale up --auth-key=file:KEYFILE --hostname=aiops-control --ssh",
                "auth key file holds: tskey-auth-mock",
                "tailscale ip -4",
                "tailscale status --json",
                "k3s --version",
                INSTALLER_URL,
                "install.sh server --write-kubeconfig-mode 600 --tls-san aiops-control --node-name hybrid-control --tls-san 100.64.0.7 --tls-san aiops-control.tail1234.ts.net [INSTALL_K3S_VERSION=v1.35.5+k3s1 K3S_URL= K3S_TOKEN=]",
            ]);
        });
    });

    // After the shell suites (mocha runs child suites in order), so `covered` is complete.
    describe("coverage", () => {
        it("covers every create/update/delete script of every command in every stack", async () => {
            const others: Script[] = [];
            for (const stack of listStacks().filter((s) => s !== "homelab" && s !== "hybrid" && s !== "local"))
                others.push(...scriptsOf(await runWith(stack)));
            const all = [...homelab, ...hybrid, ...hybridRemoteEdge, ...local, ...others].map((s) => `${s.resource}.${s.field}`);
            const missing = [...new Set(all)].filter((k) => !covered.has(k)).sort();
            expect(missing, "a new command script needs a case in this file").to.deep.equal([]);
        });
    });
});
