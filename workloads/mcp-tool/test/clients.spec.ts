import { createServer, Server } from "node:http";
import { expect } from "chai";
import { analyse, validateRequest } from "../src/analysis";
import { DetectorClient } from "../src/detector";
import { DependencyError, fetchWithin, ToolError } from "../src/errors";
import { archOf, describeInstance } from "../src/instances";
import { formatValue } from "@aiops/contract";
import { PrometheusClient } from "../src/prometheus";

/** A stub HTTP server answering every request with one canned status and body, recording the last request. */
async function cannedServer(
    status: number,
    body: string,
): Promise<{ server: Server; url: string; last: () => { path: string; body: string } }> {
    let last = { path: "", body: "" };
    const server = createServer((req, res) => {
        let text = "";
        req.on("data", (d: Buffer) => (text += d.toString()));
        req.on("end", () => {
            last = { path: req.url ?? "", body: text };
            res.writeHead(status, { "content-type": "application/json" }).end(body);
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    return { server, url: `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}/`, last: () => last };
}

async function rejection(p: Promise<unknown>): Promise<DependencyError> {
    try {
        await p;
    } catch (err) {
        expect(err).to.be.instanceOf(DependencyError);
        return err as DependencyError;
    }
    throw new Error("expected a DependencyError");
}

describe("mcp-tool dependency clients", () => {
    const servers: Server[] = [];
    after(() => servers.forEach((s) => s.close()));

    it("sends the detector the raw series as OIP FP64 tensors and reads score and label", async () => {
        const stub = await cannedServer(
            200,
            JSON.stringify({
                model_name: "node-cpu",
                id: "x",
                outputs: [
                    { name: "score", shape: [2], datatype: "FP64", data: [-0.41, -0.73] },
                    { name: "label", shape: [2], datatype: "INT64", data: [1, -1] },
                ],
            }),
        );
        servers.push(stub.server);
        const prediction = await new DetectorClient(stub.url, 1000).infer("node-cpu", [100, 110], [20.5, 99]);
        expect(prediction).to.deep.equal({ scores: [-0.41, -0.73], labels: [1, -1] });
        expect(stub.last().path).to.equal("/v2/models/node-cpu/infer");
        const sent = JSON.parse(stub.last().body) as { id: string; inputs: unknown[] };
        expect(sent.id).to.match(/^[0-9a-f-]{36}$/);
        expect(sent.inputs).to.deep.equal([
            { name: "timestamp", shape: [2], datatype: "FP64", data: [100, 110] },
            { name: "value", shape: [2], datatype: "FP64", data: [20.5, 99] },
        ]);
    });

    it("refuses a detector answer without label output of the right length", async () => {
        const stub = await cannedServer(
            200,
            JSON.stringify({ outputs: [{ name: "score", shape: [2], datatype: "FP64", data: [-0.4, -0.5] }] }),
        );
        servers.push(stub.server);
        const err = await rejection(new DetectorClient(stub.url, 1000).infer("m", [1, 2], [3, 4]));
        expect(err.kind).to.equal("bad_response");
        expect(err.message).to.match(
            /^the detector at http:\/\/127\.0\.0\.1:\d+\/v2\/models\/m\/infer returned no 'score' and 'label' outputs of length 2: /,
        );
    });

    it("quotes the detector's {error} on a 4xx", async () => {
        const stub = await cannedServer(400, JSON.stringify({ error: "input 'value' has 3 elements; shape says 2" }));
        servers.push(stub.server);
        const err = await rejection(new DetectorClient(stub.url, 1000).infer("m", [1, 2], [3, 4]));
        expect(err.message).to.match(/answered HTTP 400 for model m: input 'value' has 3 elements; shape says 2$/);
    });

    it("quotes Prometheus's error for a rejected query", async () => {
        const stub = await cannedServer(
            400,
            JSON.stringify({
                status: "error",
                errorType: "bad_data",
                error: "exceeded maximum resolution of 11,000 points per timeseries",
            }),
        );
        servers.push(stub.server);
        const err = await rejection(new PrometheusClient(stub.url, 1000).queryRange("up", 0, 86400, 1));
        expect(err.message).to.match(
            /^Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range rejected the query \(HTTP 400\): exceeded maximum resolution/,
        );
        expect(stub.last().body).to.equal("query=up&start=0&end=86400&step=1");
    });

    it("drops NaN samples Prometheus returns (e.g. 0/0)", async () => {
        const stub = await cannedServer(
            200,
            JSON.stringify({
                status: "success",
                data: {
                    resultType: "matrix",
                    result: [
                        {
                            metric: { instance: "a:9100" },
                            values: [
                                [10, "1.5"],
                                [20, "NaN"],
                                [30, "+Inf"],
                                [40, "2"],
                            ],
                        },
                    ],
                },
            }),
        );
        servers.push(stub.server);
        const [series] = await new PrometheusClient(stub.url, 1000).queryRange("q", 10, 40, 10);
        expect(series.points).to.deep.equal([
            [10, 1.5],
            [40, 2],
        ]);
    });

    it("abandons a response body over the byte cap, declared or streamed, with a bad_response error", async () => {
        // One server that streams 64 KiB in 1 KiB chunks without a content-length, one that declares its length.
        const chunk = "x".repeat(1024);
        const streaming = createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            let sent = 0;
            const write = (): void => {
                if (res.destroyed) return;
                if (sent++ === 64) return void res.end();
                res.write(chunk, write);
            };
            write();
        });
        await new Promise<void>((r) => streaming.listen(0, "127.0.0.1", r));
        servers.push(streaming);
        const declared = await cannedServer(200, "y".repeat(8192));
        servers.push(declared.server);
        const port = (streaming.address() as { port: number }).port;

        const streamed = await rejection(fetchWithin("prometheus", new URL(`http://127.0.0.1:${port}/api/v1/query`), {}, 2000, 4096));
        expect(streamed.kind).to.equal("bad_response");
        expect(streamed.message).to.match(
            /^Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query answered HTTP 200 with a body over 4096 bytes, the most this tool reads from it; narrow the query$/,
        );
        const big = await rejection(fetchWithin("detector", new URL(`${declared.url}v2/health/ready`), {}, 2000, 4096));
        expect(big.kind).to.equal("bad_response");
        expect(big.dependency).to.equal("detector");
        // Under the cap the whole body comes back.
        expect(await fetchWithin("detector", new URL(declared.url), {}, 2000, 8192)).to.deep.equal({ status: 200, body: "y".repeat(8192) });
    });

    it("names a connection dropped mid-body as unreachable and a body that stalls as a timeout, never a hang", async () => {
        // fetchWithin reads bodies with node:http (docs/mcp-tool-memory.md); both ends of a body must settle the call.
        const dropping = createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
            res.write("{", () => res.socket?.destroy());
        });
        const stalling = createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.write("{");
        });
        for (const s of [dropping, stalling]) {
            await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
            servers.push(s);
        }
        const url = (s: Server, path: string) => new URL(`http://127.0.0.1:${(s.address() as { port: number }).port}${path}`);
        const dropped = await rejection(fetchWithin("detector", url(dropping, "/v2/health/ready"), {}, 2000));
        expect(dropped.kind).to.equal("unreachable");
        expect(dropped.message).to.match(/^the detector at http:\/\/127\.0\.0\.1:\d+\/v2\/health\/ready is unreachable \(ECONNRESET\)$/);
        const t0 = Date.now();
        const stalled = await rejection(fetchWithin("prometheus", url(stalling, "/api/v1/query"), {}, 300));
        expect(stalled.kind).to.equal("timeout");
        expect(stalled.message).to.match(/^Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query did not answer within 300 ms$/);
        expect(Date.now() - t0).to.be.below(2000);
        stalling.closeAllConnections();
    });

    it("refuses a query_range answer whose series have no values array instead of failing inside the tool", async () => {
        const stub = await cannedServer(
            200,
            JSON.stringify({ status: "success", data: { resultType: "matrix", result: [{ metric: { instance: "a:9100" } }] } }),
        );
        servers.push(stub.server);
        const err = await rejection(new PrometheusClient(stub.url, 1000).queryRange("q", 10, 40, 10));
        expect(err.kind).to.equal("bad_response");
        expect(err.message).to.match(/query_range returned a malformed matrix: result\[0\] has no values array$/);
    });

    it("validates analysis arguments outside zod: metric name, default instance, instance shape", () => {
        expect(validateRequest({ hours: 1 }, "10.0.0.5:9100")).to.deep.equal({ instance: "10.0.0.5:9100", hours: 1, metric: "cpu" });
        expect(() => validateRequest({ instance: "a:9100", hours: 1, metric: "gpu" }, undefined)).to.throw(
            ToolError,
            "metric must be one of cpu, memory, disk, network; got 'gpu'",
        );
        expect(() => validateRequest({ hours: 1 }, undefined)).to.throw(
            ToolError,
            /instance_ip is required because no DEFAULT_INSTANCE_IP is configured/,
        );
        expect(() => validateRequest({ instance: "a b", hours: 1 }, undefined)).to.throw(
            ToolError,
            "instance_ip must be a host or host:port such as 10.0.1.10:9100; got 'a b'",
        );
    });

    it("maps kernel machine names to container architectures and formats values with units", () => {
        expect([archOf("aarch64"), archOf("x86_64"), archOf("armv7l"), archOf("mips")]).to.deep.equal(["arm64", "amd64", "arm", undefined]);
        expect(describeInstance({ instance: "n:9100", nodename: "n1", machine: "mips", up: false })).to.equal("n:9100 (n1, mips, down)");
        expect([formatValue("cpu", 97.349), formatValue("network", 950), formatValue("network", 61_234_000)]).to.deep.equal([
            "97.3%",
            "950 B/s",
            "61.2 MB/s",
        ]);
    });

    it("refuses an instance that matches several targets, naming them", async () => {
        const series = (instance: string) => ({
            metric: { instance },
            // Inside the asked window (the last hour before now = 1,000,000 s): points outside it are refused.
            values: [
                [999_990, "1"],
                [1_000_000, "2"],
            ],
        });
        const stub = await cannedServer(
            200,
            JSON.stringify({
                status: "success",
                data: { resultType: "matrix", result: [series("10.0.0.5:9100"), series("10.0.0.5:9200")] },
            }),
        );
        servers.push(stub.server);
        const deps = {
            prometheus: new PrometheusClient(stub.url, 1000),
            detector: new DetectorClient("http://127.0.0.1:9/", 1000),
            models: { cpu: "c", memory: "m", disk: "d", network: "n" },
            defaultInstance: undefined,
            now: () => 1_000_000_000,
        };
        try {
            await analyse(deps, { instance: "10.0.0.5", hours: 1 });
            expect.fail("expected a ToolError");
        } catch (err) {
            expect(err).to.be.instanceOf(ToolError);
            expect((err as Error).message).to.equal(
                "instance 10.0.0.5 matches several targets (10.0.0.5:9100, 10.0.0.5:9200); pass one of them with its port",
            );
        }
    });
});
