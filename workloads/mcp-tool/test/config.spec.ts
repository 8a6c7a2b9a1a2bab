import { expect } from "chai";
import { ConfigError, DEFAULT_ALLOWED_HOSTS, parseConfig } from "../src/config";

const base = { PROMETHEUS_URL: "http://prometheus:9090", INFERENCE_SERVICE_URL: "http://detector:8080" };

function problemsOf(env: Record<string, string>): string[] {
    try {
        parseConfig(env);
    } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return [...(err as ConfigError).problems];
    }
    throw new Error("expected a ConfigError");
}

describe("mcp-tool config", () => {
    it("applies the documented defaults", () => {
        const c = parseConfig(base);
        expect(c.port).to.equal(8080);
        expect(c.host).to.equal("0.0.0.0");
        expect(c.prometheusUrl).to.equal("http://prometheus:9090/");
        expect(c.inferenceServiceUrl).to.equal("http://detector:8080/");
        expect(c.models).to.deep.equal({ cpu: "node-cpu", memory: "node-memory", disk: "node-disk", network: "node-network" });
        expect(c.defaultInstance).to.equal(undefined);
        expect(c.prometheusTimeoutMs).to.equal(10_000);
        expect(c.inferenceTimeoutMs).to.equal(10_000);
        expect(c.allowedHosts).to.deep.equal([...DEFAULT_ALLOWED_HOSTS]);
    });

    it("reads every variable", () => {
        const c = parseConfig({
            ...base,
            PORT: "9000",
            HOST: "127.0.0.1",
            PROMETHEUS_URL: "https://mon.example/prometheus",
            MODEL_CPU: "cpu-v2",
            MODEL_MEMORY: "mem",
            MODEL_DISK: "disk.v1",
            MODEL_NETWORK: "net_1",
            DEFAULT_INSTANCE_IP: "10.0.1.10:9100",
            PROMETHEUS_TIMEOUT_MS: "2500",
            INFERENCE_TIMEOUT_MS: "4000",
            ALLOWED_HOSTS: "anomaly-mcp.kagent.svc.cluster.local:8080, anomaly-mcp.kagent.svc ,LOCALHOST",
        });
        expect(c.port).to.equal(9000);
        expect(c.host).to.equal("127.0.0.1");
        // the path prefix survives, with a trailing slash for relative API paths
        expect(c.prometheusUrl).to.equal("https://mon.example/prometheus/");
        expect(c.models).to.deep.equal({ cpu: "cpu-v2", memory: "mem", disk: "disk.v1", network: "net_1" });
        expect(c.defaultInstance).to.equal("10.0.1.10:9100");
        expect(c.prometheusTimeoutMs).to.equal(2500);
        expect(c.inferenceTimeoutMs).to.equal(4000);
        expect(c.allowedHosts).to.deep.equal(["anomaly-mcp.kagent.svc.cluster.local", "anomaly-mcp.kagent.svc", "localhost"]);
    });

    it("names both required URLs when they are missing", () => {
        const problems = problemsOf({});
        expect(problems).to.have.length(2);
        expect(problems[0]).to.match(/^PROMETHEUS_URL is required: set it to the base URL, e\.g\. http/);
        expect(problems[1]).to.match(/^INFERENCE_SERVICE_URL is required/);
    });

    it("collects every bad variable in one error, each with the bad value", () => {
        const problems = problemsOf({
            PROMETHEUS_URL: "prometheus:9090",
            INFERENCE_SERVICE_URL: "ftp://detector",
            PORT: "eighty",
            MODEL_DISK: "bad/name",
            DEFAULT_INSTANCE_IP: "10.0.0.1; drop",
            PROMETHEUS_TIMEOUT_MS: "-5",
            INFERENCE_TIMEOUT_MS: "1e9",
            ALLOWED_HOSTS: "good.svc,http://evil/",
        });
        expect(problems).to.deep.equal([
            "PORT must be an integer from 0 to 65535 (the port to listen on; 0 picks a free one); got 'eighty'",
            "PROMETHEUS_URL must use http or https, e.g. http://prometheus-server.monitoring.svc:9090; got 'prometheus:9090'",
            "INFERENCE_SERVICE_URL must use http or https, e.g. http://anomaly-detector.aiops.svc:8080; got 'ftp://detector'",
            "MODEL_DISK must be a model name of letters, digits, '.', '_' or '-' (e.g. node-disk); got 'bad/name'",
            "DEFAULT_INSTANCE_IP must be a host or host:port such as 10.0.1.10:9100; got '10.0.0.1; drop'",
            "PROMETHEUS_TIMEOUT_MS must be an integer from 1 to 120000 (milliseconds); got '-5'",
            "INFERENCE_TIMEOUT_MS must be an integer from 1 to 120000 (milliseconds); got '1e9'",
            "ALLOWED_HOSTS entries must be host names or host:port (e.g. anomaly-mcp.kagent.svc.cluster.local:8080); got 'http://evil/'",
        ]);
    });

    it("the error message lists every problem on its own line", () => {
        try {
            parseConfig({ PORT: "x" });
            expect.fail("expected a ConfigError");
        } catch (err) {
            expect((err as Error).message.split("\n")).to.have.length(4);
            expect((err as Error).message).to.match(/^invalid configuration:\n  - PORT/);
        }
    });

    it("refuses URLs with a query string and an ALLOWED_HOSTS with no names", () => {
        expect(problemsOf({ ...base, PROMETHEUS_URL: "http://p:9090/?x=1" })).to.deep.equal([
            "PROMETHEUS_URL must be a base URL without query or fragment, e.g. http://prometheus-server.monitoring.svc:9090; got 'http://p:9090/?x=1'",
        ]);
        expect(problemsOf({ ...base, ALLOWED_HOSTS: " , " })).to.deep.equal([
            "ALLOWED_HOSTS must list at least one host name, e.g. localhost,anomaly-mcp.kagent.svc",
        ]);
    });
});
