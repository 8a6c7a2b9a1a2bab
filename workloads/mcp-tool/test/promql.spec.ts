import { expect } from "chai";
import { buildQuery, escapeRegex, instanceMatcher, isValidInstance, promqlString } from "../src/promql";

describe("mcp-tool PromQL", () => {
    it("escapes every RE2 metacharacter", () => {
        expect(escapeRegex("10.0.0.5")).to.equal("10\\.0\\.0\\.5");
        expect(escapeRegex("a+b*c?(d)[e]{f}|g^h$i\\j")).to.equal("a\\+b\\*c\\?\\(d\\)\\[e\\]\\{f\\}\\|g\\^h\\$i\\\\j");
    });

    it("quotes PromQL strings so quotes and backslashes cannot end the literal", () => {
        expect(promqlString('a"b\\c')).to.equal('"a\\"b\\\\c"');
    });

    it("matches a bare IP with any port, and an IP:port exactly", () => {
        expect(instanceMatcher("10.0.0.5")).to.equal('instance=~"10\\\\.0\\\\.0\\\\.5(:\\\\d+)?"');
        expect(instanceMatcher("10.0.0.5:9100")).to.equal('instance=~"10\\\\.0\\\\.0\\\\.5:9100"');
        expect(instanceMatcher("[fd00::1]:9100")).to.equal('instance=~"\\\\[fd00::1\\\\]:9100"');
    });

    it("the matcher's regex (as Prometheus unquotes it) matches the right labels only", () => {
        const literal = instanceMatcher("10.0.0.5").slice("instance=~".length);
        const re = new RegExp(`^(?:${JSON.parse(literal) as string})$`);
        expect(re.test("10.0.0.5")).to.equal(true);
        expect(re.test("10.0.0.5:9100")).to.equal(true);
        expect(re.test("10.0.0.50:9100")).to.equal(false);
        expect(re.test("10x0x0x5:9100")).to.equal(false);
    });

    it("accepts host[:port] instances and refuses anything that could inject PromQL", () => {
        for (const ok of ["10.0.1.10", "10.0.1.10:9100", "node-1.lan:9100", "[fd00::1]:9100", "ip-10-0-1-10.ec2.internal"]) {
            expect(isValidInstance(ok), ok).to.equal(true);
        }
        for (const bad of ["", '10.0.0.1"} or vector(1) #', "10.0.0.1:9100:1", "a b", "x".repeat(256), "10.0.0.1/24"]) {
            expect(isValidInstance(bad), bad).to.equal(false);
        }
    });

    it("builds the seed's Metrics Reference queries, aggregated per instance", () => {
        const m = 'instance=~"10\\\\.0\\\\.0\\\\.5:9100"';
        expect(buildQuery("cpu", "10.0.0.5:9100")).to.equal(
            `100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle",${m}}[5m])) * 100)`,
        );
        expect(buildQuery("memory", "10.0.0.5:9100")).to.equal(
            `avg by (instance) ((1 - (node_memory_MemAvailable_bytes{${m}} / node_memory_MemTotal_bytes{${m}})) * 100)`,
        );
        const disk = buildQuery("disk", "10.0.0.5:9100");
        expect(disk).to.match(
            /^max by \(instance\) \(\(node_filesystem_size_bytes\{.*\} - node_filesystem_avail_bytes\{.*\}\) \/ node_filesystem_size_bytes\{.*\} \* 100\)$/,
        );
        expect(disk).to.include('fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs"');
        const net = buildQuery("network", "10.0.0.5:9100");
        expect(net).to.include(`rate(node_network_receive_bytes_total{${m},device!="lo"}[5m])`);
        expect(net).to.include(`rate(node_network_transmit_bytes_total{${m},device!="lo"}[5m])`);
    });
});
