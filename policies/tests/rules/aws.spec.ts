import { expect } from "chai";
import { checkResource, checkStack, runResourcePolicy, runStackPolicy } from "../../offline/evaluate";
import { ec2NodeRequiresImdsv2 } from "../../rules/ec2-node-requires-imdsv2";
import { eksClusterDisallowsPublicEndpoint } from "../../rules/eks-cluster-disallows-public-endpoint";
import { eksClusterRequiresControlPlaneLogging } from "../../rules/eks-cluster-requires-control-plane-logging";
import { eksClusterRequiresPrivateEndpoint } from "../../rules/eks-cluster-requires-private-endpoint";
import { eksClusterRequiresPrivateNodes } from "../../rules/eks-cluster-requires-private-nodes";
import { eksClusterRequiresSecretsEncryption } from "../../rules/eks-cluster-requires-secrets-encryption";
import { eksNodegroupRequiresPrivateSubnets } from "../../rules/eks-nodegroup-requires-private-subnets";
import { s3BucketRequiresEncryption } from "../../rules/s3-bucket-requires-encryption";
import { s3BucketRequiresPublicAccessBlock } from "../../rules/s3-bucket-requires-public-access-block";
import { compliantAwsEksCluster, compliantEksComponent, Loose, mutate, Props } from "../support/fixtures";
import { Entry, stackOf, urnOf } from "../support/graph";

const COMPONENT = "eks:index:Cluster";

/** Makes a prop behave like @pulumi/policy's unknown values during preview: reading it throws. */
function unknownProp(resources: ReturnType<typeof stackOf>, name: string, prop: string): void {
    const resource = resources.find((r) => r.name === name)!;
    Object.defineProperty(resource.props, prop, {
        get: () => {
            throw new Error(`${name}.${prop} is unknown during preview`);
        },
    });
}
const CLUSTER = "aws:eks/cluster:Cluster";

/** Each EKS rule is written once for both shapes; these tables give the same change in each shape. */
const shapes: { type: string; props: () => Props; set: (o: Loose, field: string, value: unknown) => void }[] = [
    { type: COMPONENT, props: compliantEksComponent, set: (o, f, v) => (v === undefined ? delete o[f] : (o[f] = v)) },
    {
        type: CLUSTER,
        props: compliantAwsEksCluster,
        set: (o, f, v) => {
            const vpcFields = ["endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs"];
            const target = vpcFields.includes(f) ? o.vpcConfig : o;
            if (f === "encryptionConfigKeyArn") {
                return v === undefined ? delete o.encryptionConfig : (o.encryptionConfig.provider.keyArn = v);
            }
            return v === undefined ? delete target[f] : (target[f] = v);
        },
    },
];

describe("EKS cluster policies (component and aws:eks/cluster)", () => {
    for (const shape of shapes) {
        const run = (policy: Parameters<typeof runResourcePolicy>[0], change?: (o: Loose) => void, config?: Props) =>
            runResourcePolicy(
                policy,
                { type: shape.type, name: "eks", props: change ? mutate(shape.props(), change) : shape.props() },
                config,
            );
        const path = (f: string) =>
            shape.type === CLUSTER && f.startsWith("endpoint")
                ? `vpcConfig.${f}`
                : shape.type === CLUSTER && f === "publicAccessCidrs"
                  ? "vpcConfig.publicAccessCidrs"
                  : f;

        describe(shape.type, () => {
            it("passes the compliant fixture under every EKS rule", async () => {
                for (const policy of [
                    eksClusterDisallowsPublicEndpoint,
                    eksClusterRequiresPrivateEndpoint,
                    eksClusterRequiresSecretsEncryption,
                    eksClusterRequiresControlPlaneLogging,
                ]) {
                    expect(await run(policy), policy.name).to.deep.equal([]);
                }
            });

            it("flags a public endpoint with no CIDR list (AWS opens it to 0.0.0.0/0)", async () => {
                const violations = await run(eksClusterDisallowsPublicEndpoint, (o) => {
                    shape.set(o, "endpointPublicAccess", true);
                    shape.set(o, "publicAccessCidrs", undefined);
                });
                expect(violations).to.have.length(1);
                expect(violations[0]).to.include(
                    `${path("publicAccessCidrs")} is not set, so it is open to 0.0.0.0/0; set ${path("endpointPublicAccess")}: false`,
                );
            });

            it("flags a public endpoint defaulted on (endpointPublicAccess unset)", async () => {
                expect(
                    await run(eksClusterDisallowsPublicEndpoint, (o) => {
                        shape.set(o, "endpointPublicAccess", undefined);
                        shape.set(o, "publicAccessCidrs", undefined);
                    }),
                ).to.have.length(1);
            });

            it("flags 0.0.0.0/0 and ::/0 in the CIDR list", async () => {
                const violations = await run(eksClusterDisallowsPublicEndpoint, (o) => {
                    shape.set(o, "endpointPublicAccess", true);
                    shape.set(o, "publicAccessCidrs", ["10.0.0.0/8", "0.0.0.0/0", "::/0"]);
                });
                expect(violations).to.deep.equal([
                    `${path("publicAccessCidrs")} contains 0.0.0.0/0, ::/0; replace it with the admin CIDRs, or set ${path("endpointPublicAccess")}: false.`,
                ]);
            });

            it("accepts a public endpoint restricted to admin CIDRs", async () => {
                expect(
                    await run(eksClusterDisallowsPublicEndpoint, (o) => {
                        shape.set(o, "endpointPublicAccess", true);
                        shape.set(o, "publicAccessCidrs", ["203.0.113.0/24"]);
                    }),
                ).to.deep.equal([]);
            });

            it("flags the private endpoint off or unset", async () => {
                expect(await run(eksClusterRequiresPrivateEndpoint, (o) => shape.set(o, "endpointPrivateAccess", false))).to.deep.equal([
                    `the private API endpoint is off (AWS's default); set ${path("endpointPrivateAccess")}: true.`,
                ]);
                expect(
                    await run(eksClusterRequiresPrivateEndpoint, (o) => shape.set(o, "endpointPrivateAccess", undefined)),
                ).to.have.length(1);
            });

            it("flags secrets without a KMS key", async () => {
                const violations = await run(eksClusterRequiresSecretsEncryption, (o) => shape.set(o, "encryptionConfigKeyArn", undefined));
                expect(violations).to.have.length(1);
                expect(violations[0]).to.match(/^Secrets are not encrypted with a customer-managed KMS key; set encryptionConfig/);
            });

            it("flags missing control-plane log types, and honours requiredLogTypes", async () => {
                expect(
                    await run(eksClusterRequiresControlPlaneLogging, (o) => shape.set(o, "enabledClusterLogTypes", ["api"])),
                ).to.deep.equal(["control-plane logging lacks audit, authenticator; add them to enabledClusterLogTypes."]);
                expect(
                    await run(eksClusterRequiresControlPlaneLogging, (o) => shape.set(o, "enabledClusterLogTypes", undefined)),
                ).to.have.length(1);
                expect(
                    await run(eksClusterRequiresControlPlaneLogging, (o) => shape.set(o, "enabledClusterLogTypes", ["api"]), {
                        requiredLogTypes: ["api"],
                    }),
                ).to.deep.equal([]);
            });
        });
    }

    it("checks an aws:eks/cluster's encryptionConfig covers secrets", async () => {
        const props = mutate(compliantAwsEksCluster(), (o) => (o.encryptionConfig.resources = []));
        expect(await runResourcePolicy(eksClusterRequiresSecretsEncryption, { type: CLUSTER, name: "eks", props })).to.have.length(1);
    });
});

describe("eks-cluster-requires-private-nodes", () => {
    const run = (props: Props) => runResourcePolicy(eksClusterRequiresPrivateNodes, { type: COMPONENT, name: "eks", props });

    it("passes private subnets without public node IPs", async () => {
        expect(await run(compliantEksComponent())).to.deep.equal([]);
    });

    it("flags a cluster without privateSubnetIds", async () => {
        expect(await run(mutate(compliantEksComponent(), (o) => delete o.privateSubnetIds))).to.deep.equal([
            "privateSubnetIds is not set, so nodes may land in public subnets; pass the VPC's private subnets as privateSubnetIds.",
        ]);
    });

    it("accepts privateSubnetIds whose ids are not known yet (null in a rendered graph)", async () => {
        expect(await run(mutate(compliantEksComponent(), (o) => (o.privateSubnetIds = [null, null])))).to.deep.equal([]);
    });

    it("flags a default node group with nodeAssociatePublicIpAddress left at its default", async () => {
        const violations = await run(mutate(compliantEksComponent(), (o) => delete o.skipDefaultNodeGroup));
        expect(violations).to.have.length(1);
        expect(violations[0]).to.include("set skipDefaultNodeGroup: true").and.include("nodeAssociatePublicIpAddress: false");
        const privateDefault = mutate(compliantEksComponent(), (o) => {
            delete o.skipDefaultNodeGroup;
            o.nodeAssociatePublicIpAddress = false;
        });
        expect(await run(privateDefault)).to.deep.equal([]);
    });

    it("does not ask for nodeAssociatePublicIpAddress without a default node group (it would do nothing)", async () => {
        expect(await run(compliantEksComponent())).to.deep.equal([]);
        expect(compliantEksComponent()).to.not.have.property("nodeAssociatePublicIpAddress");
    });

    it("does not apply to aws:eks/cluster, which has no node settings", async () => {
        const outcome = await checkResource(eksClusterRequiresPrivateNodes, { type: CLUSTER, name: "eks", props: {} });
        expect(outcome.notApplicable).to.equal("Policy only applies to resources of type 'eks:index:Cluster'.");
    });
});

describe("eks-nodegroup-requires-private-subnets", () => {
    const policy = eksNodegroupRequiresPrivateSubnets;
    const base = (groupInputs: Props, extra: Entry[] = []): Entry[] => [
        { type: COMPONENT, name: "eks", inputs: compliantEksComponent() },
        { type: "eks:index:ManagedNodeGroup", name: "workers", inputs: groupInputs },
        ...extra,
    ];

    it("passes a node group in the cluster's private subnets", async () => {
        expect(await runStackPolicy(policy, stackOf(base({ subnetIds: ["subnet-priv-a"] })))).to.deep.equal([]);
    });

    it("flags a node group without subnetIds", async () => {
        const stack = stackOf(base({}));
        const violations = await runStackPolicy(policy, stack);
        expect(violations).to.have.length(1);
        expect(violations[0].urn).to.equal(urnOf(stack, "workers"));
        expect(violations[0].message).to.match(/^subnetIds is not set, so the group may land in public subnets/);
    });

    it("flags a node group in a subnet the cluster lists as public", async () => {
        const violations = await runStackPolicy(policy, stackOf(base({ subnetIds: ["subnet-priv-a", "subnet-pub-a"] })));
        expect(violations.map((v) => v.message)).to.deep.equal([
            "subnetIds includes public subnet subnet-pub-a; use the VPC's private subnets (the cluster's privateSubnetIds).",
        ]);
    });

    it("flags a subnet that no cluster declares as private", async () => {
        const violations = await runStackPolicy(policy, stackOf(base({ subnetIds: ["subnet-other"] })));
        expect(violations.map((v) => v.message)).to.deep.equal([
            "subnetIds includes subnet-other, which no cluster declares as private; use the VPC's private subnets (the cluster's privateSubnetIds).",
        ]);
    });

    it("flags an aws:eks/nodeGroup depending on a subnet that maps public IPs", async () => {
        const stack = stackOf([
            {
                type: "aws:ec2/subnet:Subnet",
                name: "public-a",
                id: "subnet-0aaa",
                inputs: { mapPublicIpOnLaunch: true, cidrBlock: "10.0.0.0/24" },
            },
            { type: "aws:eks/nodeGroup:NodeGroup", name: "raw", inputs: { subnetIds: ["subnet-0aaa"] } },
        ]);
        expect((await runStackPolicy(policy, stack)).map((v) => v.message)).to.deep.equal([
            "subnetIds includes public subnet public-a; use the VPC's private subnets (the cluster's privateSubnetIds).",
        ]);
    });

    it("flags a node group depending on a subnet tagged for internet-facing load balancers", async () => {
        const stack = stackOf([
            {
                type: "aws:ec2/subnet:Subnet",
                name: "public-b",
                inputs: { mapPublicIpOnLaunch: false, tags: { "kubernetes.io/role/elb": "1" } },
            },
            { type: "aws:ec2/subnet:Subnet", name: "private-b", inputs: { tags: { "kubernetes.io/role/internal-elb": "1" } } },
            {
                type: "eks:index:ManagedNodeGroup",
                name: "workers",
                inputs: { subnetIds: [null, null] },
                propertyDependencies: { subnetIds: ["aws:ec2/subnet:Subnet::private-b", "aws:ec2/subnet:Subnet::public-b"] },
            },
        ]);
        expect((await runStackPolicy(policy, stack)).map((v) => v.message)).to.deep.equal([
            "subnetIds includes public subnet public-b; use the VPC's private subnets (the cluster's privateSubnetIds).",
        ]);
    });

    it("accepts subnet ids not known yet when they depend on private subnets only", async () => {
        const stack = stackOf([
            ...base({ subnetIds: [null, null] }),
            { type: "aws:ec2/subnet:Subnet", name: "private-b", inputs: { tags: { "kubernetes.io/role/internal-elb": "1" } } },
        ]);
        expect(await runStackPolicy(policy, stack)).to.deep.equal([]);
    });

    it("judges computed ids by their subnets without reading them (unknown during a real preview)", async () => {
        const stack = stackOf([
            { type: "aws:ec2/subnet:Subnet", name: "private-b", inputs: {} },
            {
                type: "eks:index:ManagedNodeGroup",
                name: "workers",
                inputs: {},
                propertyDependencies: { subnetIds: ["aws:ec2/subnet:Subnet::private-b"] },
            },
        ]);
        unknownProp(stack, "workers", "subnetIds");
        expect(await runStackPolicy(policy, stack)).to.deep.equal([]);
    });

    it("is not applicable without node groups", async () => {
        expect(await checkStack(policy, stackOf([{ type: COMPONENT, name: "eks", inputs: {} }]))).to.deep.equal({
            violations: [],
            notApplicable: "The stack has no EKS node groups.",
        });
    });
});

describe("ec2-node-requires-imdsv2", () => {
    const policy = ec2NodeRequiresImdsv2;
    const run = (type: string, props: Props) => runResourcePolicy(policy, { type, name: "n", props });

    for (const type of ["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"]) {
        it(`checks metadataOptions.httpTokens and the hop limit on ${type}`, async () => {
            expect(await run(type, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } })).to.deep.equal([]);
            expect(await run(type, { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } })).to.deep.equal([
                `metadataOptions.httpTokens is 'optional'; set metadataOptions.httpTokens: "required".`,
            ]);
            // What @pulumi/eks 4.3's enableIMDSv2 template sets: tokens required, but two hops.
            expect(await run(type, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })).to.deep.equal([
                "metadataOptions.httpPutResponseHopLimit is 2; set it to 1, so pods (one hop behind the node) cannot fetch an IMDSv2 token.",
            ]);
            expect(await run(type, { metadataOptions: { httpTokens: "required" } })).to.have.length(1);
            expect(await run(type, {})).to.have.length(2);
        });
    }

    it("requires a launch template on an eks ManagedNodeGroup: enableIMDSv2 alone means hop limit 2", async () => {
        const type = "eks:index:ManagedNodeGroup";
        expect(await run(type, { launchTemplate: { id: "lt-1", version: "1" } })).to.deep.equal([]);
        const [hop2] = await run(type, { enableIMDSv2: true });
        expect(hop2).to.match(/^enableIMDSv2 sets httpPutResponseHopLimit 2 .*pass a launchTemplate/);
        const [message] = await run(type, {});
        expect(message).to.match(/^enableIMDSv2 is not true .*; pass a launchTemplate/);
    });

    it("checks Karpenter's EC2NodeClass: explicit tokens other than required or a hop limit other than 1 fail", async () => {
        const type = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
        expect(await run(type, { spec: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } } })).to.deep.equal([]);
        expect(await run(type, { spec: {} })).to.deep.equal([]);
        expect(await run(type, { spec: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } } })).to.deep.equal([
            "spec.metadataOptions.httpPutResponseHopLimit is 2; set it to 1 (or leave it unset), so pods cannot fetch an IMDSv2 token.",
        ]);
        expect(await run(type, { spec: { metadataOptions: { httpTokens: "optional" } } })).to.have.length(1);
    });

    it("flags an aws:eks/nodeGroup on EKS's default launch template", async () => {
        expect(await run("aws:eks/nodeGroup:NodeGroup", { launchTemplate: { id: "lt-1", version: "1" } })).to.deep.equal([]);
        expect(await run("aws:eks/nodeGroup:NodeGroup", {})).to.have.length(1);
    });
});

describe("S3 bucket stack policies", () => {
    const bucketStack = (extra: Entry[], bucket: Partial<Entry> = {}): Entry[] => [
        { type: "aws:s3/bucket:Bucket", name: "artifacts", inputs: { forceDestroy: false }, ...bucket },
        ...extra,
    ];
    const pab = (bucketRef: string, inputs: Props = {}): Entry => ({
        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        name: "artifacts-pab",
        inputs: {
            bucket: bucketRef,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
            ...inputs,
        },
    });
    const sse = (bucketRef: string, rules: unknown[] = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }]): Entry => ({
        type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name: "artifacts-sse",
        inputs: { bucket: bucketRef, rules },
    });

    describe("s3-bucket-requires-public-access-block", () => {
        const policy = s3BucketRequiresPublicAccessBlock;

        it("links a block by the bucket's recorded id, by a mock-style id, and by physical name", async () => {
            expect(await runStackPolicy(policy, stackOf(bucketStack([pab("bkt-123")], { id: "bkt-123" })))).to.deep.equal([]);
            expect(await runStackPolicy(policy, stackOf(bucketStack([pab("artifacts_id")])))).to.deep.equal([]);
            expect(
                await runStackPolicy(policy, stackOf(bucketStack([pab("aiops-artifacts")], { inputs: { bucket: "aiops-artifacts" } }))),
            ).to.deep.equal([]);
        });

        it("links a block by recorded propertyDependencies when the id is unknown", async () => {
            const block = { ...pab(""), propertyDependencies: { bucket: ["aws:s3/bucket:Bucket::artifacts"] } };
            expect(await runStackPolicy(policy, stackOf(bucketStack([block])))).to.deep.equal([]);
        });

        it("links by dependency without reading a bucket id that is unknown during a real preview", async () => {
            const stack = stackOf([
                ...bucketStack([{ ...pab(""), propertyDependencies: { bucket: ["aws:s3/bucket:Bucket::artifacts"] } }]),
                { type: "aws:s3/bucket:Bucket", name: "logs" },
                { ...pab(""), name: "logs-pab", propertyDependencies: { bucket: ["aws:s3/bucket:Bucket::logs"] } },
            ]);
            unknownProp(stack, "artifacts-pab", "bucket");
            unknownProp(stack, "logs-pab", "bucket");
            expect(await runStackPolicy(policy, stack)).to.deep.equal([]);
        });

        it("flags a bucket with no public access block", async () => {
            const stack = stackOf(bucketStack([]));
            const violations = await runStackPolicy(policy, stack);
            expect(violations).to.have.length(1);
            expect(violations[0].urn).to.equal(urnOf(stack, "artifacts"));
            expect(violations[0].message).to.match(
                /^bucket 'artifacts' has no BucketPublicAccessBlock; add an aws\.s3\.BucketPublicAccessBlock/,
            );
        });

        it("flags a block that belongs to another bucket", async () => {
            const stack = stackOf([...bucketStack([pab("logs_id")]), { type: "aws:s3/bucket:Bucket", name: "logs" }]);
            const violations = await runStackPolicy(policy, stack);
            expect(violations.map((v) => v.urn)).to.deep.equal([urnOf(stack, "artifacts")]);
        });

        it("flags a block with a flag off", async () => {
            const violations = await runStackPolicy(policy, stackOf(bucketStack([pab("artifacts_id", { restrictPublicBuckets: false })])));
            expect(violations.map((v) => v.message)).to.deep.equal([
                "bucket 'artifacts' has a public access block without restrictPublicBuckets; set restrictPublicBuckets to true.",
            ]);
        });

        it("covers the deprecated BucketV2 type too", async () => {
            const violations = await runStackPolicy(policy, stackOf([{ type: "aws:s3/bucketV2:BucketV2", name: "old" }]));
            expect(violations).to.have.length(1);
        });
    });

    describe("s3-bucket-requires-encryption", () => {
        const policy = s3BucketRequiresEncryption;

        it("passes a bucket with a linked encryption configuration, or an inline one", async () => {
            expect(await runStackPolicy(policy, stackOf(bucketStack([sse("artifacts-id")])))).to.deep.equal([]);
            const inline = {
                inputs: { serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } } },
            };
            expect(await runStackPolicy(policy, stackOf(bucketStack([], inline)))).to.deep.equal([]);
        });

        it("flags a bucket without encryption", async () => {
            const violations = await runStackPolicy(policy, stackOf(bucketStack([])));
            expect(violations).to.have.length(1);
            expect(violations[0].message).to.match(
                /^bucket 'artifacts' declares no server-side encryption; add an aws\.s3\.BucketServerSideEncryptionConfiguration/,
            );
        });

        it("flags an encryption configuration with no rules", async () => {
            const violations = await runStackPolicy(policy, stackOf(bucketStack([sse("artifacts_id", [])])));
            expect(violations.map((v) => v.message)).to.deep.equal([
                "bucket 'artifacts' has an encryption configuration with no rules; add a rule with applyServerSideEncryptionByDefault.",
            ]);
        });

        it("is not applicable to a stack without buckets", async () => {
            expect(await checkStack(policy, stackOf([{ type: "aws:kms/key:Key", name: "k" }]))).to.deep.equal({
                violations: [],
                notApplicable: "The stack has no S3 buckets.",
            });
        });
    });
});
