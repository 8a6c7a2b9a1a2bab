// Which inbound firewall rules a k3s VM gets: only what config allows, never the whole internet.
import { isOpenToWorld } from "./net";

export interface FirewallRule {
    /** Stable key, used in the resource name. */
    readonly key: string;
    readonly description: string;
    readonly ports: string[];
    readonly sourceRanges: string[];
}

/**
 * SSH and the Kubernetes API each get a rule only when config lists source ranges for them. Tailscale
 * needs no inbound rule: it connects outbound and traverses NAT (DERP relays as a fallback).
 */
export function k3sFirewallRules(a: { sshSourceRanges: readonly string[]; apiSourceRanges: readonly string[] }): FirewallRule[] {
    for (const r of [...a.sshSourceRanges, ...a.apiSourceRanges]) {
        if (isOpenToWorld(r))
            throw new Error(
                `firewall source range ${r} opens the port to the whole internet; use your own range (IAP for SSH: 35.235.240.0/20) or [] for none`,
            );
    }
    const rules: FirewallRule[] = [];
    if (a.sshSourceRanges.length > 0)
        rules.push({
            key: "ssh",
            description: "SSH from the configured ranges (e.g. Identity-Aware Proxy)",
            ports: ["22"],
            sourceRanges: [...a.sshSourceRanges],
        });
    if (a.apiSourceRanges.length > 0)
        rules.push({
            key: "api",
            description: "Kubernetes API from the configured ranges",
            ports: ["6443"],
            sourceRanges: [...a.apiSourceRanges],
        });
    return rules;
}
