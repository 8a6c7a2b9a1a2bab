// A misspelt key: the fix line names the stack's real file and the nearest key the program knows.
import { expect } from "chai";
import { editDistance, nearestKey, schemaKeysAt, stackFile } from "../../stacks/config/validate";
import { homelabSchema } from "../../stacks/config/schema";
import { failureOf } from "../cluster/helpers";

describe("config: misspelt keys", function () {
    this.timeout(120_000);

    it("measures edit distance case-insensitively and suggests only a clear, near match", () => {
        expect(editDistance("adress", "address")).to.equal(1);
        expect(editDistance("K3SVERSION", "k3sVersion")).to.equal(0);
        expect(editDistance("k3sVersoin", "k3sVersion")).to.equal(2);
        expect(nearestKey("adress", ["address", "arch", "role"])).to.equal("address");
        expect(nearestKey("zzzzzz", ["address", "arch", "role"]), "nothing near").to.equal(undefined);
        expect(nearestKey("ab", ["ac", "ad"]), "a tie suggests nothing").to.equal(undefined);
        expect(nearestKey("rol", ["role"])).to.equal("role");
    });

    it("knows the keys of a nested object in the schema, through arrays and defaults", () => {
        expect(schemaKeysAt(homelabSchema, ["nodes", 1])).to.include.members(["name", "address", "sshUser", "arch", "role", "labels"]);
        expect(schemaKeysAt(homelabSchema, [])).to.include.members(["k3sVersion", "nodes", "statefulNode"]);
        expect(schemaKeysAt(homelabSchema, ["nope"])).to.deep.equal([]);
    });

    it("a nested typo names Pulumi.homelab.yaml and the key meant", async () => {
        const message = await failureOf("homelab", { "homelab.nodes[1].adress": "192.168.1.21" });
        expect(message).to.include(
            "fix: remove or correct 'homelab.nodes[1].adress' in Pulumi.homelab.yaml; did you mean 'homelab.nodes[1].address'?",
        );
        expect(message).to.not.include("<stack>");
    });

    it("a top-level typo names the stack file and the setting meant; a key near nothing lists what is there", async () => {
        const top = await failureOf("aws", { enviroment: "aws" });
        expect(top).to.include(
            "fix: did you mean 'environment'? Rename `aiops-mlops-platform:enviroment` to `aiops-mlops-platform:environment` in Pulumi.aws.yaml",
        );
        const far = await failureOf("homelab", { "homelab.zzzzzz": 1 });
        expect(far).to.include(
            "fix: remove or correct 'homelab.zzzzzz' in Pulumi.homelab.yaml (keys there: k3sVersion, apiAddress, traefik, taintServer, nodes, statefulNode)",
        );
    });

    it("names the stack file, or says which file when the stack is unknown (a pure call)", () => {
        expect(stackFile("homelab")).to.equal("Pulumi.homelab.yaml");
        expect(stackFile(undefined)).to.equal("the stack's Pulumi.<stack>.yaml");
        expect(stackFile("")).to.equal("the stack's Pulumi.<stack>.yaml");
    });
});
