import { expect } from "chai";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "../../components/shared/quantity";
import { isCidr, isIpAddress, isOpenToWorld } from "../../components/network/net";

describe("quantities", () => {
    it("parses CPU in cores and millicores", () => {
        expect(parseCpu("500m")).to.equal(0.5);
        expect(parseCpu("2")).to.equal(2);
        expect(parseCpu(1.5)).to.equal(1.5);
        expect(() => parseCpu("two")).to.throw("'two' is not a CPU quantity");
    });

    it("parses memory in binary and decimal units", () => {
        expect(parseMemory("512Mi")).to.equal(512 * 2 ** 20);
        expect(parseMemory("10Gi")).to.equal(10 * 2 ** 30);
        expect(parseMemory("1G")).to.equal(1e9);
        expect(parseMemory("1024")).to.equal(1024);
        expect(() => parseMemory("10GB")).to.throw("'10GB' is not a memory quantity");
    });

    it("formats back for messages", () => {
        expect(formatMemory(6 * 2 ** 30)).to.equal("6Gi");
        expect(formatMemory(1.5 * 2 ** 20)).to.equal("1.5Mi");
        expect(formatCpu(0.25)).to.equal("250m");
        expect(formatCpu(3)).to.equal("3");
    });
});

describe("network checks", () => {
    it("accepts CIDRs whose host bits are clear and rejects the rest", () => {
        expect(isCidr("10.0.0.0/16")).to.equal(true);
        expect(isCidr("0.0.0.0/0")).to.equal(true);
        expect(isCidr("192.168.1.7/32")).to.equal(true);
        expect(isCidr("10.0.0.1/16")).to.equal(false);
        expect(isCidr("10.0.0.0/33")).to.equal(false);
        expect(isCidr("10.0.0/16")).to.equal(false);
        expect(isCidr("fd00::/8")).to.equal(false);
    });

    it("knows an IPv4 address and a world-open range", () => {
        expect(isIpAddress("100.101.102.103")).to.equal(true);
        expect(isIpAddress("192.168.1.300")).to.equal(false);
        expect(isOpenToWorld("0.0.0.0/0")).to.equal(true);
        expect(isOpenToWorld("203.0.113.0/24")).to.equal(false);
    });
});
