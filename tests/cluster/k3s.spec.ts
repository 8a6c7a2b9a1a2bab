import { expect } from "chai";
import { parse } from "yaml";
import { k3sNodePool, managedLabels } from "../../components/cluster/k3s/k3s-cluster";
import {
    applyLabelsCommand,
    drainAndDeleteCommand,
    installCommand,
    isRegistrationLabel,
    k3sAgentArgs,
    k3sServerArgs,
    preflightScript,
    removeLabelsCommand,
    shq,
} from "../../components/cluster/k3s/scripts";
import { kubeconfigServer, rewriteKubeconfig } from "../../components/cluster/kubeconfig";
import type { HomelabNodeConfig } from "../../stacks/config/schema";
import type { StackRun } from "../harness";
import { containsSecret } from "../harness";
import { fakeK3sKubeconfig } from "../harness/mock-state";
import { inputs, inside, one, runWith } from "./helpers";

const CMD = "command:remote:Command";
const commands = (run: StackRun) => inside(run, "aiops:cluster:K3sCluster::homelab").filter((r) => r.type === CMD);
const node = (over: Partial<HomelabNodeConfig> = {}): HomelabNodeConfig => ({
    name: "worker-x86",
    address: "192.168.1.20",
    sshUser: "ubuntu",
    sshPort: 22,
    arch: "amd64",
    role: "agent",
    labels: {},
    taints: [],
    allocatable: { cpu: 8, memory: "14Gi" },
    ...over,
});

describe("k3s: scripts", () => {
    it("quotes for the shell only when needed", () => {
        expect(shq("v1.35.5+k3s1")).to.equal("v1.35.5+k3s1");
        expect(shq("a b")).to.equal("'a b'");
        expect(shq("it's")).to.equal(`'it'"'"'s'`);
    });

    it("lets the kubelet set only labels NodeRestriction allows; node-role labels wait for kubectl", () => {
        expect(isRegistrationLabel("aiops.dev/site")).to.equal(true);
        expect(isRegistrationLabel("workload")).to.equal(true);
        expect(isRegistrationLabel("node.kubernetes.io/pool")).to.equal(true);
        expect(isRegistrationLabel("topology.kubernetes.io/zone")).to.equal(true);
        expect(isRegistrationLabel("node-role.kubernetes.io/worker")).to.equal(false);
        expect(isRegistrationLabel("example.k8s.io/x")).to.equal(false);
        expect(isRegistrationLabel("kubernetes.io/role")).to.equal(false);
    });

    it("builds server flags: kubeconfig 600, TLS SANs, traefik off, control-plane taint, allowed labels", () => {
        const args = k3sServerArgs({
            name: "server-arm",
            labels: { "node-role.kubernetes.io/infra": "true", "aiops.dev/site": "homelab" },
            taints: [{ key: "dedicated", value: "infra", effect: "NoSchedule" }],
            tlsSans: ["192.168.1.10", "192.168.1.10", "k3s.home.arpa"],
            traefik: false,
            taintControlPlane: true,
        });
        expect(args).to.deep.equal([
            "server",
            "--write-kubeconfig-mode",
            "600",
            "--tls-san",
            "192.168.1.10",
            "--tls-san",
            "k3s.home.arpa",
            "--disable",
            "traefik",
            "--node-name",
            "server-arm",
            "--node-label",
            "aiops.dev/site=homelab",
            "--node-taint",
            "node-role.kubernetes.io/control-plane=true:NoSchedule",
            "--node-taint",
            "dedicated=infra:NoSchedule",
        ]);
        expect(
            k3sServerArgs({ name: "s", labels: {}, taints: [], tlsSans: ["s"], traefik: true, taintControlPlane: false }),
        ).to.not.include("--disable");
        expect(k3sAgentArgs({ name: "w", labels: { b: "2", a: "1" }, taints: [] })).to.deep.equal([
            "agent",
            "--node-name",
            "w",
            "--node-label",
            "a=1",
            "--node-label",
            "b=2",
        ]);
    });

    it("reads the token from stdin, never from the command text, and pins the installer to the release", () => {
        const text = installCommand({
            k3sVersion: "v1.35.5+k3s1",
            serverUrl: "https://192.168.1.10:6443",
            args: ["agent", "--node-name", "w"],
        });
        expect(text).to.equal(
            // The token arrives without a trailing newline (tests/cluster/scripts.spec.ts runs this for real):
            // a bare `read` returns 1 at end of input and `set -e` would abort before installing anything.
            'set -eu\nIFS= read -r K3S_TOKEN || [ -n "${K3S_TOKEN:-}" ] || { echo "no K3S_TOKEN on stdin" >&2; exit 1; }\nexport K3S_TOKEN\n' +
                "curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/v1.35.5%2Bk3s1/install.sh | INSTALL_K3S_VERSION=v1.35.5+k3s1 K3S_URL=https://192.168.1.10:6443 sh -s - agent --node-name w",
        );
        expect(text).to.not.match(/K3S_TOKEN=/);
    });

    it("preflight checks the OS, systemd (with the WSL2 fix), the architecture and the memory cgroup", () => {
        const text = preflightScript({ name: "worker-x86", arch: "amd64" });
        expect(text).to.include(`[ "$(uname -s)" = Linux ]`);
        expect(text).to.include("add systemd=true under [boot] in /etc/wsl.conf");
        expect(text).to.include(`[ "$arch" = amd64 ] || fail "configured arch is amd64`);
        expect(text).to.include("cgroup_memory=1 cgroup_enable=memory");
        expect(preflightScript({ name: "pi", arch: "arm64" })).to.include(`[ "$arch" = arm64 ]`);
    });

    it("labels with --overwrite and removes exactly what it applied", () => {
        const labels = { "node-role.kubernetes.io/worker": "true", "aiops.dev/stateful": "true" };
        const taints = [{ key: "gpu", value: "true", effect: "NoSchedule" as const }];
        expect(applyLabelsCommand("ubuntu", "w", labels, taints)).to.equal(
            "set -eu\nsudo k3s kubectl label node w --overwrite aiops.dev/stateful=true node-role.kubernetes.io/worker=true\nsudo k3s kubectl taint node w --overwrite gpu=true:NoSchedule",
        );
        expect(removeLabelsCommand("root", "w", labels, taints)).to.equal(
            "k3s kubectl label node w aiops.dev/stateful- node-role.kubernetes.io/worker- || true\nk3s kubectl taint node w gpu:NoSchedule- || true",
        );
        expect(removeLabelsCommand("root", "w", {}, [])).to.equal("true");
    });

    it("drains before deleting a node", () => {
        const text = drainAndDeleteCommand("ubuntu", "worker-x86");
        expect(text.indexOf("drain worker-x86 --ignore-daemonsets --delete-emptydir-data")).to.be.lessThan(
            text.indexOf("delete node worker-x86"),
        );
    });

    it("marks role and stateful labels on the node's pool", () => {
        expect(managedLabels(node({ labels: { a: "1" } }), "worker-x86")).to.deep.equal({
            a: "1",
            "node-role.kubernetes.io/worker": "true",
            "aiops.dev/stateful": "true",
        });
        const server = k3sNodePool(node({ name: "s", role: "server", arch: "arm64" }), true, undefined);
        expect(server).to.deep.include({ controlPlane: true, count: 1, arch: "arm64" });
        expect(server.taints[0]).to.deep.equal({ key: "node-role.kubernetes.io/control-plane", value: "true", effect: "NoSchedule" });
        expect(k3sNodePool(node({ role: "server" }), false, undefined)).to.not.have.property("controlPlane");
        expect(k3sNodePool(node(), true, undefined).allocatable).to.deep.equal({ cpu: 8, memory: 14 * 2 ** 30 });
    });
});

describe("kubeconfig rewriting", () => {
    it("points the cluster at the reachable address and renames k3s's 'default' entries", () => {
        const out = rewriteKubeconfig(fakeK3sKubeconfig("https://127.0.0.1:6443"), "https://192.168.1.10:6443", "homelab");
        const doc = parse(out);
        expect(kubeconfigServer(out)).to.equal("https://192.168.1.10:6443");
        expect(doc.clusters[0]).to.deep.equal({
            name: "homelab",
            cluster: { server: "https://192.168.1.10:6443", "certificate-authority-data": "TU9DSw==" },
        });
        expect(doc.users[0].name).to.equal("homelab");
        expect(doc.contexts[0]).to.deep.equal({ name: "homelab", context: { cluster: "homelab", user: "homelab" } });
        expect(doc["current-context"]).to.equal("homelab");
    });

    it("refuses text that is not a one-cluster kubeconfig", () => {
        expect(() => rewriteKubeconfig("", "https://x:6443", "c")).to.throw("expected a kubeconfig with exactly one cluster; got none");
        expect(() => rewriteKubeconfig("clusters: [a, : b", "https://x:6443", "c")).to.throw("is not YAML");
    });
});

describe("k3s: the homelab stack", () => {
    let run: StackRun;
    before(async () => {
        run = await runWith("homelab");
    });

    it("runs a preflight per node, then installs the pinned server with traefik kept (config) and the control plane tainted", () => {
        expect(commands(run).map((r) => r.name)).to.have.members([
            "homelab-server-arm-preflight",
            "homelab-worker-x86-preflight",
            "homelab-server-arm-k3s-server",
            "homelab-server-arm-ready",
            "homelab-kubeconfig",
            "homelab-worker-x86-k3s-agent",
            "homelab-worker-x86-registration",
            "homelab-server-arm-labels",
            "homelab-worker-x86-labels",
        ]);
        const server = one(run, CMD, "homelab-server-arm-k3s-server");
        expect(server.parent).to.equal("aiops:cluster:K3sCluster::homelab");
        expect(server.dependsOn).to.include("command:remote:Command::homelab-server-arm-preflight");
        const i = inputs(server);
        expect(i.create).to.include(
            "INSTALL_K3S_VERSION=v1.35.5+k3s1 sh -s - server --write-kubeconfig-mode 600 --tls-san 192.168.1.10 --node-name server-arm --node-label aiops.dev/site=homelab --node-taint node-role.kubernetes.io/control-plane=true:NoSchedule",
        );
        expect(i.create).to.not.include("--disable traefik");
        expect(i.update).to.equal(i.create);
        expect(i.delete, "the uninstaller needs root, as the installer did").to.equal(
            "if [ -x /usr/local/bin/k3s-uninstall.sh ]; then sudo /usr/local/bin/k3s-uninstall.sh; fi",
        );
        // Sent byte for byte, without a trailing newline: the script's read must accept that
        // (tests/cluster/scripts.spec.ts runs it under bash and dash with exactly this stdin).
        expect(i.stdin).to.equal("mock-password-homelab-token");
        expect(i.create).to.include('IFS= read -r K3S_TOKEN || [ -n "${K3S_TOKEN:-}" ]');
        expect(containsSecret(server.inputs.stdin), "the token is a secret input").to.equal(true);
        expect(containsSecret(server.inputs.connection), "the SSH key is a secret input").to.equal(true);
        expect(i.connection).to.deep.equal({
            host: "192.168.1.10",
            user: "ubuntu",
            port: 22,
            privateKey: "mock-secret-for-sshPrivateKey",
            dialErrorLimit: 10,
            perDialTimeout: 15,
        });
    });

    it("joins the agent after the server with the server's URL and token, and drains it on removal", () => {
        const agent = one(run, CMD, "homelab-worker-x86-k3s-agent");
        expect(agent.dependsOn).to.include.members([
            "command:remote:Command::homelab-server-arm-k3s-server",
            "command:remote:Command::homelab-worker-x86-preflight",
        ]);
        const i = inputs(agent);
        expect(i.connection.host).to.equal("192.168.1.20");
        expect(i.create).to.include(
            "K3S_URL=https://192.168.1.10:6443 sh -s - agent --node-name worker-x86 --node-label aiops.dev/site=homelab --node-label workload=compute-intensive",
        );
        expect(i.delete).to.equal("if [ -x /usr/local/bin/k3s-agent-uninstall.sh ]; then sudo /usr/local/bin/k3s-agent-uninstall.sh; fi");
        expect(containsSecret(agent.inputs.stdin)).to.equal(true);
        const reg = one(run, CMD, "homelab-worker-x86-registration");
        expect(reg.dependsOn).to.include("command:remote:Command::homelab-worker-x86-k3s-agent");
        expect(inputs(reg).connection.host, "drain runs on the server").to.equal("192.168.1.10");
        expect(inputs(reg).delete).to.include("drain worker-x86").and.include("delete node worker-x86");
    });

    it("applies role, stateful and configured labels after join, each node's command triggered by its own labels", () => {
        const labels = one(run, CMD, "homelab-worker-x86-labels");
        expect(labels.dependsOn).to.include("command:remote:Command::homelab-worker-x86-registration");
        expect(labels.options.deleteBeforeReplace).to.equal(true);
        const i = inputs(labels);
        expect(i.create).to.include(
            "label node worker-x86 --overwrite aiops.dev/site=homelab aiops.dev/stateful=true node-role.kubernetes.io/worker=true workload=compute-intensive",
        );
        expect(JSON.parse(i.triggers[0]).labels).to.deep.include(["aiops.dev/stateful", "true"]);
        expect(inputs(one(run, CMD, "homelab-server-arm-labels")).create).to.not.include("stateful");
    });

    it("changes only the edited node's label command when one node's labels change", async () => {
        const edited = await runWith("homelab", { "homelab.nodes[1].labels": { "aiops.dev/site": "homelab", workload: "inference" } });
        const before = (r: StackRun, n: string) => inputs(one(r, CMD, `homelab-${n}-labels`)).triggers;
        expect(before(edited, "server-arm")).to.deep.equal(before(run, "server-arm"));
        expect(before(edited, "worker-x86")).to.not.deep.equal(before(run, "worker-x86"));
        expect(inputs(one(edited, CMD, "homelab-server-arm-k3s-server")).create).to.equal(
            inputs(one(run, CMD, "homelab-server-arm-k3s-server")).create,
        );
    });

    it("produces identical command text on a re-run with unchanged config", async () => {
        const again = await runWith("homelab");
        const texts = (r: StackRun) =>
            commands(r)
                .map((c) => [c.name, inputs(c).create, inputs(c).triggers])
                .sort();
        expect(texts(again)).to.deep.equal(texts(run));
    });

    it("reads the kubeconfig back as a secret with the API address rewritten", () => {
        const read = one(run, CMD, "homelab-kubeconfig");
        expect(read.dependsOn).to.include("command:remote:Command::homelab-server-arm-ready");
        expect(inputs(read).create).to.equal("sudo cat /etc/rancher/k3s/k3s.yaml");
        expect(run.outputs.kubeconfig.secret).to.equal(true);
        expect(kubeconfigServer(run.outputs.kubeconfig.value as string)).to.equal("https://192.168.1.10:6443");
        const provider = one(run, "pulumi:providers:kubernetes", "homelab-k8s");
        expect(containsSecret(provider.inputs.kubeconfig)).to.equal(true);
    });

    it("adds --tls-san for a separate apiAddress and disables traefik when off", async () => {
        const r = await runWith("homelab", {
            "homelab.apiAddress": "k3s.home.arpa",
            "homelab.traefik": false,
            "homelab.taintServer": false,
        });
        const create = inputs(one(r, CMD, "homelab-server-arm-k3s-server")).create;
        expect(create).to.include("--tls-san k3s.home.arpa --tls-san 192.168.1.10 --disable traefik");
        expect(create).to.not.include("control-plane=true:NoSchedule");
        expect(kubeconfigServer(r.outputs.kubeconfig.value as string)).to.equal("https://k3s.home.arpa:6443");
    });

    it("names every node's resources after the node, so adding a node adds only its own", async () => {
        const three = await runWith("homelab", {
            "homelab.nodes[2]": {
                name: "pi5",
                address: "192.168.1.30",
                sshUser: "pi",
                arch: "arm64",
                role: "agent",
                allocatable: { cpu: 4, memory: "6Gi" },
            },
        });
        const names = (r: StackRun) => new Set(r.registrations.map((x) => `${x.type}::${x.name}`));
        const added = [...names(three)].filter((n) => !names(run).has(n));
        expect(added.sort()).to.deep.equal([
            "command:remote:Command::homelab-pi5-k3s-agent",
            "command:remote:Command::homelab-pi5-labels",
            "command:remote:Command::homelab-pi5-preflight",
            "command:remote:Command::homelab-pi5-registration",
        ]);
    });
});
