// Rules of the `hybrid` block (schema: hybridSchema in schema.ts) that span fields: a private GCP subnet and
// an edge address inside Tailscale's range.
import type { HybridConfig } from "./schema";
import { PROJECT, Problem } from "./problems";
import { cidrContains, isPrivateCidr } from "../../components/network/cidr";

/** Tailscale assigns IPv4 addresses from the CGNAT range. */
const TAILSCALE_RANGE = "100.64.0.0/10";

export function hybridProblems(hy: HybridConfig): Problem[] {
    const problems: Problem[] = [];
    const add = (key: string, message: string, fix: string) => problems.push({ key, message, fix });
    if (!isPrivateCidr(hy.gcp.subnetCidr)) {
        add(
            "hybrid.gcp.subnetCidr",
            `must be a private (RFC 1918) range; got '${hy.gcp.subnetCidr}'`,
            `pulumi config set --path '${PROJECT}:hybrid.gcp.subnetCidr' 10.10.0.0/24`,
        );
    }
    if (!cidrContains(TAILSCALE_RANGE, `${hy.edge.tailscaleAddress}/32`)) {
        add(
            "hybrid.edge.tailscaleAddress",
            `must be a Tailscale address inside ${TAILSCALE_RANGE}; got '${hy.edge.tailscaleAddress}'`,
            "run `tailscale ip -4` on the edge host and set that address",
        );
    }
    return problems;
}
