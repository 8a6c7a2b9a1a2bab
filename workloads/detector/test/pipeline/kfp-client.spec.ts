/** The KFP REST client's retry rules and error messages, with a scripted fetch and a fake clock. */
import { expect } from "chai";
import { KfpClient, KfpError, kfpErrorMessage } from "../../src/pipeline/kfp-client";

type Step = Response | Error;

function refused(code = "ECONNREFUSED"): Error {
    return Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(`connect ${code} 10.0.0.1:8888`), { code }) });
}

function harness(steps: Step[], options: { waitMs?: number } = {}) {
    const calls: { url: string; method: string; body: unknown; headers: Record<string, string> }[] = [];
    const sleeps: number[] = [];
    const log: string[] = [];
    let clock = 0;
    const client = new KfpClient({
        baseUrl: "http://kfp.test:8888/",
        waitMs: options.waitMs ?? 60_000,
        initialBackoffMs: 1000,
        maxBackoffMs: 4000,
        log: (l) => log.push(l),
        now: () => clock,
        sleep: async (ms) => {
            sleeps.push(ms);
            clock += ms;
        },
        fetch: (async (url: URL, init: RequestInit) => {
            calls.push({ url: String(url), method: String(init.method), body: init.body, headers: init.headers as Record<string, string> });
            const next = steps.shift();
            if (next === undefined) throw new Error("no more scripted answers");
            if (next instanceof Error) throw next;
            return next;
        }) as typeof fetch,
    });
    return { client, calls, sleeps, log, advance: (ms: number) => (clock += ms) };
}

const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("KFP REST client", () => {
    it("sends query parameters and JSON bodies, records successful mutations only", async () => {
        const h = harness([json({ pipelines: [] }), json({ pipeline_id: "p1" }), json({ code: 3, message: "bad" }, 400)]);
        expect(h.client.baseUrl).to.equal("http://kfp.test:8888");
        await h.client.get("/apis/v2beta1/pipelines", { filter: '{"a":"b c"}', page_size: 100, page_token: undefined, namespace: "" });
        expect(h.calls[0].url).to.equal("http://kfp.test:8888/apis/v2beta1/pipelines?filter=%7B%22a%22%3A%22b+c%22%7D&page_size=100");
        expect(h.calls[0]).to.include({ method: "GET", body: undefined });
        expect(h.calls[0].headers).to.deep.equal({ accept: "application/json" });
        expect(await h.client.request("POST", "/apis/v2beta1/pipelines", { json: { name: "x" } })).to.deep.equal({ pipeline_id: "p1" });
        expect(h.calls[1]).to.include({ method: "POST", body: '{"name":"x"}' });
        expect(h.calls[1].headers).to.deep.equal({ accept: "application/json", "content-type": "application/json" });
        await h.client.request("DELETE", "/apis/v2beta1/recurringruns/r1").catch(() => undefined);
        expect(h.calls[2]).to.include({ method: "DELETE", body: undefined });
        expect(h.client.mutations).to.deep.equal(["POST /apis/v2beta1/pipelines"]);
    });

    it("uploads a file as multipart form data under the given field and file name", async () => {
        const h = harness([json({ pipeline_version_id: "v1" })]);
        await h.client.request("POST", "/apis/v2beta1/pipelines/upload_version", {
            query: { pipelineid: "p1" },
            file: { field: "uploadfile", filename: "pipeline.yaml", content: "a: 1\n", type: "application/x-yaml" },
        });
        const form = h.calls[0].body as FormData;
        const file = form.get("uploadfile") as File;
        expect(file.name).to.equal("pipeline.yaml");
        expect(file.type).to.equal("application/x-yaml");
        expect(await file.text()).to.equal("a: 1\n");
        expect(h.calls[0].headers).to.deep.equal({ accept: "application/json" });
    });

    it("an empty 200 body is an empty object; a non-JSON one is an error naming KFP", async () => {
        const h = harness([
            new Response("", { status: 200 }),
            new Response(" \n", { status: 200 }),
            new Response("<html>", { status: 200 }),
        ]);
        expect(await h.client.request("POST", "/apis/v2beta1/recurringruns/r:enable")).to.deep.equal({});
        expect(await h.client.request("POST", "/apis/v2beta1/recurringruns/r:disable")).to.deep.equal({});
        const err = await h.client.get("/apis/v2beta1/healthz").catch((e: KfpError) => e);
        expect(err).to.be.instanceOf(KfpError);
        expect((err as KfpError).message).to.equal(
            "KFP API at http://kfp.test:8888 answered GET /apis/v2beta1/healthz with a body that is not JSON: <html>",
        );
    });

    it("retries connection refused with doubling backoff capped at the maximum", async () => {
        const h = harness([refused(), refused("ENOTFOUND"), refused("EAI_AGAIN"), refused(), json({ ok: true })]);
        expect(await h.client.request("POST", "/x")).to.deep.equal({ ok: true });
        expect(h.sleeps).to.deep.equal([1000, 2000, 4000, 4000]);
        expect(h.log[0]).to.equal(
            "KFP API at http://kfp.test:8888 not ready (POST /x: connect ECONNREFUSED 10.0.0.1:8888); retrying in 1 s",
        );
        expect(h.log[1]).to.include("ENOTFOUND");
    });

    it("retries 503 for every method and other 5xx for GET only", async () => {
        const h = harness([
            json({ message: "unavailable" }, 503),
            json({}, 200),
            json({ message: "db" }, 500),
            json({ x: 1 }),
            json({ message: "db" }, 502),
        ]);
        await h.client.request("DELETE", "/r/1");
        expect(await h.client.get("/r")).to.deep.equal({ x: 1 });
        const err = (await h.client.request("POST", "/r").catch((e: KfpError) => e)) as KfpError;
        expect(err.status).to.equal(502);
        expect(err.message).to.equal("KFP API at http://kfp.test:8888 rejected POST /r (502 Bad Gateway: db)");
        expect(h.sleeps).to.have.length(2);
    });

    it("retries a reset or timeout for GET, but not for POST (it may have been processed)", async () => {
        const reset = Object.assign(new TypeError("fetch failed"), {
            cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
        });
        const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
        const h = harness([reset, timeout, json({ ok: 1 }), timeout]);
        expect(await h.client.get("/x")).to.deep.equal({ ok: 1 });
        expect(h.log[1]).to.include("no answer within 30 s");
        const err = (await h.client.request("POST", "/x").catch((e: KfpError) => e)) as KfpError;
        expect(err.message).to.equal(
            "KFP API at http://kfp.test:8888: POST /x failed (no answer within 30 s); not retried because KFP may have processed it, run the registration again",
        );
        expect(err.status).to.equal(undefined);
    });

    it("gives up at the deadline, counting attempts, never sleeping past it", async () => {
        const h = harness([refused(), refused(), refused(), refused()], { waitMs: 2500 });
        const err = (await h.client.get("/apis/v2beta1/healthz").catch((e: KfpError) => e)) as KfpError;
        expect(h.sleeps).to.deep.equal([1000, 1500]);
        expect(err.message).to.equal(
            "KFP API at http://kfp.test:8888 is not available: GET /apis/v2beta1/healthz failed 3 time(s) over 3 s (last: connect ECONNREFUSED 10.0.0.1:8888); check that KFP's API server (Service ml-pipeline, port 8888) is running and reachable",
        );
    });

    it("the deadline starts at the first request and spans the whole registration", async () => {
        const h = harness([json({}), refused(), refused()], { waitMs: 5000 });
        await h.client.get("/a");
        h.advance(4500);
        await h.client.get("/b").catch(() => undefined);
        expect(h.sleeps).to.deep.equal([500]);
    });

    it("does not retry a GET answered 4xx, nor a POST whose connection was reset", async () => {
        const reset = Object.assign(new TypeError("fetch failed"), {
            cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
        });
        const h = harness([json({ code: 5, message: "Pipeline p not found" }, 404), reset, reset, json({})]);
        const err = (await h.client.get("/p").catch((e: KfpError) => e)) as KfpError;
        expect(err.message).to.equal("KFP API at http://kfp.test:8888 rejected GET /p (404 Not Found: Pipeline p not found)");
        expect(err.name).to.equal("KfpError");
        const post = (await h.client.request("POST", "/p").catch((e: KfpError) => e)) as KfpError;
        expect(post.message).to.include("POST /p failed (ECONNRESET: socket hang up); not retried");
        // The same reset on a GET is retried, and the log names the code.
        await h.client.get("/p");
        expect(h.log).to.deep.equal(["KFP API at http://kfp.test:8888 not ready (GET /p: ECONNRESET: socket hang up); retrying in 1 s"]);
    });

    it("retries a GET that failed without an error code, and reads codes nested in an AggregateError", async () => {
        const nested = Object.assign(new TypeError("fetch failed"), {
            cause: { message: "connect failed", errors: [{ code: "ECONNREFUSED" }] },
        });
        const h = harness([new Error("boom"), nested, json({ ok: 1 }), nested, json({ ok: 2 })]);
        expect(await h.client.get("/x")).to.deep.equal({ ok: 1 });
        expect(h.log[0]).to.include("(GET /x: boom)");
        expect(h.log[1]).to.include("(GET /x: ECONNREFUSED: connect failed)");
        expect(await h.client.request("POST", "/x")).to.deep.equal({ ok: 2 });
    });

    it("uses real timers and a 1 s first backoff by default", async () => {
        const answers: Step[] = [refused(), json({ ok: 1 })];
        const started = Date.now();
        const client = new KfpClient({
            baseUrl: "http://kfp.test//",
            fetch: (async () => {
                const next = answers.shift() as Step;
                if (next instanceof Error) throw next;
                return next;
            }) as typeof fetch,
        });
        expect(client.baseUrl).to.equal("http://kfp.test");
        expect(await client.get("/x")).to.deep.equal({ ok: 1 });
        expect(Date.now() - started).to.be.within(900, 5000);
    });

    it("does not retry a 4xx and reports the server's message", async () => {
        const h = harness([json({ error_message: "Failed to create a pipeline version", error_details: "..." }, 409)]);
        const err = (await h.client.request("POST", "/u").catch((e: KfpError) => e)) as KfpError;
        expect(err.status).to.equal(409);
        expect(err.message).to.equal(
            "KFP API at http://kfp.test:8888 rejected POST /u (409 Conflict: Failed to create a pipeline version)",
        );
        expect(h.sleeps).to.deep.equal([]);
    });

    it("extracts the message from each of KFP's error shapes", () => {
        expect(kfpErrorMessage('{"code":3,"message":"Invalid input error: x","details":[]}')).to.equal("Invalid input error: x");
        expect(kfpErrorMessage('{"error_message":"Failed","error_details":"Failed: stack"}')).to.equal("Failed");
        expect(kfpErrorMessage('{"error":"denied"}')).to.equal("denied");
        expect(kfpErrorMessage('{"message":""}')).to.equal('{"message":""}');
        expect(kfpErrorMessage("  Namespace is required\n")).to.equal("Namespace is required");
        expect(kfpErrorMessage("x".repeat(600))).to.equal(`${"x".repeat(500)}...`);
        expect(kfpErrorMessage("x".repeat(500))).to.equal("x".repeat(500));
        expect(kfpErrorMessage("")).to.equal("(empty body)");
        expect(kfpErrorMessage(" \n")).to.equal("(empty body)");
    });

    it("refuses a base URL that is not http(s)", () => {
        expect(() => new KfpClient({ baseUrl: "ml-pipeline.kubeflow:8888" })).to.throw(
            "KFP API URL 'ml-pipeline.kubeflow:8888' must be http:// or https://",
        );
        expect(() => new KfpClient({ baseUrl: "not a url" })).to.throw(
            "KFP API URL 'not a url' is not a URL; expected e.g. http://ml-pipeline.kubeflow.svc.cluster.local:8888",
        );
        expect(new KfpClient({ baseUrl: "https://kfp.example/" }).baseUrl).to.equal("https://kfp.example");
    });
});
