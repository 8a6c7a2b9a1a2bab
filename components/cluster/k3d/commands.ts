// k3d commands for the edge cluster: pure, deterministic text.
import { shq } from "../k3s/scripts";

export interface K3dClusterSpec {
    /** k3d cluster name (k3d prefixes contexts with "k3d-"). */
    readonly name: string;
    /** Required k3d release, e.g. "v5.9.0"; a different binary fails the create. */
    readonly k3dVersion: string;
    /** Pinned node image, e.g. "rancher/k3s:v1.35.2-k3s1". */
    readonly k3sImage: string;
    /** The edge host's Tailscale address: a TLS SAN and the address Argo CD dials. */
    readonly tailscaleAddress: string;
    /** Host port of the Kubernetes API, e.g. 6550. */
    readonly apiPort: number;
    /** Agent containers next to the one server. */
    readonly agents: number;
    /**
     * NodePorts the edge host publishes on its tailnet address only (k3d maps them from the server node),
     * so the control cluster reaches chosen edge Services over Tailscale. Default none.
     */
    readonly tailnetNodePorts?: readonly number[];
}

export function k3dCreateArgs(s: K3dClusterSpec): string[] {
    return [
        "cluster",
        "create",
        s.name,
        "--servers",
        "1",
        "--agents",
        String(s.agents),
        "--image",
        s.k3sImage,
        // Bind on every interface so the API is reachable on the tailnet address.
        "--api-port",
        `0.0.0.0:${s.apiPort}`,
        "--k3s-arg",
        `--tls-san=${s.tailscaleAddress}@server:0`,
        "--k3s-arg",
        "--disable=traefik@server:0",
        ...(s.tailnetNodePorts ?? []).flatMap((p) => ["--port", `${s.tailscaleAddress}:${p}:${p}@server:0`]),
        "--wait",
        "--timeout",
        "300s",
        "--kubeconfig-update-default=false",
        "--kubeconfig-switch-context=false",
    ];
}

export function k3dCreateCommand(s: K3dClusterSpec): string {
    return [
        "set -eu",
        `have=$(k3d version 2>/dev/null | sed -n 's/^k3d version //p')`,
        `[ "$have" = ${shq(s.k3dVersion)} ] || { echo "k3d ${s.k3dVersion} is required on the edge host; found \${have:-none} (https://k3d.io/${s.k3dVersion}/#installation)" >&2; exit 1; }`,
        `k3d ${k3dCreateArgs(s).map(shq).join(" ")}`,
    ].join("\n");
}

export function k3dDeleteCommand(name: string): string {
    return `k3d cluster delete ${shq(name)}`;
}

export function k3dKubeconfigCommand(name: string): string {
    return `k3d kubeconfig get ${shq(name)}`;
}

/** The address Argo CD and Pulumi use for the edge API (k3d writes 0.0.0.0 or host.docker.internal). */
export function k3dServerUrl(s: Pick<K3dClusterSpec, "tailscaleAddress" | "apiPort">): string {
    return `https://${s.tailscaleAddress}:${s.apiPort}`;
}
