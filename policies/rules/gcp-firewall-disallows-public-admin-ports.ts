import { ResourceValidationPolicy } from "@pulumi/policy";
import { isOpenToWorld, portSpecCovers } from "../lib/network";
import { asArray, asRecord, asString, asStrings } from "../lib/values";

export interface Config {
    readonly adminPorts: number[];
}

export const FIREWALL_TYPE = "gcp:compute/firewall:Firewall";

export const gcpFirewallDisallowsPublicAdminPorts: ResourceValidationPolicy = {
    name: "gcp-firewall-disallows-public-admin-ports",
    description:
        "No enabled ingress firewall rule opens an administrative port (SSH 22, Kubernetes API 6443) to 0.0.0.0/0 or ::/0, because those ports are scanned and brute-forced within minutes; reach them through IAP, a VPN or a bastion range.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            adminPorts: {
                type: "array",
                items: { type: "integer", minimum: 1, maximum: 65535 },
                default: [22, 6443],
                description: "Ports that must never be open to the whole internet.",
            },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== FIREWALL_TYPE) {
            args.notApplicable(`Policy only applies to resources of type '${FIREWALL_TYPE}'.`);
        }
        const direction = asString(args.props.direction) ?? "INGRESS";
        if (direction !== "INGRESS" || args.props.disabled === true) {
            return;
        }
        const openRanges = asStrings(args.props.sourceRanges).filter(isOpenToWorld);
        if (openRanges.length === 0) {
            return;
        }
        const { adminPorts } = args.getConfig<Config>();
        const exposed = new Set<number>();
        for (const value of asArray(args.props.allows)) {
            const allow = asRecord(value) ?? {};
            const protocol = (asString(allow.protocol) ?? "").toLowerCase();
            if (protocol !== "tcp" && protocol !== "all" && protocol !== "6") {
                continue;
            }
            // No ports means every port of the protocol.
            const ports = asStrings(allow.ports);
            adminPorts.filter((p) => ports.length === 0 || ports.some((spec) => portSpecCovers(spec, p))).forEach((p) => exposed.add(p));
        }
        if (exposed.size > 0) {
            report(
                `sourceRanges ${openRanges.join(", ")} reaches port ${[...exposed].sort((a, b) => a - b).join(", ")}; ` +
                    `restrict sourceRanges to the admin or IAP range (35.235.240.0/20) instead of the whole internet.`,
            );
        }
    },
};
