// The control-plane VM's startup script: join the tailnet with an auth key fetched from Secret Manager
// (never in instance metadata), then install a pinned k3s whose certificate covers the tailnet names.
import { K3S_KUBECONFIG_PATH, asRoot, installScriptUrl, k3sServerArgs, shq } from "../k3s/scripts";

export interface StartupScriptArgs {
    /** Secret Manager secret id holding the Tailscale auth key. */
    readonly authKeySecretId: string;
    readonly tailnetHostname: string;
    readonly k3sVersion: string;
    readonly nodeName: string;
    readonly traefik: boolean;
}

const METADATA = "http://metadata.google.internal/computeMetadata/v1";

/** Machine types with Arm CPUs (Tau T2A, Axion C4A/N4A). */
export function gcpMachineArch(machineType: string): "arm64" | "amd64" {
    return /^(t2a|c4a|n4a)-/.test(machineType) ? "arm64" : "amd64";
}

export function ubuntuImage(arch: "arm64" | "amd64"): string {
    return `ubuntu-os-cloud/ubuntu-2404-lts-${arch}`;
}

function serverArgs(a: Pick<StartupScriptArgs, "nodeName" | "tailnetHostname" | "traefik">): string[] {
    return k3sServerArgs({
        name: a.nodeName,
        labels: {},
        taints: [],
        tlsSans: [a.tailnetHostname],
        traefik: a.traefik,
        taintControlPlane: false,
    });
}

/**
 * Installs k3s at `k3sVersion` unless that exact release is already running; the installer is
 * idempotent and upgrades in place. The API certificate covers the VM's tailnet IP and MagicDNS name,
 * read from tailscale at run time. `sudo` is "" for root or "sudo " (the installer needs root).
 */
function ensureK3sLines(a: Pick<StartupScriptArgs, "nodeName" | "tailnetHostname" | "traefik" | "k3sVersion">, sudo: string): string[] {
    const env = `INSTALL_K3S_VERSION=${shq(a.k3sVersion)}`;
    return [
        "TS_IP=$(tailscale ip -4)",
        `TS_DNS=$(tailscale status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Self"]["DNSName"].rstrip("."))')`,
        `if [ "$(k3s --version 2>/dev/null | awk 'NR==1 {print $3}')" != ${shq(a.k3sVersion)} ]; then`,
        `  curl -sfL ${installScriptUrl(a.k3sVersion)} | ${sudo ? `${sudo}env ${env}` : env} sh -s - ${serverArgs(a).map(shq).join(" ")} --tls-san "$TS_IP" --tls-san "$TS_DNS"`,
        "fi",
    ];
}

/**
 * The upgrade step run over Tailscale SSH whenever `k3sVersion` changes. GCP updates the
 * `startup-script` metadata in place and never re-runs it on a live VM, so without this step a version
 * bump only took effect at the next reboot. It first waits for the first boot's install (the
 * kubeconfig appears), then installs the pinned release only if another one is running.
 */
export function upgradeScript(
    a: Pick<StartupScriptArgs, "nodeName" | "tailnetHostname" | "traefik" | "k3sVersion">,
    sshUser: string,
): string {
    const sudo = asRoot(sshUser);
    return [
        "set -eu",
        `for i in $(seq 1 90); do ${sudo}test -s ${K3S_KUBECONFIG_PATH} && break; sleep 10; done`,
        ...ensureK3sLines(a, sudo),
        `k3s --version | awk 'NR==1 {print $3}'`,
    ].join("\n");
}

export function startupScript(a: StartupScriptArgs): string {
    return [
        "#!/bin/bash",
        "# Runs on every boot; each step is skipped when already done.",
        "set -euo pipefail",
        `md() { curl -sf -H 'Metadata-Flavor: Google' "${METADATA}/$1"; }`,
        "PROJECT=$(md project/project-id)",
        "if ! command -v tailscale >/dev/null 2>&1; then curl -fsSL https://tailscale.com/install.sh | sh; fi",
        "if ! tailscale status >/dev/null 2>&1; then",
        "  # The VM's service account reads the key with a metadata-server token; it only has secretAccessor on this secret.",
        `  TOKEN=$(md instance/service-accounts/default/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')`,
        "  KEYFILE=$(umask 077 && mktemp)",
        "  trap 'rm -f \"$KEYFILE\"' EXIT",
        `  curl -sf -H "Authorization: Bearer $TOKEN" "https://secretmanager.googleapis.com/v1/projects/$PROJECT/secrets/${a.authKeySecretId}/versions/latest:access" \\`,
        `    | python3 -c 'import base64,json,sys; sys.stdout.write(base64.b64decode(json.load(sys.stdin)["payload"]["data"]).decode().strip())' > "$KEYFILE"`,
        `  tailscale up --auth-key="file:$KEYFILE" --hostname=${shq(a.tailnetHostname)} --ssh`,
        "fi",
        ...ensureK3sLines(a, ""),
    ].join("\n");
}
