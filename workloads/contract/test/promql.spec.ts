import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { METRIC_NAMES, METRICS, MODEL_NAMES } from "../src/metrics";
import { buildQuery, escapeRegex, instanceMatcher, isValidInstance, promqlString, UNAME_QUERY, UP_QUERY } from "../src/promql";

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;

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

    it("without an instance, selects every node-exporter instance and still aggregates by instance", () => {
        expect(buildQuery("cpu")).to.equal('100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)');
        expect(buildQuery("memory")).to.equal(
            "avg by (instance) ((1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)) * 100)",
        );
        expect(buildQuery("disk")).to.include('node_filesystem_size_bytes{fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs"}');
        expect(buildQuery("network")).to.include('rate(node_network_transmit_bytes_total{device!="lo"}[5m])');
        for (const metric of METRIC_NAMES) expect(buildQuery(metric)).to.not.include("instance=~");
    });

    // promtool parses each query as Prometheus 2.x would (a rule file is the one place it checks PromQL offline).
    (hasPromtool ? it : it.skip)("every query, with and without an instance, parses as PromQL (promtool check rules)", () => {
        const dir = mkdtempSync(join(tmpdir(), "contract-promql-"));
        try {
            const rules = METRIC_NAMES.flatMap((metric) =>
                [undefined, "10.0.0.5:9100", "[fd00::1]"].map((instance, i) => ({
                    record: `contract:${metric}:${i}`,
                    expr: buildQuery(metric, instance),
                })),
            );
            rules.push({ record: "contract:uname", expr: UNAME_QUERY }, { record: "contract:up", expr: UP_QUERY });
            writeFileSync(join(dir, "rules.json"), JSON.stringify({ groups: [{ name: "contract", rules }] }));
            const r = spawnSync("promtool", ["check", "rules", join(dir, "rules.json")], { encoding: "utf8" });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.include(`SUCCESS: ${rules.length} rules found`);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("contract: model names", () => {
    it("names one detector model per metric, node-<metric>, all distinct", () => {
        expect(MODEL_NAMES).to.deep.equal(["node-cpu", "node-memory", "node-disk", "node-network"]);
        for (const metric of METRIC_NAMES) expect(METRICS[metric].model).to.equal(`node-${metric}`);
    });
});
