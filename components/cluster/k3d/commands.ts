// k3d commands for the edge cluster: pure, deterministic text.
import { shq } from "../k3s/scripts";

export interface K3dClusterSpec {
    /** k3d cluster name (k3d prefixes contexts with "k3d-"). */
    readonly name: string;
    /** Required k3d release, e.g. "v5.9.0"; a different binary fails the create. */
    readonly k3dVersion: string;
    /** Pinned node image, e.g. "rancher/k3s:v1.35.2-k3s1". */
    readonly k3sImage: string;
    /** The edge host's Tailscale address: a TLS SAN and the address Argo CD dials. Unset on the local stack. */
    readonly tailscaleAddress?: string;
    /** Address the API binds to on the host (default 0.0.0.0; the local stack binds 127.0.0.1 only). */
    readonly apiBindAddress?: string;
    /** "exact" (default): the edge host runs the pinned k3d; "minimum": any k3d at or above k3dVersion (a laptop's). */
    readonly k3dVersionMatch?: "exact" | "minimum";
    /** Keep k3s's bundled Traefik (default false); the local stack routes its UIs through it. */
    readonly traefik?: boolean;
    /** Host ports k3d's load balancer forwards to a port of every node, e.g. 8080 -> 80 for Traefik. Default none. */
    readonly loadBalancerPorts?: readonly { readonly host: number; readonly node: number }[];
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
        `${s.apiBindAddress ?? "0.0.0.0"}:${s.apiPort}`,
        ...(s.tailscaleAddress !== undefined ? ["--k3s-arg", `--tls-san=${s.tailscaleAddress}@server:0`] : []),
        ...(s.traefik ? [] : ["--k3s-arg", "--disable=traefik@server:0"]),
        ...(s.tailscaleAddress !== undefined
            ? (s.tailnetNodePorts ?? []).flatMap((p) => ["--port", `${s.tailscaleAddress}:${p}:${p}@server:0`])
            : []),
        // Loopback only: the UIs of a laptop cluster are not for the rest of the network.
        ...(s.loadBalancerPorts ?? []).flatMap((p) => ["--port", `127.0.0.1:${p.host}:${p.node}@loadbalancer`]),
        "--wait",
        "--timeout",
        "300s",
        "--kubeconfig-update-default=false",
        "--kubeconfig-switch-context=false",
    ];
}

export function k3dCreateCommand(s: K3dClusterSpec): string {
    const check =
        s.k3dVersionMatch === "minimum"
            ? // sort -V puts the older of the two first: the minimum must come first (or be equal).
              `[ -n "$have" ] && [ "$(printf '%s\\n%s\\n' ${shq(s.k3dVersion.replace(/^v/, ""))} "\${have#v}" | sort -V | head -n1)" = ${shq(s.k3dVersion.replace(/^v/, ""))} ] || { echo "k3d ${s.k3dVersion} or newer is required; found \${have:-none} (https://k3d.io/stable/#installation)" >&2; exit 1; }`
            : `[ "$have" = ${shq(s.k3dVersion)} ] || { echo "k3d ${s.k3dVersion} is required on the edge host; found \${have:-none} (https://k3d.io/${s.k3dVersion}/#installation)" >&2; exit 1; }`;
    return [
        "set -eu",
        `have=$(k3d version 2>/dev/null | sed -n 's/^k3d version //p')`,
        check,
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
export function k3dServerUrl(s: Pick<K3dClusterSpec, "tailscaleAddress" | "apiPort" | "apiBindAddress">): string {
    const host = s.tailscaleAddress ?? (s.apiBindAddress === undefined || s.apiBindAddress === "0.0.0.0" ? "127.0.0.1" : s.apiBindAddress);
    return `https://${host}:${s.apiPort}`;
}
