import { expect } from "chai";
import { cidrContains, cidrSubnet, cidrsOverlap, isPrivateCidr, parseCidr, planVpcSubnets } from "../../components/network/cidr";
import { k3sFirewallRules } from "../../components/network/firewall";
import { flowLogsTrustPolicy } from "../../components/network/flow-logs";
import { subnetTags } from "../../components/network/tags";
import type { StackRun } from "../harness";
import { MOCK_ACCOUNT } from "../harness";
import { inputs, ofType, one, runWith } from "./helpers";

describe("network: CIDR maths", () => {
    it("cidrSubnet matches Terraform's cidrsubnet", () => {
        expect(cidrSubnet("10.0.0.0/16", 4, 0)).to.equal("10.0.0.0/20");
        expect(cidrSubnet("10.0.0.0/16", 4, 15)).to.equal("10.0.240.0/20");
        expect(cidrSubnet("10.0.0.0/16", 8, 3)).to.equal("10.0.3.0/24");
        expect(cidrSubnet("172.16.0.0/12", 4, 1)).to.equal("172.17.0.0/16");
    });

    it("refuses blocks that do not exist or are malformed, saying why", () => {
        expect(() => cidrSubnet("10.0.0.0/16", 2, 4)).to.throw("block 4 does not exist: /16 has 4 blocks of /18");
        expect(() => cidrSubnet("10.0.0.0/30", 4, 0)).to.throw("beyond /32");
        expect(() => parseCidr("10.0.0.1/16")).to.throw("has host bits set; did you mean 10.0.0.0/16?");
        expect(() => parseCidr("10.0.0.0")).to.throw("is not an IPv4 CIDR");
        expect(() => parseCidr("300.0.0.0/8")).to.throw("is not an IPv4 CIDR");
    });

    it("knows containment, overlap and private space", () => {
        expect(cidrContains("10.0.0.0/16", "10.0.128.0/21")).to.equal(true);
        expect(cidrContains("10.0.0.0/16", "10.1.0.0/21")).to.equal(false);
        expect(cidrsOverlap("10.0.0.0/16", "10.0.5.0/24")).to.equal(true);
        expect(cidrsOverlap("10.0.0.0/24", "10.0.1.0/24")).to.equal(false);
        expect(isPrivateCidr("192.168.10.0/24")).to.equal(true);
        expect(isPrivateCidr("172.32.0.0/16")).to.equal(false);
        expect(isPrivateCidr("8.8.0.0/16")).to.equal(false);
    });

    it("plans large private and small public subnets per zone, without overlap", () => {
        const plan = planVpcSubnets("10.0.0.0/16", 3);
        expect(plan.private).to.deep.equal(["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]);
        expect(plan.public).to.deep.equal(["10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"]);
        const all = [...plan.private, ...plan.public];
        for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(cidrsOverlap(a, b), `${a} vs ${b}`).to.equal(false);
        for (const c of all) expect(cidrContains("10.0.0.0/16", c)).to.equal(true);
    });

    it("keeps existing subnets when a zone is added (up to 4 zones)", () => {
        const three = planVpcSubnets("10.0.0.0/16", 3);
        const four = planVpcSubnets("10.0.0.0/16", 4);
        expect(four.private.slice(0, 3)).to.deep.equal(three.private);
        expect(four.public.slice(0, 3)).to.deep.equal(three.public);
        expect(planVpcSubnets("10.0.0.0/16", 6).private).to.have.length(6);
    });

    it("refuses a VPC too small for its zones, naming the size that works", () => {
        expect(() => planVpcSubnets("10.0.0.0/24", 3)).to.throw(
            "VPC 10.0.0.0/24 is too small for 3 zones: public subnets would be /29 (AWS allows /28 at most); use a /23 or larger",
        );
        expect(planVpcSubnets("10.0.0.0/23", 3).public).to.deep.equal(["10.0.1.0/28", "10.0.1.16/28", "10.0.1.32/28"]);
        expect(planVpcSubnets("10.0.0.0/22", 2).public).to.deep.equal(["10.0.2.0/27", "10.0.2.32/27"]);
    });
});

describe("network: tags and firewall rules", () => {
    it("tags public subnets for internet-facing and private subnets for internal load balancers and Karpenter", () => {
        expect(subnetTags("public", "aiops")).to.deep.equal({
            "kubernetes.io/cluster/aiops": "shared",
            "aiops.dev/tier": "public",
            "kubernetes.io/role/elb": "1",
        });
        expect(subnetTags("private", "aiops")).to.deep.equal({
            "kubernetes.io/cluster/aiops": "shared",
            "aiops.dev/tier": "private",
            "kubernetes.io/role/internal-elb": "1",
            "karpenter.sh/discovery": "aiops",
        });
    });

    it("opens only the ports config lists sources for, and never to the whole internet", () => {
        expect(k3sFirewallRules({ sshSourceRanges: [], apiSourceRanges: [] })).to.deep.equal([]);
        const rules = k3sFirewallRules({ sshSourceRanges: ["35.235.240.0/20"], apiSourceRanges: ["203.0.113.0/24"] });
        expect(rules.map((r) => [r.key, r.ports, r.sourceRanges])).to.deep.equal([
            ["ssh", ["22"], ["35.235.240.0/20"]],
            ["api", ["6443"], ["203.0.113.0/24"]],
        ]);
        expect(() => k3sFirewallRules({ sshSourceRanges: ["0.0.0.0/0"], apiSourceRanges: [] })).to.throw(
            "opens the port to the whole internet",
        );
    });
});

describe("network: the aws stack's VPC", () => {
    let run: StackRun;
    before(async () => {
        run = await runWith("aws");
    });

    it("is one aiops:network:Vpc with every child parented to it", () => {
        const vpc = one(run, "aiops:network:Vpc", "aiops-vpc");
        expect(vpc.parent).to.equal(null);
        // Node launch templates are aws:ec2 too, but belong to the cluster's node groups (EksCluster).
        const children = run.registrations.filter(
            (r) =>
                (r.type.startsWith("aws:ec2/") && r.type !== "aws:ec2/launchTemplate:LaunchTemplate") ||
                r.type.startsWith("aws:cloudwatch/") ||
                r.name.startsWith("aiops-vpc-flow"),
        );
        for (const c of children) expect(c.parent, `${c.type}::${c.name}`).to.equal("aiops:network:Vpc::aiops-vpc");
        expect(inputs(one(run, "aws:ec2/vpc:Vpc", "aiops-vpc"))).to.include({
            cidrBlock: "10.0.0.0/16",
            enableDnsHostnames: true,
            enableDnsSupport: true,
        });
    });

    it("has one public and one private subnet per zone, with planned CIDRs, zones and discovery tags", () => {
        const subnets: Record<string, any>[] = ofType(run, "aws:ec2/subnet:Subnet").map((r) => ({ name: r.name, ...inputs(r) }));
        expect(subnets.map((s) => [s.name, s.cidrBlock, s.availabilityZone])).to.have.deep.members([
            ["aiops-vpc-public-az1", "10.0.128.0/21", "eu-west-1a"],
            ["aiops-vpc-public-az2", "10.0.136.0/21", "eu-west-1b"],
            ["aiops-vpc-public-az3", "10.0.144.0/21", "eu-west-1c"],
            ["aiops-vpc-private-az1", "10.0.0.0/19", "eu-west-1a"],
            ["aiops-vpc-private-az2", "10.0.32.0/19", "eu-west-1b"],
            ["aiops-vpc-private-az3", "10.0.64.0/19", "eu-west-1c"],
        ]);
        for (const s of subnets.filter((x) => x.name.includes("public"))) {
            expect(s.tags).to.include({ "kubernetes.io/role/elb": "1", "kubernetes.io/cluster/aiops": "shared" });
            expect(s.tags).to.not.have.property("kubernetes.io/role/internal-elb");
            expect(s.mapPublicIpOnLaunch).to.equal(false);
        }
        for (const s of subnets.filter((x) => x.name.includes("private"))) {
            expect(s.tags).to.include({
                "kubernetes.io/role/internal-elb": "1",
                "karpenter.sh/discovery": "aiops",
                project: "aiops-mlops-platform",
            });
        }
        for (const r of ofType(run, "aws:ec2/subnet:Subnet")) expect(r.dependsOn).to.include("aws:ec2/vpc:Vpc::aiops-vpc");
    });

    it("shares one NAT gateway by default: every private route goes through it", () => {
        expect(ofType(run, "aws:ec2/natGateway:NatGateway").map((r) => r.name)).to.deep.equal(["aiops-vpc-nat-az1"]);
        expect(ofType(run, "aws:ec2/eip:Eip")).to.have.length(1);
        const privateRoutes = ofType(run, "aws:ec2/route:Route").filter((r) => r.name.includes("private"));
        expect(privateRoutes).to.have.length(3);
        for (const r of privateRoutes) {
            expect(inputs(r).destinationCidrBlock).to.equal("0.0.0.0/0");
            expect(r.dependsOn).to.include("aws:ec2/natGateway:NatGateway::aiops-vpc-nat-az1");
        }
        expect(one(run, "aws:ec2/route:Route", "aiops-vpc-public-default").dependsOn).to.include(
            "aws:ec2/internetGateway:InternetGateway::aiops-vpc-igw",
        );
    });

    it("ships flow logs to a log group with the configured retention, and locks the default security group", () => {
        expect(inputs(one(run, "aws:cloudwatch/logGroup:LogGroup", "aiops-vpc-flow-logs"))).to.include({
            name: "/aws/vpc/aiops-vpc/flow-logs",
            retentionInDays: 30,
        });
        expect(inputs(one(run, "aws:ec2/flowLog:FlowLog", "aiops-vpc-flow-logs"))).to.include({
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
        });
        expect(one(run, "aws:ec2/flowLog:FlowLog", "aiops-vpc-flow-logs").dependsOn, "waits for its write permission").to.include(
            "aws:iam/rolePolicy:RolePolicy::aiops-vpc-flow-logs",
        );
        const dsg = inputs(one(run, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aiops-vpc-default-sg"));
        expect(dsg.ingress ?? []).to.deep.equal([]);
        expect(dsg.egress ?? []).to.deep.equal([]);
    });

    it("lets only this account's flow logs assume the flow-log role (no confused deputy)", () => {
        const trust = JSON.parse(inputs(one(run, "aws:iam/role:Role", "aiops-vpc-flow-logs")).assumeRolePolicy);
        expect(trust).to.deep.equal(flowLogsTrustPolicy(MOCK_ACCOUNT));
        expect(trust.Statement).to.have.length(1);
        expect(trust.Statement[0].Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
        expect(trust.Statement[0].Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:*:ec2:*:123456789012:vpc-flow-log/*" },
        });
        const write = JSON.parse(inputs(one(run, "aws:iam/rolePolicy:RolePolicy", "aiops-vpc-flow-logs")).policy);
        expect(write.Statement[0].Resource).to.match(/^arn:aws:logs:.*:\*$/);
    });

    it("gives each zone its own NAT gateway and route with natGateways: perAz, and no flow logs when off", async () => {
        const perAz = await runWith("aws", { "aws.natGateways": "perAz", "aws.flowLogs": false });
        expect(ofType(perAz, "aws:ec2/natGateway:NatGateway").map((r) => r.name)).to.deep.equal([
            "aiops-vpc-nat-az1",
            "aiops-vpc-nat-az2",
            "aiops-vpc-nat-az3",
        ]);
        expect(ofType(perAz, "aws:ec2/eip:Eip")).to.have.length(3);
        for (const zone of ["az1", "az2", "az3"]) {
            expect(one(perAz, "aws:ec2/route:Route", `aiops-vpc-private-${zone}-default`).dependsOn).to.include(
                `aws:ec2/natGateway:NatGateway::aiops-vpc-nat-${zone}`,
            );
        }
        expect(ofType(perAz, "aws:ec2/flowLog:FlowLog")).to.have.length(0);
    });

    it("spans two zones when configured so", async () => {
        const two = await runWith("aws", { "aws.availabilityZones": 2 });
        expect(
            ofType(two, "aws:ec2/subnet:Subnet")
                .map((r) => r.name)
                .sort(),
        ).to.deep.equal(["aiops-vpc-private-az1", "aiops-vpc-private-az2", "aiops-vpc-public-az1", "aiops-vpc-public-az2"]);
    });
});
