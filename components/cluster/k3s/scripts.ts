// Shell text for installing and operating k3s over SSH. Pure and deterministic: the same config
// always yields the same command text, so a re-run with unchanged config changes nothing.
import type { Arch, Taint } from "../../shared/node";

/** POSIX single-quoting. */
export function shq(value: string): string {
    return /^[A-Za-z0-9_./:=@,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** "sudo " unless the SSH user is root. */
export function asRoot(user: string): string {
    return user === "root" ? "" : "sudo ";
}

/** The k3s install script of exactly this release (get.k3s.io always serves the newest script). */
export function installScriptUrl(k3sVersion: string): string {
    return `https://raw.githubusercontent.com/k3s-io/k3s/${encodeURIComponent(k3sVersion)}/install.sh`;
}

export const CONTROL_PLANE_TAINT: Taint = { key: "node-role.kubernetes.io/control-plane", value: "true", effect: "NoSchedule" };
/** Applied after join to the node named by `statefulNode`; stateful services select it. */
export const STATEFUL_LABEL = "aiops.dev/stateful";
/** Role label for agents (k3s only sets roles on servers). */
export const WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker";

export function formatTaint(t: Taint): string {
    return `${t.key}${t.value === undefined ? "" : `=${t.value}`}:${t.effect}`;
}

const KUBELET_ALLOWED_DOMAINS = ["kubelet.kubernetes.io", "node.kubernetes.io"];
const KUBELET_ALLOWED_KEYS = [
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
];

/**
 * True when the kubelet may set the label itself at registration. NodeRestriction refuses other
 * `kubernetes.io`/`k8s.io` labels (k3s-io/k3s#10916: "unknown 'kubernetes.io' or 'k8s.io' labels"),
 * so those, `node-role.kubernetes.io/*` among them, are applied with kubectl after the node joins.
 */
export function isRegistrationLabel(key: string): boolean {
    const slash = key.indexOf("/");
    if (slash < 0) return true;
    const domain = key.slice(0, slash);
    const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(domain);
    return !restricted || KUBELET_ALLOWED_DOMAINS.includes(domain) || KUBELET_ALLOWED_KEYS.includes(key);
}

export interface K3sNodeFlags {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
}

function sortedEntries(labels: Readonly<Record<string, string>>): [string, string][] {
    return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

function nodeFlags(n: K3sNodeFlags): string[] {
    const flags = ["--node-name", n.name];
    for (const [k, v] of sortedEntries(n.labels)) if (isRegistrationLabel(k)) flags.push("--node-label", `${k}=${v}`);
    for (const t of n.taints) flags.push("--node-taint", formatTaint(t));
    return flags;
}

export interface K3sServerFlags extends K3sNodeFlags {
    /** Names and addresses the API certificate must cover (deduplicated, order kept). */
    readonly tlsSans: readonly string[];
    readonly traefik: boolean;
    readonly taintControlPlane: boolean;
    /** Extra flags, appended as given (e.g. --node-ip). */
    readonly extra?: readonly string[];
}

export function k3sServerArgs(s: K3sServerFlags): string[] {
    const args = ["server", "--write-kubeconfig-mode", "600"];
    for (const san of [...new Set(s.tlsSans)]) args.push("--tls-san", san);
    if (!s.traefik) args.push("--disable", "traefik");
    const taints = s.taintControlPlane
        ? [CONTROL_PLANE_TAINT, ...s.taints.filter((t) => t.key !== CONTROL_PLANE_TAINT.key)]
        : [...s.taints];
    return [...args, ...nodeFlags({ ...s, taints }), ...(s.extra ?? [])];
}

export function k3sAgentArgs(n: K3sNodeFlags): string[] {
    return ["agent", ...nodeFlags(n)];
}

/**
 * Reads one secret line from stdin into `name`. @pulumi/command 1.2.1's remote Command hands `stdin` to
 * the SSH session byte for byte (provider/pkg/provider/remote/commandOutputs.go: `session.Stdin =
 * strings.NewReader(*c.Stdin)`), so a token arrives with no trailing newline: `read` then fills the
 * variable but returns 1 at end of input, which `set -e` turns into an abort. Accept a last line
 * without a newline, and fail with a message only when nothing arrived.
 */
export function readStdinLine(name: string): string {
    return `IFS= read -r ${name} || [ -n "\${${name}:-}" ] || { echo "no ${name} on stdin" >&2; exit 1; }`;
}

/**
 * Installs (or upgrades in place: the script is idempotent) k3s. The token arrives on stdin and is
 * exported for the install script, so it is never on a command line or in the command's text.
 */
export function installCommand(a: { k3sVersion: string; args: readonly string[]; serverUrl?: string }): string {
    const env = [`INSTALL_K3S_VERSION=${shq(a.k3sVersion)}`, ...(a.serverUrl ? [`K3S_URL=${shq(a.serverUrl)}`] : [])];
    return [
        "set -eu",
        readStdinLine("K3S_TOKEN"),
        "export K3S_TOKEN",
        `curl -sfL ${installScriptUrl(a.k3sVersion)} | ${env.join(" ")} sh -s - ${a.args.map(shq).join(" ")}`,
    ].join("\n");
}

/** Removes k3s from a node; the uninstall scripts need root, as the installer did. */
export function uninstallCommand(role: "server" | "agent", sshUser: string): string {
    const script = role === "server" ? "/usr/local/bin/k3s-uninstall.sh" : "/usr/local/bin/k3s-agent-uninstall.sh";
    return `if [ -x ${script} ]; then ${asRoot(sshUser)}${script}; fi`;
}

const MACHINE_TO_ARCH = `case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac`;

/**
 * Checks a host before k3s touches it: Linux, systemd as PID 1 (WSL2 needs systemd=true), the
 * configured architecture, and the memory cgroup (off by default on Raspberry Pi OS).
 */
export function preflightScript(node: { name: string; arch: Arch }): string {
    const fail = (msg: string) => `fail ${shq(msg)}`;
    return [
        "set -eu",
        `fail() { echo "preflight ${node.name}: $1" >&2; exit 1; }`,
        `[ "$(uname -s)" = Linux ] || ${fail("k3s needs Linux; on a Mac run this node in a Lima or colima VM (see the README: The ARM64 server on a Mac)")}`,
        `if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then`,
        `  if grep -qi microsoft /proc/version 2>/dev/null; then ${fail("WSL2 runs without systemd: add systemd=true under [boot] in /etc/wsl.conf, run wsl --shutdown in Windows, then retry")}; fi`,
        `  ${fail("systemd is not PID 1; k3s installs itself as a systemd service")}`,
        "fi",
        MACHINE_TO_ARCH,
        `[ "$arch" = ${node.arch} ] || fail "configured arch is ${node.arch} but the host is $arch: fix homelab.nodes[].arch for ${node.name}"`,
        "if [ -f /sys/fs/cgroup/cgroup.controllers ]; then",
        `  grep -qw memory /sys/fs/cgroup/cgroup.controllers || ${fail("the memory cgroup is off: on a Raspberry Pi append cgroup_memory=1 cgroup_enable=memory to /boot/firmware/cmdline.txt and reboot")}`,
        "else",
        `  awk '$1 == "memory" && $4 == 1 { found = 1 } END { exit !found }' /proc/cgroups || ${fail("the memory cgroup is off: on a Raspberry Pi append cgroup_memory=1 cgroup_enable=memory to /boot/firmware/cmdline.txt and reboot")}`,
        "fi",
        `echo "preflight ${node.name}: ok ($(uname -sr), $arch)"`,
    ].join("\n");
}

/** kubectl as root on the server (the kubeconfig is mode 600). */
export function kubectl(user: string): string {
    return `${asRoot(user)}k3s kubectl`;
}

/** Waits until the node has registered and is Ready. */
export function waitReadyCommand(user: string, node: string): string {
    const k = kubectl(user);
    return [
        "set -eu",
        `for i in $(seq 1 60); do ${k} get node ${shq(node)} >/dev/null 2>&1 && break; sleep 5; done`,
        `${k} wait --for=condition=Ready node/${shq(node)} --timeout=300s`,
    ].join("\n");
}

/** Run on the server when an agent leaves: move its pods away, then forget the node. */
export function drainAndDeleteCommand(user: string, node: string): string {
    const k = kubectl(user);
    return [
        "set -eu",
        `if ${k} get node ${shq(node)} >/dev/null 2>&1; then`,
        `  ${k} drain ${shq(node)} --ignore-daemonsets --delete-emptydir-data --timeout=300s`,
        `  ${k} delete node ${shq(node)}`,
        "fi",
    ].join("\n");
}

/** Applies every managed label and taint with --overwrite (labels k3s refused at join included). */
export function applyLabelsCommand(user: string, node: string, labels: Readonly<Record<string, string>>, taints: readonly Taint[]): string {
    const k = kubectl(user);
    const lines = ["set -eu"];
    const pairs = sortedEntries(labels).map(([key, v]) => shq(`${key}=${v}`));
    if (pairs.length > 0) lines.push(`${k} label node ${shq(node)} --overwrite ${pairs.join(" ")}`);
    for (const t of taints) lines.push(`${k} taint node ${shq(node)} --overwrite ${shq(formatTaint(t))}`);
    return lines.join("\n");
}

/** Removes what `applyLabelsCommand` applied; tolerant, because the node may already be gone. */
export function removeLabelsCommand(
    user: string,
    node: string,
    labels: Readonly<Record<string, string>>,
    taints: readonly Taint[],
): string {
    const k = kubectl(user);
    const lines: string[] = [];
    const keys = sortedEntries(labels).map(([key]) => shq(`${key}-`));
    if (keys.length > 0) lines.push(`${k} label node ${shq(node)} ${keys.join(" ")} || true`);
    for (const t of taints) lines.push(`${k} taint node ${shq(node)} ${shq(`${t.key}:${t.effect}-`)} || true`);
    return lines.length > 0 ? lines.join("\n") : "true";
}

export const K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";
export function readKubeconfigCommand(user: string): string {
    return `${asRoot(user)}cat ${K3S_KUBECONFIG_PATH}`;
}
