// A dedicated VPC network for the hybrid control plane: one subnet, Cloud NAT for outbound traffic
// (the VM has no external IP), and inbound firewall rules only for what config allows.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { k3sFirewallRules } from "./firewall";

export interface GcpNetworkArgs {
    readonly project: string;
    readonly region: string;
    /** The subnet's primary range, e.g. "10.10.0.0/24". */
    readonly subnetCidr: string;
    /** Sources allowed to SSH to tagged instances; [] (default) opens nothing. */
    readonly sshSourceRanges?: readonly string[];
    /** Sources allowed to the Kubernetes API (6443) outside the tailnet; [] (default) opens nothing. */
    readonly apiSourceRanges?: readonly string[];
    /** Network tag the rules target. Default "k3s-server". */
    readonly targetTag?: string;
}

export class GcpNetwork extends pulumi.ComponentResource {
    readonly networkId: pulumi.Output<string>;
    readonly subnetId: pulumi.Output<string>;
    readonly targetTag: string;
    /** Cloud NAT: instances need it to reach the internet before Tailscale is up. */
    readonly nat: gcp.compute.RouterNat;

    constructor(name: string, args: GcpNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:network:GcpNetwork", name, {}, opts);
        this.targetTag = args.targetTag ?? "k3s-server";
        const network = new gcp.compute.Network(
            name,
            { project: args.project, autoCreateSubnetworks: false, description: "aiops hybrid control plane" },
            { parent: this },
        );
        const subnet = new gcp.compute.Subnetwork(
            name,
            {
                project: args.project,
                region: args.region,
                network: network.id,
                ipCidrRange: args.subnetCidr,
                privateIpGoogleAccess: true,
                logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
            },
            { parent: this },
        );
        const router = new gcp.compute.Router(
            `${name}-router`,
            { project: args.project, region: args.region, network: network.id },
            { parent: this },
        );
        this.nat = new gcp.compute.RouterNat(
            `${name}-nat`,
            {
                project: args.project,
                region: args.region,
                router: router.name,
                natIpAllocateOption: "AUTO_ONLY",
                sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
                logConfig: { enable: true, filter: "ERRORS_ONLY" },
            },
            { parent: this },
        );
        for (const rule of k3sFirewallRules({ sshSourceRanges: args.sshSourceRanges ?? [], apiSourceRanges: args.apiSourceRanges ?? [] })) {
            new gcp.compute.Firewall(
                `${name}-allow-${rule.key}`,
                {
                    project: args.project,
                    network: network.id,
                    description: rule.description,
                    direction: "INGRESS",
                    allows: [{ protocol: "tcp", ports: rule.ports }],
                    sourceRanges: rule.sourceRanges,
                    targetTags: [this.targetTag],
                    logConfig: { metadata: "INCLUDE_ALL_METADATA" },
                },
                { parent: this },
            );
        }
        this.networkId = network.id;
        this.subnetId = subnet.id;
        this.registerOutputs({ networkId: this.networkId, subnetId: this.subnetId });
    }
}
