import { expect } from "chai";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { App, createApp, isAllowedHost } from "../src/app";
import { parseConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { freePort } from "./support/prometheus";
import { INITIALIZE, MCP_HEADERS, rawRequest } from "./support/http";

describe("mcp-tool HTTP server", () => {
    let app: App;
    let port: number;
    let closedPort: number;

    before(async () => {
        closedPort = await freePort(); // nothing listens here: both dependencies are down
        const config = parseConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: `http://127.0.0.1:${closedPort}`,
            INFERENCE_SERVICE_URL: `http://127.0.0.1:${closedPort}/detector`,
            PROMETHEUS_TIMEOUT_MS: "2000",
            INFERENCE_TIMEOUT_MS: "2000",
        });
        app = createApp(config, { logger: silentLogger, defaultMetrics: false });
        port = await app.listen();
    });

    after(async () => {
        await app.close();
    });

    it("checks Host names port-agnostically", () => {
        const allowed = ["localhost", "127.0.0.1", "[::1]", "mcp.kagent.svc"];
        expect(isAllowedHost("localhost:8080", allowed)).to.equal(true);
        expect(isAllowedHost("MCP.kagent.svc", allowed)).to.equal(true);
        expect(isAllowedHost("[::1]:3000", allowed)).to.equal(true);
        expect(isAllowedHost("evil.example", allowed)).to.equal(false);
        expect(isAllowedHost("localhost.evil.example", allowed)).to.equal(false);
        expect(isAllowedHost(undefined, allowed)).to.equal(false);
    });

    it("refuses a foreign Host on /mcp with 403 (DNS rebinding)", async () => {
        const res = await rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: "attacker.example:8080" }, INITIALIZE);
        expect(res.status).to.equal(403);
        expect(JSON.parse(res.body)).to.deep.equal({
            jsonrpc: "2.0",
            error: { code: -32000, message: "Invalid Host header: attacker.example:8080" },
            id: null,
        });
    });

    it("answers initialize for an allowed Host", async () => {
        const res = await rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: `localhost:${port}` }, INITIALIZE);
        expect(res.status).to.equal(200);
        const body = JSON.parse(res.body) as { result: { protocolVersion: string; serverInfo: { name: string } } };
        expect(body.result.protocolVersion).to.equal("2025-03-26");
        expect(body.result.serverInfo.name).to.equal("anomaly-detection-mcp");
    });

    for (const method of ["GET", "DELETE"]) {
        it(`answers ${method} /mcp with 405 (stateless: no stream, no session)`, async () => {
            const res = await rawRequest(port, method, "/mcp", { host: "127.0.0.1", accept: "text/event-stream" });
            expect(res.status).to.equal(405);
            expect(res.headers.allow).to.equal("POST");
            expect(JSON.parse(res.body).error.message).to.match(/only accepts POST/);
        });
    }

    it("answers a malformed body with a JSON-RPC parse error", async () => {
        const res = await rawRequest(port, "POST", "/mcp", { ...MCP_HEADERS, host: "localhost" }, "{not json");
        expect(res.status).to.equal(400);
        expect(JSON.parse(res.body).error.code).to.equal(-32700);
    });

    it("is live on /healthz whatever the dependencies do", async () => {
        const res = await rawRequest(port, "GET", "/healthz", { host: "10.1.2.3:8080" });
        expect(res.status).to.equal(200);
        expect(JSON.parse(res.body)).to.deep.equal({ status: "ok" });
    });

    it("reports on /readyz which dependency is down, with its URL", async () => {
        const res = await rawRequest(port, "GET", "/readyz", { host: "10.1.2.3:8080" });
        expect(res.status).to.equal(503);
        const body = JSON.parse(res.body) as {
            ready: boolean;
            down: string[];
            prometheus: { ok: boolean; error: string };
            detector: { ok: boolean; error: string };
        };
        expect(body.ready).to.equal(false);
        expect(body.down).to.deep.equal(["prometheus", "detector"]);
        expect(body.prometheus.error).to.equal(`Prometheus at http://127.0.0.1:${closedPort}/-/ready is unreachable (ECONNREFUSED)`);
        expect(body.detector.error).to.equal(
            `the detector at http://127.0.0.1:${closedPort}/detector/v2/health/ready is unreachable (ECONNREFUSED)`,
        );
    });

    it("lists the three read-only tools with input and output schemas through the SDK client", async () => {
        const client = new Client({ name: "http-spec", version: "0" });
        await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
        try {
            const { tools } = await client.listTools();
            expect(tools.map((t) => t.name).sort()).to.deep.equal(["list_instances", "predict_anomalies", "query_prometheus_and_predict"]);
            for (const t of tools) {
                expect(t.annotations?.readOnlyHint, t.name).to.equal(true);
                expect(t.outputSchema?.type, t.name).to.equal("object");
                expect(t.description ?? "", t.name).to.have.length.greaterThan(80);
            }
            const predict = tools.find((t) => t.name === "predict_anomalies")!;
            expect(predict.inputSchema.required).to.deep.equal(["hours"]);
            expect(Object.keys(predict.inputSchema.properties ?? {})).to.deep.equal(["instance_ip", "hours", "metric"]);
            const query = tools.find((t) => t.name === "query_prometheus_and_predict")!;
            expect(query.inputSchema.required).to.deep.equal(["instance_ip", "time_range_hours"]);
        } finally {
            await client.close();
        }
    });

    it("exports tool-call and dependency-error metrics on /metrics", async () => {
        const client = new Client({ name: "http-spec", version: "0" });
        await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
        try {
            const result = await client.callTool({ name: "list_instances", arguments: {} });
            expect(result.isError).to.equal(true);
        } finally {
            await client.close();
        }
        const res = await rawRequest(port, "GET", "/metrics", { host: "10.1.2.3:8080" });
        expect(res.status).to.equal(200);
        expect(res.body).to.include('mcp_tool_calls_total{tool="list_instances",outcome="dependency_error"} 1');
        expect(res.body).to.include('mcp_dependency_errors_total{dependency="prometheus",kind="unreachable"} 1');
        expect(res.body).to.match(/mcp_tool_call_duration_seconds_count\{tool="list_instances"\} 1/);
    });

    it("answers unknown paths with 404 and a hint", async () => {
        const res = await rawRequest(port, "GET", "/sse", { host: "localhost" });
        expect(res.status).to.equal(404);
        expect(JSON.parse(res.body).error).to.equal("no route for /sse; the MCP endpoint is POST /mcp");
    });
});
