import { expect } from "chai";
import { parseImage, unpinnedReason } from "../lib/image";
import { isOpenToWorld, portSpecCovers } from "../lib/network";
import { parseQuantity } from "../lib/quantity";
import { isExactSemver, isGitSha } from "../lib/semver";
import { getPath, show } from "../lib/values";

describe("policy helpers", () => {
    it("parses image references, telling a registry port from a tag", () => {
        expect(parseImage("nginx")).to.deep.equal({ repository: "nginx" });
        expect(parseImage("ghcr.io/a/b:1.2")).to.deep.equal({ repository: "ghcr.io/a/b", tag: "1.2" });
        expect(parseImage("localhost:5000/b")).to.deep.equal({ repository: "localhost:5000/b" });
        expect(parseImage("localhost:5000/b:2@sha256:ff")).to.deep.equal({ repository: "localhost:5000/b", tag: "2", digest: "sha256:ff" });
        expect(unpinnedReason("nginx:1.27.3")).to.equal(undefined);
        expect(unpinnedReason("nginx")).to.match(/untagged/);
        expect(unpinnedReason(" ")).to.equal("has no image");
    });

    it("accepts only exact semantic versions and full commit SHAs", () => {
        for (const v of ["1.2.3", "v0.0.1", "10.20.30-rc.1+meta", "1.0.0-alpha-a.b-c"]) {
            expect(isExactSemver(v), v).to.equal(true);
        }
        for (const v of ["1.2", "01.2.3", "^1.2.3", "1.2.x", "latest", "", "1.2.3 - 1.4.0"]) {
            expect(isExactSemver(v), v).to.equal(false);
        }
        expect(isGitSha("a".repeat(40))).to.equal(true);
        expect(isGitSha("a".repeat(7))).to.equal(false);
    });

    it("recognises world-open CIDRs and port ranges", () => {
        expect(["0.0.0.0/0", "::/0", " 0.0.0.0/0 "].every(isOpenToWorld)).to.equal(true);
        expect(["10.0.0.0/8", "0.0.0.0/1", "1.2.3.4"].some(isOpenToWorld)).to.equal(false);
        expect(portSpecCovers("22", 22)).to.equal(true);
        expect(portSpecCovers("1-1024", 22)).to.equal(true);
        expect(portSpecCovers("1024-2048", 22)).to.equal(false);
        expect(portSpecCovers("2222", 22)).to.equal(false);
    });

    it("parses Kubernetes quantities to cores and bytes", () => {
        expect(parseQuantity("500m")).to.equal(0.5);
        expect(parseQuantity("2")).to.equal(2);
        expect(parseQuantity("1Gi")).to.equal(2 ** 30);
        expect(parseQuantity("1G")).to.equal(1e9);
        expect(parseQuantity("1e3")).to.equal(1000);
        expect(parseQuantity(1.5)).to.equal(1.5);
        expect(parseQuantity("lots")).to.equal(undefined);
        expect(parseQuantity(undefined)).to.equal(undefined);
    });

    it("reads paths and renders values for messages", () => {
        expect(getPath({ a: { b: [1] } }, "a.b")).to.deep.equal([1]);
        expect(getPath({ a: [{ b: 1 }] }, "a.b")).to.equal(undefined);
        expect([show("x"), show(undefined), show([1])]).to.deep.equal(["'x'", "nothing", "[1]"]);
    });
});
