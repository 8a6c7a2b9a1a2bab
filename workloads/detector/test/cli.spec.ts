import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatTimestamp, main } from "../src/cli";
import { loadModelFile, scoreSeries } from "../src/model";
import { readCsvSeries } from "../src/series";
import { cpuSeries, freePort, inferBody, removeDir, tempDir } from "./server-helpers";

const ROOT = resolve(__dirname, "../../..");
const CLI = resolve(__dirname, "../src/cli.ts");

interface Result {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs the real CLI in a child node process (ts-node, transpile only), bounded by a timeout. */
function detector(args: string[], env: Record<string, string> = {}, timeoutMs = 60000): Promise<Result> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CLI, ...args], {
            cwd: ROOT,
            env: { ...process.env, ...env },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolvePromise({ code, stdout, stderr });
        });
    });
}

function csvOf(points: Array<{ timestamp: number; value: number }>): string {
    return `timestamp,value\n${points.map((p) => `${formatTimestamp(p.timestamp)},${p.value}`).join("\n")}\n`;
}

describe("detector CLI", function () {
    let dir: string;
    before(() => {
        dir = tempDir("detector-cli-");
        writeFileSync(join(dir, "train.csv"), csvOf(cpuSeries(1500, { seed: 1 })));
        const probe = cpuSeries(200, { seed: 9 });
        probe[150] = { ...probe[150], value: 95 };
        writeFileSync(join(dir, "probe.csv"), csvOf(probe));
    });
    after(() => removeDir(dir));

    it("trains from a NAB-style CSV and scores a CSV into timestamp,value,score,label", async () => {
        const model = join(dir, "models", "cpu.json");
        const train = await detector([
            "train",
            "--csv",
            join(dir, "train.csv"),
            "--name",
            "cpu",
            "--out",
            model,
            "--trees",
            "20",
            "--seed",
            "3",
        ]);
        expect(train.code, train.stderr).to.equal(0);
        expect(train.stderr).to.match(/trained model 'cpu' on 1500 points \(features default, 20 trees\)/);
        const loaded = loadModelFile(model);
        expect(loaded.params).to.include({ trees: 20, seed: 3 });

        const score = await detector(["score", "--model", model, "--csv", join(dir, "probe.csv")]);
        expect(score.code, score.stderr).to.equal(0);
        const lines = score.stdout.trim().split("\n");
        expect(lines[0]).to.equal("timestamp,value,score,label");
        expect(lines).to.have.length(201);
        const expected = scoreSeries(loaded, readCsvSeries(readFileSync(join(dir, "probe.csv"), "utf8")));
        lines.slice(1).forEach((line, i) => {
            const [ts, value, s, label] = line.split(",");
            expect(ts).to.equal(formatTimestamp(expected[i].timestamp));
            expect(Number(value)).to.equal(expected[i].value);
            expect(Number(s)).to.equal(expected[i].score);
            expect(Number(label)).to.equal(expected[i].label);
        });
        // The injected spike is flagged.
        expect(lines[151].endsWith(",-1")).to.equal(true);
    });

    it("passes --features and --contamination through to the model", async () => {
        const model = join(dir, "seed.json");
        const res = await detector([
            "train",
            "--csv",
            join(dir, "train.csv"),
            "--name",
            "seedy",
            "--out",
            model,
            "--features",
            "seed",
            "--contamination",
            "0.1",
            "--trees",
            "10",
        ]);
        expect(res.code, res.stderr).to.equal(0);
        const m = loadModelFile(model);
        expect(m.featureSet).to.equal("seed");
        expect(m.params.contamination).to.equal(0.1);
    });

    const usageErrors: Array<[string, string[], RegExp]> = [
        ["an unknown flag", ["train", "--csv", "x.csv", "--bogus", "1"], /train: unknown option --bogus/],
        ["a flag without its value", ["score", "--model"], /score: option --model needs a value/],
        ["a missing required flag", ["train", "--csv", "x.csv", "--name", "cpu"], /train: --out is required/],
        [
            "a bad number",
            ["train", "--csv", "x.csv", "--name", "n", "--out", "o.json", "--trees", "many"],
            /--trees must be a positive integer; got 'many'/,
        ],
        [
            "a bad feature set",
            ["train", "--csv", "x.csv", "--name", "n", "--out", "o.json", "--features", "fancy"],
            /--features must be seed or default; got 'fancy'/,
        ],
        [
            "both sources",
            ["train", "--csv", "x.csv", "--prometheus", "http://p:9090", "--name", "n", "--out", "o.json"],
            /exactly one of --csv FILE or --prometheus URL/,
        ],
        [
            "--prometheus without --query",
            ["train", "--prometheus", "http://p:9090", "--hours", "1", "--name", "n", "--out", "o.json"],
            /--query is required/,
        ],
        ["a bad port", ["serve", "--port", "http"], /serve: --port must be a port number 0-65535; got 'http'/],
        ["an unknown command", ["predict"], /unknown command 'predict'/],
    ];
    // Two through a real child process (exit code and stderr of the binary), the rest through main() to save
    // a node start-up each.
    for (const [what, args, message] of usageErrors.slice(0, 2)) {
        it(`exits 2 with the usage on ${what} (child process)`, async () => {
            const res = await detector(args);
            expect(res.code).to.equal(2);
            expect(res.stderr).to.match(message);
            expect(res.stderr).to.include("usage:");
        });
    }
    for (const [what, args, message] of usageErrors.slice(2)) {
        it(`returns exit code 2 with the usage on ${what}`, async () => {
            let err = "";
            const code = await main(args, { out: () => undefined, err: (t) => (err += t), env: {} });
            expect(code).to.equal(2);
            expect(err).to.match(message);
            expect(err).to.include("usage:");
        });
    }

    it("prints the usage and returns 0 for --help", async () => {
        let out = "";
        expect(await main(["train", "--help"], { out: (t) => (out += t), err: () => undefined, env: {} })).to.equal(0);
        expect(out).to.match(/^usage:\n {2}detector train --csv FILE/);
    });

    it("exits 1 with a clear message when the CSV is missing or the model file is corrupt", async () => {
        const missing = await detector(["train", "--csv", join(dir, "nope.csv"), "--name", "n", "--out", join(dir, "o.json")]);
        expect(missing.code).to.equal(1);
        expect(missing.stderr).to.include(`cannot read --csv ${join(dir, "nope.csv")}: ENOENT`);
        writeFileSync(join(dir, "corrupt.json"), "{");
        const corrupt = await detector(["score", "--model", join(dir, "corrupt.json"), "--csv", join(dir, "probe.csv")]);
        expect(corrupt.code).to.equal(1);
        expect(corrupt.stderr).to.match(/corrupt\.json is not valid JSON/);
    });

    it("exits 1 naming Prometheus and its URL when it is unreachable", async () => {
        const url = `http://127.0.0.1:${await freePort()}`;
        const res = await detector([
            "train",
            "--prometheus",
            url,
            "--query",
            "up",
            "--hours",
            "1",
            "--name",
            "n",
            "--out",
            join(dir, "o.json"),
        ]);
        expect(res.code).to.equal(1);
        expect(res.stderr).to.include(`cannot reach Prometheus at ${url}: ECONNREFUSED`);
    });

    describe("serve", () => {
        let child: ChildProcess | undefined;
        afterEach(() => {
            if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
            child = undefined;
        });

        it("serves MODEL_DIR on HOST/PORT from the environment, logs JSON at LOG_LEVEL and stops cleanly on SIGTERM", async () => {
            const modelDir = join(dir, "serve-models");
            mkdirSync(modelDir, { recursive: true });
            const trained = await detector([
                "train",
                "--csv",
                join(dir, "train.csv"),
                "--name",
                "cpu",
                "--out",
                join(modelDir, "cpu.json"),
                "--trees",
                "10",
            ]);
            expect(trained.code, trained.stderr).to.equal(0);
            const port = await freePort();
            const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CLI, "serve"], {
                cwd: ROOT,
                env: { ...process.env, MODEL_DIR: modelDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "debug" },
            });
            child = proc;
            let out = "";
            proc.stdout?.on("data", (c: Buffer) => (out += c.toString()));
            const exited = new Promise<number | null>((r) => proc.on("close", (code) => r(code)));
            const base = `http://127.0.0.1:${port}`;
            for (let i = 0; i < 200 && !out.includes("Server listening"); i++) await new Promise((r) => setTimeout(r, 100));
            expect(out).to.include(`Server listening at ${base}`);

            expect((await fetch(`${base}/v2/health/ready`)).status).to.equal(200);
            const res = await fetch(`${base}/v2/models/cpu/infer`, {
                method: "POST",
                headers: { "content-type": "application/json", "x-request-id": "cli-test-1" },
                body: JSON.stringify(inferBody(cpuSeries(30))),
            });
            expect(res.status).to.equal(200);

            proc.kill("SIGTERM");
            expect(await exited).to.equal(0);
            const lines = out
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l) as Record<string, unknown>);
            expect(lines.some((l) => l.reqId === "cli-test-1" && l.msg === "scored" && l.level === 20)).to.equal(true);
            expect(lines.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM")).to.equal(true);
        });
    });

    describe("train --prometheus against a real Prometheus", function () {
        const prometheus = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].find((p) => existsSync(p));
        let prom: ChildProcess | undefined;
        let url = "";
        // Six hours of 10-s samples in 2023, two instances; --end pins the range so nothing depends on today.
        const end = 1_700_000_000 + 6 * 3600;

        before(async function () {
            if (prometheus === undefined) {
                // Only the real-Prometheus cases depend on the binary; the fake-server specs cover the client logic.
                this.skip();
            }
            const data = join(dir, "prom");
            mkdirSync(data, { recursive: true });
            const series = cpuSeries(6 * 360 + 1, { seed: 4, start: 1_700_000_000 });
            const om = ["# TYPE node_cpu_busy gauge"];
            for (const instance of ["a", "b"])
                for (const p of series) om.push(`node_cpu_busy{instance="${instance}"} ${p.value} ${p.timestamp}`);
            om.push("# EOF");
            writeFileSync(join(dir, "in.om"), `${om.join("\n")}\n`);
            const backfill = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", join(dir, "in.om"), data], {
                encoding: "utf8",
                timeout: 60000,
            });
            expect(backfill.status, backfill.stderr).to.equal(0);
            writeFileSync(join(dir, "prometheus.yml"), "global: {scrape_interval: 15s}\nscrape_configs: []\n");
            const port = await freePort();
            url = `http://127.0.0.1:${port}`;
            prom = spawn(prometheus as string, [
                `--config.file=${join(dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${data}`,
                "--storage.tsdb.retention.time=100y",
                `--web.listen-address=127.0.0.1:${port}`,
            ]);
            for (let i = 0; i < 100; i++) {
                const ok = await fetch(`${url}/-/ready`).then(
                    (r) => r.ok,
                    () => false,
                );
                if (ok) return;
                await new Promise((r) => setTimeout(r, 200));
            }
            throw new Error(`Prometheus did not become ready at ${url}`);
        });
        after(async () => {
            if (prom !== undefined && prom.exitCode === null) {
                const stopped = new Promise((r) => prom?.on("close", r));
                prom.kill("SIGTERM");
                await stopped;
            }
        });

        it("trains on one aggregated series", async () => {
            const out = join(dir, "prom-model.json");
            const res = await detector([
                "train",
                "--prometheus",
                url,
                "--query",
                "avg(node_cpu_busy)",
                "--hours",
                "6",
                "--end",
                String(end),
                "--name",
                "node-cpu",
                "--out",
                out,
                "--trees",
                "10",
            ]);
            expect(res.code, res.stderr).to.equal(0);
            expect(res.stderr).to.include(`fetched 2161 points from Prometheus at ${url}`);
            const m = loadModelFile(out);
            expect(m.training).to.deep.equal({ start: end - 6 * 3600, end, points: 2161 });
        });

        it("exits 1 naming Prometheus when the query returns several series or no data", async () => {
            const several = await detector([
                "train",
                "--prometheus",
                url,
                "--query",
                "node_cpu_busy",
                "--hours",
                "6",
                "--end",
                String(end),
                "--name",
                "n",
                "--out",
                join(dir, "x.json"),
            ]);
            expect(several.code).to.equal(1);
            expect(several.stderr).to.match(new RegExp(`Prometheus at ${url} returned 2 series for 'node_cpu_busy'`));
            const none = await detector([
                "train",
                "--prometheus",
                url,
                "--query",
                "node_memory_bytes",
                "--hours",
                "6",
                "--end",
                String(end),
                "--name",
                "n",
                "--out",
                join(dir, "x.json"),
            ]);
            expect(none.code).to.equal(1);
            expect(none.stderr).to.include(`Prometheus at ${url} returned no data for 'node_memory_bytes'`);
        });
    });
});
