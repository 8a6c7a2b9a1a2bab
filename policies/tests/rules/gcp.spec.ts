import { expect } from "chai";
import { runResourcePolicy } from "../../offline/evaluate";
import { gcpFirewallDisallowsPublicAdminPorts } from "../../rules/gcp-firewall-disallows-public-admin-ports";
import { gcpInstanceDisallowsDefaultServiceAccount } from "../../rules/gcp-instance-disallows-default-service-account";
import { gcpInstanceRequiresShieldedVm } from "../../rules/gcp-instance-requires-shielded-vm";
import { compliantFirewall, compliantGcpInstance, Loose, mutate, Props } from "../support/fixtures";

const FIREWALL = "gcp:compute/firewall:Firewall";
const INSTANCE_TYPES = ["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"];

describe("gcp-firewall-disallows-public-admin-ports", () => {
    const run = (change?: (o: Loose) => void, config?: Props) =>
        runResourcePolicy(
            gcpFirewallDisallowsPublicAdminPorts,
            { type: FIREWALL, name: "fw", props: change ? mutate(compliantFirewall(), change) : compliantFirewall() },
            config,
        );

    it("passes admin ports open only to the IAP range", async () => {
        expect(await run()).to.deep.equal([]);
    });

    it("flags SSH and the Kubernetes API open to 0.0.0.0/0", async () => {
        expect(await run((o) => (o.sourceRanges = ["0.0.0.0/0"]))).to.deep.equal([
            "sourceRanges 0.0.0.0/0 reaches port 22, 6443; restrict sourceRanges to the admin or IAP range (35.235.240.0/20) instead of the whole internet.",
        ]);
    });

    it("flags a port range and an all-ports rule", async () => {
        expect(
            await run((o) => {
                o.sourceRanges = ["::/0"];
                o.allows = [{ protocol: "tcp", ports: ["6000-7000"] }];
            }),
        ).to.deep.equal([
            "sourceRanges ::/0 reaches port 6443; restrict sourceRanges to the admin or IAP range (35.235.240.0/20) instead of the whole internet.",
        ]);
        expect(
            await run((o) => {
                o.sourceRanges = ["0.0.0.0/0"];
                o.allows = [{ protocol: "all" }];
            }),
        ).to.have.length(1);
    });

    it("accepts public web ports, udp, egress rules and disabled rules", async () => {
        expect(
            await run((o) => {
                o.sourceRanges = ["0.0.0.0/0"];
                o.allows = [
                    { protocol: "tcp", ports: ["80", "443"] },
                    { protocol: "udp", ports: ["22"] },
                ];
            }),
        ).to.deep.equal([]);
        expect(
            await run((o) => {
                o.sourceRanges = ["0.0.0.0/0"];
                o.direction = "EGRESS";
            }),
        ).to.deep.equal([]);
        expect(
            await run((o) => {
                o.sourceRanges = ["0.0.0.0/0"];
                o.disabled = true;
            }),
        ).to.deep.equal([]);
    });

    it("uses the configured admin ports", async () => {
        expect(
            await run(
                (o) => {
                    o.sourceRanges = ["0.0.0.0/0"];
                    o.allows = [{ protocol: "tcp", ports: ["3389"] }];
                },
                { adminPorts: [3389] },
            ),
        ).to.have.length(1);
    });
});

describe("gcp-instance-requires-shielded-vm", () => {
    for (const type of INSTANCE_TYPES) {
        const run = (change?: (o: Loose) => void) =>
            runResourcePolicy(gcpInstanceRequiresShieldedVm, {
                type,
                name: "vm",
                props: change ? mutate(compliantGcpInstance(), change) : compliantGcpInstance(),
            });

        it(`passes a shielded ${type}`, async () => {
            expect(await run()).to.deep.equal([]);
            expect(await run((o) => (o.shieldedInstanceConfig = { enableSecureBoot: true }))).to.deep.equal([]);
        });

        it(`flags Secure Boot off or unset on ${type}`, async () => {
            expect(await run((o) => delete o.shieldedInstanceConfig)).to.deep.equal([
                "shieldedInstanceConfig leaves enableSecureBoot off; set shieldedInstanceConfig.enableSecureBoot: true (and use a Shielded VM image).",
            ]);
        });

        it(`flags vTPM or integrity monitoring turned off on ${type}`, async () => {
            expect(await run((o) => (o.shieldedInstanceConfig.enableVtpm = false))).to.have.length(1);
            const [message] = await run((o) => (o.shieldedInstanceConfig.enableIntegrityMonitoring = false));
            expect(message).to.include("leaves enableIntegrityMonitoring off");
        });
    }
});

describe("gcp-instance-disallows-default-service-account", () => {
    for (const type of INSTANCE_TYPES) {
        const run = (change?: (o: Loose) => void) =>
            runResourcePolicy(gcpInstanceDisallowsDefaultServiceAccount, {
                type,
                name: "vm",
                props: change ? mutate(compliantGcpInstance(), change) : compliantGcpInstance(),
            });

        it(`passes a dedicated service account on ${type}`, async () => {
            expect(await run()).to.deep.equal([]);
        });

        it(`flags the default compute account with cloud-platform on ${type}`, async () => {
            const violations = await run((o) => (o.serviceAccount.email = "123456789-compute@developer.gserviceaccount.com"));
            expect(violations).to.have.length(1);
            expect(violations[0]).to.match(
                /^serviceAccount is the default compute account \(123456789-compute@.*\) with the cloud-platform scope; create a dedicated service account/,
            );
        });

        it(`flags an absent email with the full cloud-platform scope URL on ${type}`, async () => {
            const violations = await run((o) => (o.serviceAccount = { scopes: ["https://www.googleapis.com/auth/cloud-platform"] }));
            expect(violations).to.have.length(1);
            expect(violations[0]).to.include("(no email set)");
        });

        it(`accepts the default account with narrow scopes on ${type}`, async () => {
            expect(await run((o) => (o.serviceAccount = { scopes: ["logging-write", "monitoring-write"] }))).to.deep.equal([]);
        });
    }
});
