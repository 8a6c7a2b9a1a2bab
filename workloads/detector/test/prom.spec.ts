/**
 * The Prometheus text exposition (src/prom.ts) and the process metrics (src/process-metrics.ts), checked
 * against the format's rules and, where Debian's promtool is installed, by `promtool check metrics`.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { maxOpenFiles, procStatus, registerProcessMetrics } from "../src/process-metrics";
import { Counter, escapeHelp, escapeLabel, formatValue, Gauge, Histogram, Registry } from "../src/prom";

const promtool = spawnSync("promtool", ["--version"]).status === 0;

function promtoolCheck(text: string): string {
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.status, `${check.stdout}${check.stderr}`).to.equal(0);
    return `${check.stdout}${check.stderr}`.trim();
}

describe("detector Prometheus exposition (prom.ts)", () => {
    it("renders HELP, TYPE and one line per label set, labels in labelNames order", async () => {
        const r = new Registry();
        const c = new Counter({ name: "x_total", help: "Xs.", labelNames: ["b", "a"], registers: [r] });
        c.inc({ a: "1", b: "2" });
        c.inc({ b: "2", a: "1" }, 2.5);
        c.inc({ a: 3 });
        expect(await r.metrics()).to.equal('# HELP x_total Xs.\n# TYPE x_total counter\nx_total{b="2",a="1"} 3.5\nx_total{a="3"} 1\n');
        expect(r.contentType).to.equal("text/plain; version=0.0.4; charset=utf-8");
    });

    it("reads 0 for an unlabelled counter before any increment, and nothing for a labelled one", async () => {
        const r = new Registry();
        new Counter({ name: "plain_total", help: "p", registers: [r] }).inc(0);
        new Counter({ name: "labelled_total", help: "l", labelNames: ["k"], registers: [r] });
        const text = await r.metrics();
        expect(text).to.include("\nplain_total 0\n");
        expect(text).to.match(/# TYPE labelled_total counter\n$/);
    });

    it("refuses a negative or non-finite increment, an unknown label and invalid names", () => {
        const c = new Counter<"k">({ name: "c_total", help: "c", labelNames: ["k"] });
        expect(() => c.inc({ k: "a" }, -1)).to.throw(/can only go up by a finite amount; got -1/);
        expect(() => c.inc({ k: "a" }, NaN)).to.throw(/got NaN/);
        expect(() => c.inc({ k: "a" }, Infinity)).to.throw(/got Infinity/);
        expect(() => c.inc({ other: "x" } as never)).to.throw(/metric c_total has no label 'other'/);
        expect(() => new Counter({ name: "1bad", help: "" })).to.throw(/invalid metric name '1bad'/);
        expect(() => new Counter({ name: "ok", help: "", labelNames: ["le"] })).to.throw(/invalid label name 'le'/);
        expect(() => new Counter({ name: "ok", help: "", labelNames: ["__x"] })).to.throw(/invalid label name '__x'/);
        expect(() => new Counter({ name: "ok", help: "", labelNames: ["a-b"] })).to.throw(/invalid label name 'a-b'/);
    });

    it("refuses a second metric of the same name on one registry", () => {
        const r = new Registry();
        new Gauge({ name: "g", help: "g", registers: [r] });
        expect(() => new Gauge({ name: "g", help: "again", registers: [r] })).to.throw(/already registered/);
        expect(r.get("g")?.help).to.equal("g");
    });

    it("counts histogram observations into cumulative buckets with +Inf, sum and count; the bound itself falls in its bucket", async () => {
        const r = new Registry();
        const h = new Histogram<"m">({ name: "d_seconds", help: "d", labelNames: ["m"], buckets: [0.1, 1, 10], registers: [r] });
        for (const v of [0.05, 0.1, 0.5, 1, 20]) h.observe({ m: "a" }, v);
        h.observe(3);
        const lines = (await r.metrics()).trim().split("\n");
        expect(lines.slice(2)).to.deep.equal([
            'd_seconds_bucket{m="a",le="0.1"} 2',
            'd_seconds_bucket{m="a",le="1"} 4',
            'd_seconds_bucket{m="a",le="10"} 4',
            'd_seconds_bucket{m="a",le="+Inf"} 5',
            'd_seconds_sum{m="a"} 21.65',
            'd_seconds_count{m="a"} 5',
            'd_seconds_bucket{le="0.1"} 0',
            'd_seconds_bucket{le="1"} 0',
            'd_seconds_bucket{le="10"} 1',
            'd_seconds_bucket{le="+Inf"} 1',
            "d_seconds_sum 3",
            "d_seconds_count 1",
        ]);
        expect(() => h.observe({ m: "a" }, NaN)).to.throw(/observes finite values/);
        expect(() => new Histogram({ name: "h", help: "", buckets: [1, 1] })).to.throw(/buckets must be ascending/);
    });

    it("runs a gauge's collect at every scrape, after reset, so a series can disappear", async () => {
        const r = new Registry();
        let models = ["a", "b"];
        new Gauge<"model">({
            name: "up",
            help: "u",
            labelNames: ["model"],
            registers: [r],
            collect() {
                this.reset();
                for (const m of models) this.set({ model: m }, 1);
            },
        });
        expect(await r.metrics()).to.include('up{model="b"} 1');
        models = ["a"];
        const text = await r.metrics();
        expect(text).to.include('up{model="a"} 1');
        expect(text).not.to.include('model="b"');
    });

    it("escapes label values and HELP text as the format requires, and spells NaN and infinities", async () => {
        expect(escapeLabel('a\\b"c\nd')).to.equal('a\\\\b\\"c\\nd');
        expect(escapeHelp("line\\one\ntwo")).to.equal("line\\\\one\\ntwo");
        expect([NaN, Infinity, -Infinity, 0.25, 1e21, -0].map(formatValue)).to.deep.equal(["NaN", "+Inf", "-Inf", "0.25", "1e+21", "0"]);
        const r = new Registry();
        const g = new Gauge<"path">({
            name: "odd",
            help: 'Help with \\ and\na newline and "quotes".',
            labelNames: ["path"],
            registers: [r],
        });
        g.set({ path: 'C:\\temp\n"x"' }, NaN);
        g.set({ path: "inf" }, Infinity);
        const text = await r.metrics();
        expect(text).to.include('odd{path="C:\\\\temp\\n\\"x\\""} NaN');
        expect(text).to.include('odd{path="inf"} +Inf');
        if (promtool) expect(promtoolCheck(text)).to.equal("");
    });
});

describe("detector process metrics (process-metrics.ts)", () => {
    it("reads /proc/self/status figures in bytes, and the open-files soft limit", () => {
        const status = procStatus("Name:\tnode\nVmRSS:\t   1024 kB\nVmSize:\t  2048 kB\nThreads:\t7\n");
        expect(status).to.deep.equal({ VmRSS: 1024 * 1024, VmSize: 2048 * 1024 });
        expect(
            maxOpenFiles(
                "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n",
            ),
        ).to.equal(1024);
        expect(maxOpenFiles("Max open files            unlimited            unlimited            files\n")).to.equal(undefined);
        expect(procStatus("")).to.deep.equal({});
        // Whole lines only: a trailing word or a leading space is not a figure.
        expect(procStatus("VmRSS:\t12 kB extra\n VmSize:\t3 kB\nVmData:\t5 kB\n")).to.deep.equal({ VmData: 5 * 1024 });
        expect(maxOpenFiles("NotMax open files            1024\nMax open files            77   88   files\n")).to.equal(77);
    });

    it("exports CPU, memory, descriptors, event loop, heap and version under prom-client's names, and passes promtool", async () => {
        const r = new Registry();
        registerProcessMetrics(r);
        // Some event loop turns for the delay sampler, and some CPU.
        for (let i = 0; i < 3; i++) await new Promise((res) => setTimeout(res, 15));
        const text = await r.metrics();
        const value = (name: string) => {
            const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
            return m === null ? undefined : Number(m[1]);
        };
        const cpu = process.cpuUsage();
        expect(value("process_cpu_seconds_total")).to.be.within(0, (cpu.user + cpu.system) / 1e6);
        expect(value("process_cpu_user_seconds_total")! + value("process_cpu_system_seconds_total")!).to.be.closeTo(
            value("process_cpu_seconds_total")!,
            0.05,
        );
        expect(value("process_start_time_seconds")).to.be.closeTo(Date.now() / 1000 - process.uptime(), 2);
        const rss = value("process_resident_memory_bytes")!;
        expect(rss).to.be.within(10 * 2 ** 20, 4 * 2 ** 30);
        expect(value("process_virtual_memory_bytes")).to.be.greaterThan(rss);
        expect(value("process_open_fds")).to.be.greaterThan(2);
        expect(value("nodejs_heap_size_used_bytes")).to.be.within(1, value("nodejs_heap_size_total_bytes")!);
        expect(value("nodejs_eventloop_lag_p99_seconds")).to.be.within(0, 5);
        expect(value("nodejs_eventloop_lag_min_seconds")).to.be.at.most(value("nodejs_eventloop_lag_max_seconds")!);
        expect(text).to.match(/^nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/m);
        expect(value("process_heap_bytes")).to.be.greaterThan(0);
        expect(value("process_max_fds")).to.equal(maxOpenFiles());
        expect(value("process_open_fds")).to.be.closeTo(readdirSync("/proc/self/fd").length - 1, 3);
        expect(value("nodejs_external_memory_bytes")).to.be.greaterThan(0);
        const [min, max] = [value("nodejs_eventloop_lag_min_seconds")!, value("nodejs_eventloop_lag_max_seconds")!];
        for (const stat of ["mean", "stddev", "p50", "p90"]) {
            expect(value(`nodejs_eventloop_lag_${stat}_seconds`), stat)
                .to.be.a("number")
                .and.to.be.within(0, max);
        }
        expect(value("nodejs_eventloop_lag_p50_seconds")).to.be.within(min, max);
        expect(text).to.include(`nodejs_version_info{version="${process.version}",major="${process.versions.node.split(".")[0]}"`);
        expect(text).to.include("# TYPE nodejs_active_resources gauge");
        for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
            expect(text).not.to.include(name);
        }
        if (promtool) expect(promtoolCheck(text)).to.equal("");
    });

    it("counts active resources by type", async () => {
        const r = new Registry();
        registerProcessMetrics(r);
        const timers = [setInterval(() => undefined, 1000), setInterval(() => undefined, 1000)];
        try {
            const text = await r.metrics();
            // Our two intervals at least (mocha keeps timers of its own).
            expect(Number(/^nodejs_active_resources\{type="Timeout"\} (\d+)$/m.exec(text)?.[1])).to.be.at.least(2);
            for (const m of text.matchAll(/^nodejs_active_resources\{type="(\w+)"\} (\d+)$/gm))
                expect(Number(m[2]), m[1]).to.be.at.least(1);
        } finally {
            timers.forEach(clearInterval);
        }
    });

    it("reports the event loop delay since the previous scrape (the sampler resets after each)", async () => {
        const r = new Registry();
        registerProcessMetrics(r);
        await new Promise((res) => setTimeout(res, 30));
        const busy = Date.now() + 120;
        while (Date.now() < busy); // block the loop for 120 ms
        await new Promise((res) => setTimeout(res, 30));
        const max = (text: string) => Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1]);
        const blocked = max(await r.metrics());
        expect(blocked).to.be.greaterThan(0.09);
        await new Promise((res) => setTimeout(res, 60));
        // Without the reset the 120 ms stall would still be the maximum.
        expect(max(await r.metrics())).to.be.below(blocked);
    });
});
