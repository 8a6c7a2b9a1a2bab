// A VPC for EKS built from plain aws.ec2 resources (awsx's Vpc is one opaque registration under
// mocks, so its subnets could not be asserted): public and private subnets per zone, NAT, flow logs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planVpcSubnets } from "./cidr";
import { flowLogsTrustPolicy, flowLogsWritePolicy } from "./flow-logs";
import { named, subnetTags } from "./tags";

export interface VpcArgs {
    /** IPv4 block of the VPC, e.g. "10.0.0.0/16". Subnets are carved from it by `planVpcSubnets`. */
    readonly cidrBlock: string;
    /** How many availability zones to span (at least 2). Zones are taken in the region's order. */
    readonly availabilityZones: number;
    /** "single": one NAT gateway shared by every zone (cheapest); "perAz": one per zone (no cross-zone dependency). Default "single". */
    readonly natGateways?: "single" | "perAz";
    /** Cluster whose discovery tags the subnets carry. */
    readonly clusterName: string;
    /** Ship VPC flow logs to CloudWatch Logs. Default true. */
    readonly flowLogs?: boolean;
    /** Retention of the flow log group in days. Default 30. */
    readonly flowLogRetentionDays?: number;
    /** Tags applied to every resource. Default {}. */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Subnet children are keyed by zone ordinal (az1, az2, ...): the region lists zones in a stable order. */
export function zoneKey(index: number): string {
    return `az${index + 1}`;
}

export class Vpc extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly publicSubnetIds: pulumi.Output<string>[];
    readonly privateSubnetIds: pulumi.Output<string>[];
    readonly natGatewayIds: pulumi.Output<string>[];
    /** Planned CIDRs, in zone order. */
    readonly publicCidrs: string[];
    readonly privateCidrs: string[];

    constructor(name: string, args: VpcArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:network:Vpc", name, {}, opts);
        const natStrategy = args.natGateways ?? "single";
        const flowLogs = args.flowLogs ?? true;
        const tags = args.tags ?? {};
        if (args.availabilityZones < 2)
            throw new Error(
                `Vpc ${name}: availabilityZones must be at least 2 (EKS needs subnets in two zones); got ${args.availabilityZones}`,
            );
        const plan = planVpcSubnets(args.cidrBlock, args.availabilityZones);
        this.publicCidrs = plan.public;
        this.privateCidrs = plan.private;

        const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names.apply((names) => {
            if (names.length < args.availabilityZones) {
                throw new Error(
                    `Vpc ${name}: the region has ${names.length} available zones (${names.join(", ")}); set availabilityZones to ${names.length} or fewer`,
                );
            }
            return names;
        });

        const vpc = new aws.ec2.Vpc(
            name,
            { cidrBlock: args.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: named(name, tags) },
            { parent: this },
        );
        // Strip every rule from the default security group, so nothing lands in an open group by accident.
        new aws.ec2.DefaultSecurityGroup(
            `${name}-default-sg`,
            { vpcId: vpc.id, tags: named(`${name}-default-deny`, tags) },
            { parent: this },
        );
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: named(`${name}-igw`, tags) }, { parent: this });

        const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: named(`${name}-public`, tags) }, { parent: this });
        new aws.ec2.Route(
            `${name}-public-default`,
            { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
            { parent: this },
        );

        const publicSubnets = plan.public.map((cidr, i) => {
            const key = `${name}-public-${zoneKey(i)}`;
            const subnet = new aws.ec2.Subnet(
                key,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: zones[i],
                    mapPublicIpOnLaunch: false,
                    tags: { ...named(key, tags), ...subnetTags("public", args.clusterName) },
                },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(key, { subnetId: subnet.id, routeTableId: publicRt.id }, { parent: this });
            return subnet;
        });

        const natCount = natStrategy === "perAz" ? args.availabilityZones : 1;
        const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
            const key = `${name}-nat-${zoneKey(i)}`;
            const eip = new aws.ec2.Eip(key, { domain: "vpc", tags: named(key, tags) }, { parent: this });
            return new aws.ec2.NatGateway(
                key,
                { allocationId: eip.id, subnetId: subnet.id, tags: named(key, tags) },
                { parent: this, dependsOn: [igw] },
            );
        });

        const privateSubnets = plan.private.map((cidr, i) => {
            const key = `${name}-private-${zoneKey(i)}`;
            const subnet = new aws.ec2.Subnet(
                key,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: zones[i],
                    tags: { ...named(key, tags), ...subnetTags("private", args.clusterName) },
                },
                { parent: this },
            );
            const rt = new aws.ec2.RouteTable(key, { vpcId: vpc.id, tags: named(key, tags) }, { parent: this });
            new aws.ec2.Route(
                `${key}-default`,
                { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(key, { subnetId: subnet.id, routeTableId: rt.id }, { parent: this });
            return subnet;
        });

        if (flowLogs) {
            const logGroup = new aws.cloudwatch.LogGroup(
                `${name}-flow-logs`,
                { name: `/aws/vpc/${name}/flow-logs`, retentionInDays: args.flowLogRetentionDays ?? 30, tags },
                { parent: this },
            );
            const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
            const role = new aws.iam.Role(
                `${name}-flow-logs`,
                { assumeRolePolicy: accountId.apply((id) => JSON.stringify(flowLogsTrustPolicy(id))), tags },
                { parent: this },
            );
            // The flow log waits for its write permission, so its first deliveries do not fail with an access error.
            const write = new aws.iam.RolePolicy(
                `${name}-flow-logs`,
                { role: role.id, policy: pulumi.jsonStringify(flowLogsWritePolicy(pulumi.interpolate`${logGroup.arn}:*`)) },
                { parent: this },
            );
            new aws.ec2.FlowLog(
                `${name}-flow-logs`,
                {
                    vpcId: vpc.id,
                    trafficType: "ALL",
                    logDestinationType: "cloud-watch-logs",
                    logDestination: logGroup.arn,
                    iamRoleArn: role.arn,
                    maxAggregationInterval: 60,
                    tags: named(`${name}-flow-logs`, tags),
                },
                { parent: this, dependsOn: [write] },
            );
        }

        this.vpcId = vpc.id;
        this.publicSubnetIds = publicSubnets.map((s) => s.id);
        this.privateSubnetIds = privateSubnets.map((s) => s.id);
        this.natGatewayIds = nats.map((n) => n.id);
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            natGatewayIds: this.natGatewayIds,
        });
    }
}
