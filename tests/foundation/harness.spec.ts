// The recording mock harness itself: what it records, what it refuses, how it loads stack files.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { Recorder, SECRET_SIG, containsSecret, redactSecrets, shortRef, unwrapSecrets } from "../harness/recorder";
import { listStacks, loadStackConfig } from "../harness/stack-config";

class Box extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:test:Box", name, {}, opts);
        this.registerOutputs({});
    }
}

// CustomResource and ProviderResource are abstract; these stand in for any provider's classes.
class Thing extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(type, name, props, opts);
    }
}
class Provider extends pulumi.ProviderResource {
    constructor(pkg: string, name: string, props: pulumi.Inputs, opts?: pulumi.ResourceOptions) {
        super(pkg, name, props, opts);
    }
}

/** Runs a tiny program under a fresh recorder. */
async function record(program: () => void): Promise<Recorder> {
    pulumi.runtime.setAllConfig({}, []);
    const recorder = new Recorder();
    await recorder.install("harness-test", "unit");
    await pulumi.runtime.runInPulumiStack(async () => {
        program();
        return {};
    });
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    return recorder;
}

describe("harness: recorder", () => {
    it("records type, name, parent and explicit provider as type::name", async () => {
        const rec = await record(() => {
            const box = new Box("outer");
            const provider = new Provider("kubernetes", "k8s", { kubeconfig: "x" }, { parent: box });
            new Thing("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "apps" } }, { parent: box, provider });
        });
        const ns = rec.registrations.find((r) => r.name === "ns");
        expect(ns).to.include({
            type: "kubernetes:core/v1:Namespace",
            parent: "aiops:test:Box::outer",
            provider: "pulumi:providers:kubernetes::k8s",
        });
        expect(ns?.inputs).to.deep.equal({ metadata: { name: "apps" } });
        const outer = rec.registrations.find((r) => r.name === "outer");
        expect(outer?.parent, "top-level resources hang off the stack, shown as null").to.equal(null);
    });

    it("records dependsOn as type::name", async () => {
        const rec = await record(() => {
            const a = new Thing("random:index/randomPet:RandomPet", "a", {});
            new Thing("random:index/randomPet:RandomPet", "b", {}, { dependsOn: [a] });
        });
        expect(rec.registrations.find((r) => r.name === "b")?.dependsOn).to.deep.equal(["random:index/randomPet:RandomPet::a"]);
    });

    it("fails loudly on an invoke nobody mocked", async () => {
        pulumi.runtime.setAllConfig({}, []);
        const recorder = new Recorder();
        await recorder.install("harness-test", "unit");
        let failed = false;
        try {
            await pulumi.runtime.invoke("aws:index/getAmi:getAmi", { owners: ["amazon"] });
        } catch {
            failed = true;
        }
        expect(failed, "the invoke must fail").to.equal(true);
        expect(recorder.unmocked).to.have.length(1);
        expect(recorder.unmocked[0]).to.include("unmocked invoke 'aws:index/getAmi:getAmi'");
        expect(recorder.invocations.map((i) => i.token)).to.deep.equal(["aws:index/getAmi:getAmi"]);
    });

    it("answers the invokes it knows", async () => {
        pulumi.runtime.setAllConfig({}, []);
        await new Recorder().install("harness-test", "unit");
        const azs = await pulumi.runtime.invoke("aws:index/getAvailabilityZones:getAvailabilityZones", {});
        expect(azs.names).to.have.length(3);
    });

    it("keeps secrets wrapped in inputs, and can redact or unwrap them", async () => {
        const rec = await record(() => {
            new Thing("kubernetes:core/v1:Secret", "s", { stringData: { token: pulumi.secret("hunter2") }, type: "Opaque" });
        });
        const inputs = rec.registrations.find((r) => r.name === "s")!.inputs;
        expect(containsSecret(inputs)).to.equal(true);
        expect(JSON.stringify(inputs)).to.include(SECRET_SIG);
        // The runtime marks the whole property that holds a secret.
        expect(redactSecrets(inputs)).to.deep.equal({ stringData: "[secret]", type: "Opaque" });
        expect(unwrapSecrets(inputs)).to.deep.equal({ stringData: { token: "hunter2" }, type: "Opaque" });
        expect(containsSecret({ type: "Opaque" })).to.equal(false);
    });

    it("shortens URNs and provider references to type::name", () => {
        expect(shortRef("urn:pulumi:aws::aiops-mlops-platform::aiops:cluster:Eks$eks:index:Cluster::aiops")).to.equal(
            "eks:index:Cluster::aiops",
        );
        expect(shortRef("urn:pulumi:aws::aiops-mlops-platform::pulumi:providers:kubernetes::aiops-k8s::abc-123")).to.equal(
            "pulumi:providers:kubernetes::aiops-k8s",
        );
    });
});

describe("harness: stack files", () => {
    it("finds the three committed stacks", () => {
        expect(listStacks()).to.deep.equal(["aws", "homelab", "hybrid", "local"]);
    });

    it("applies Pulumi.yaml defaults, then the stack file, then overrides", () => {
        const { config } = loadStackConfig("homelab", { prometheusRetention: "30d" });
        expect(config["aiops-mlops-platform:environment"]).to.equal("homelab");
        expect(config["aiops-mlops-platform:delivery"]).to.equal("auto");
        expect(config["aiops-mlops-platform:prometheusRetention"]).to.equal("30d");
        expect(JSON.parse(config["aiops-mlops-platform:amd64OnlyImages"])).to.include("gcr.io/tfx-oss-public/ml_metadata_store_server");
        expect(JSON.parse(config["aiops-mlops-platform:homelab"]).nodes).to.have.length(2);
    });

    it("stands in for `pulumi config set --secret` values and marks them secret", () => {
        const { config, secretKeys } = loadStackConfig("homelab");
        expect(secretKeys).to.include("aiops-mlops-platform:sshPrivateKey");
        expect(config["aiops-mlops-platform:sshPrivateKey"]).to.match(/^mock-secret-for-/);
        const removed = loadStackConfig("homelab", { sshPrivateKey: undefined });
        expect(removed.secretKeys).to.not.include("aiops-mlops-platform:sshPrivateKey");
        expect(removed.config).to.not.have.property("aiops-mlops-platform:sshPrivateKey");
    });

    it("names the stacks that exist when asked for one that does not", () => {
        expect(() => loadStackConfig("marsbase")).to.throw("no stack file Pulumi.marsbase.yaml (stacks: aws, homelab, hybrid, local)");
    });
});
