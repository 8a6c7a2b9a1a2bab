/**
 * The HTTP layer on node:http (src/http.ts) on its own: routing, bodies, limits, request ids, the response
 * hook and the graceful close. The detector's own answers over it are in server.spec.ts and adversarial.spec.ts.
 */
import { expect } from "chai";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { HttpApp, HttpAppOptions, HttpRequest } from "../src/http";
import { HttpError } from "../src/http-error";
import { JsonLogger } from "../src/log";

interface Seen {
    route: string | undefined;
    status: number;
    ms: number;
    id: string;
}

function makeApp(overrides: Partial<HttpAppOptions> = {}): { app: HttpApp; seen: Seen[]; closed: number[]; errors: unknown[] } {
    const seen: Seen[] = [];
    const closed: number[] = [];
    const errors: unknown[] = [];
    const app = new HttpApp({
        logger: JsonLogger.create(false),
        bodyLimit: 100,
        requestTimeoutMs: 5_000,
        parseJson: (text) => {
            if (text === "") throw new HttpError(400, "empty");
            return JSON.parse(text) as unknown;
        },
        onError: (err) =>
            errors.push(err) && err instanceof HttpError
                ? { status: err.status, headers: err.headers, body: { error: err.message } }
                : { status: 500, body: { error: String(err) } },
        notFound: (req) => ({ status: 404, body: { error: `no route ${req.method} ${req.url}` } }),
        onResponse: (req, status, ms) => seen.push({ route: req.route, status, ms, id: req.id }),
        onClose: () => {
            closed.push(Date.now());
        },
        ...overrides,
    });
    app.get("/v2/models/:name", (req) => ({ body: { params: req.params, url: req.url } }));
    app.get("/v2/models/:name/versions/:version", (req) => ({ body: { params: req.params } }));
    app.get("/text", () => ({ body: "plain words" }));
    app.get("/typed", () => ({ body: "# HELP x\n", type: "text/plain; version=0.0.4", headers: { "x-extra": "1" } }));
    app.get("/id", (req) => ({ body: { id: req.id } }));
    app.get("/boom", () => {
        throw new Error("kaput");
    });
    app.get("/busy", () => Promise.reject(new HttpError(503, "busy", { "retry-after": "1" })));
    app.post("/echo", (req: HttpRequest) => ({ status: 201, body: { body: req.body ?? null } }));
    return { app, seen, closed, errors };
}

async function request(base: string, path: string, init: RequestInit = {}) {
    const res = await fetch(base + path, init);
    const text = await res.text();
    return {
        status: res.status,
        headers: res.headers,
        text,
        json: text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
}

/** Raw HTTP/1.1 on one socket: resolves with everything the server sent once it closes the connection. */
function raw(port: number, data: string, onFirstByte?: () => void): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let out = "";
        socket.on("data", (d: Buffer) => {
            if (out === "") onFirstByte?.();
            out += d.toString();
        });
        socket.on("error", reject);
        socket.on("close", () => resolve(out));
        socket.write(data);
    });
}

describe("detector HTTP layer (node:http)", () => {
    let app: HttpApp;
    let seen: Seen[];
    let closed: number[];
    let errors: unknown[];
    let base: string;
    let port: number;

    beforeEach(async () => {
        ({ app, seen, closed, errors } = makeApp());
        base = await app.listen({ port: 0, host: "127.0.0.1" });
        port = Number(new URL(base).port);
    });
    afterEach(() => app.close());

    it("listens on the asked host and resolves to its base URL", () => {
        expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(port).to.be.greaterThan(0);
    });

    it("matches :param segments, URL-decodes them and ignores the query", async () => {
        const r = await request(base, "/v2/models/node%2Dcpu?x=1");
        expect(r.status).to.equal(200);
        expect(r.json).to.deep.equal({ params: { name: "node-cpu" }, url: "/v2/models/node%2Dcpu?x=1" });
        const v = await request(base, "/v2/models/cpu/versions/abc");
        expect(v.json).to.deep.equal({ params: { name: "cpu", version: "abc" } });
        expect(seen.map((s) => s.route)).to.deep.equal(["/v2/models/:name", "/v2/models/:name/versions/:version"]);
    });

    it("answers 404 through notFound for unknown paths, bad percent-encoding, empty params, extra segments and wrong methods", async () => {
        for (const [method, path] of [
            ["GET", "/nope"],
            ["GET", "/v2/models/%E0%A4%A"],
            ["GET", "/v2/models/"],
            ["GET", "/v2/models/cpu/extra/segments"],
            ["GET", "/v2/models/cpu/"],
            ["POST", "/text"],
            ["DELETE", "/v2/models/cpu"],
            ["GET", "/echo"],
        ]) {
            const r = await request(base, path, { method });
            expect(r.status, `${method} ${path}`).to.equal(404);
            expect(r.json.error).to.equal(`no route ${method} ${path}`);
        }
        expect(seen.every((s) => s.route === undefined && s.status === 404)).to.equal(true);
    });

    it("sends objects as JSON, strings as text/plain, and a handler's own type and headers", async () => {
        const j = await request(base, "/v2/models/cpu");
        expect(j.headers.get("content-type")).to.equal("application/json; charset=utf-8");
        expect(j.headers.get("connection"), "connections stay open while not closing").to.equal("keep-alive");
        expect(j.headers.get("content-length")).to.equal(String(Buffer.byteLength(j.text)));
        const t = await request(base, "/text");
        expect(t.headers.get("content-type")).to.equal("text/plain; charset=utf-8");
        expect(t.text).to.equal("plain words");
        const typed = await request(base, "/typed");
        expect(typed.headers.get("content-type")).to.equal("text/plain; version=0.0.4");
        expect(typed.headers.get("x-extra")).to.equal("1");
    });

    it("answers HEAD on GET routes with the headers and no body", async () => {
        const r = await request(base, "/text", { method: "HEAD" });
        expect(r.status).to.equal(200);
        expect(r.headers.get("content-length")).to.equal(String("plain words".length));
        expect(r.text).to.equal("");
    });

    it("uses the caller's x-request-id, else a fresh UUID per request", async () => {
        expect((await request(base, "/id", { headers: { "x-request-id": "trace-7" } })).json.id).to.equal("trace-7");
        const blank = (await request(base, "/id", { headers: { "x-request-id": "" } })).json.id as string;
        expect(blank, "an empty x-request-id gets a fresh id").to.match(/^[0-9a-f-]{36}$/);
        const a = (await request(base, "/id")).json.id as string;
        const b = (await request(base, "/id")).json.id as string;
        expect(a).to.match(/^[0-9a-f-]{36}$/);
        expect(a).not.to.equal(b);
        expect(seen.map((s) => s.id)).to.deep.equal(["trace-7", blank, a, b]);
    });

    it("turns a handler's throw or rejection into onError's answer, with its headers", async () => {
        const boom = await request(base, "/boom");
        expect(boom.status).to.equal(500);
        expect(boom.json.error).to.equal("Error: kaput");
        const busy = await request(base, "/busy");
        expect(busy.status).to.equal(503);
        expect(busy.headers.get("retry-after")).to.equal("1");
        expect(seen.map((s) => s.status)).to.deep.equal([500, 503]);
    });

    it("calls onResponse once per answered request with the status and the elapsed milliseconds", async () => {
        const t0 = performance.now();
        await request(base, "/v2/models/cpu");
        await request(base, "/nope");
        const wall = performance.now() - t0;
        expect(seen.map((s) => s.status)).to.deep.equal([200, 404]);
        for (const s of seen) expect(s.ms).to.be.within(0, wall);
    });

    it("logs the address it listens on, and writes [::1] for IPv6", async () => {
        const lines: string[] = [];
        const logged = makeApp({ logger: JsonLogger.create({ stream: { write: (l: string) => lines.push(l) } }) }).app;
        const v6 = await logged.listen({ port: 0, host: "::1" }).catch(() => undefined);
        try {
            if (v6 === undefined) return; // no IPv6 loopback here
            expect(v6).to.match(/^http:\/\/\[::1\]:\d+$/);
            expect((JSON.parse(lines[0]) as { msg: string }).msg).to.equal(`Server listening at ${v6}`);
            expect((await request(v6, "/text")).text).to.equal("plain words");
        } finally {
            await logged.close();
        }
    });

    it("destroys the connection when an answer cannot be written (a body JSON cannot hold), and keeps serving", async () => {
        const lines: string[] = [];
        const broken = makeApp({ logger: JsonLogger.create({ stream: { write: (l: string) => lines.push(l) } }) });
        broken.app.get("/bigint", () => ({ body: { n: BigInt(1) } }));
        const b = await broken.app.listen({ port: 0, host: "127.0.0.1" });
        try {
            const err = await fetch(`${b}/bigint`).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(Error);
            expect(lines.some((l) => l.includes("could not send the answer") && l.includes("BigInt"))).to.equal(true);
            expect((await request(b, "/text")).status).to.equal(200);
        } finally {
            await broken.app.close();
        }
    });

    it("answers 408 and closes a connection whose request does not arrive within requestTimeoutMs", async () => {
        const quick = makeApp({ requestTimeoutMs: 300 });
        const b = await quick.app.listen({ port: 0, host: "127.0.0.1" });
        try {
            const started = performance.now();
            const answer = await raw(
                Number(new URL(b).port),
                "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 50\r\n\r\n{",
            );
            expect(answer).to.match(/^HTTP\/1\.1 408 /);
            expect(performance.now() - started, "well before node's 30 s default sweep").to.be.below(3_000);
        } finally {
            await quick.app.close();
        }
    });

    describe("bodies", () => {
        const json = { "content-type": "application/json" };

        it("parses a JSON body, whatever its charset parameter and case", async () => {
            for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON"]) {
                const r = await request(base, "/echo", { method: "POST", body: '{"a":[1,2]}', headers: { "content-type": type } });
                expect(r.status, type).to.equal(201);
                expect(r.json).to.deep.equal({ body: { a: [1, 2] } });
            }
        });

        it("gives undefined for a request with neither body nor Content-Type, and parses an empty JSON body (the parser decides)", async () => {
            expect((await request(base, "/echo", { method: "POST" })).json).to.deep.equal({ body: null });
            const empty = await request(base, "/echo", { method: "POST", body: "", headers: json });
            expect(empty.status).to.equal(400);
            expect(empty.json.error).to.equal("empty");
        });

        it("answers 415 for any other type, none with a body, and an empty body of another type, without calling the handler", async () => {
            for (const [type, body] of [
                ["text/plain", "{}"],
                ["application/jsonx", "{}"],
                ["application/x-www-form-urlencoded", "a=1"],
                ["text/plain", ""],
                [undefined, "{}"],
            ] as const) {
                const init: RequestInit = { method: "POST", body: type === undefined ? new Blob([body]) : body };
                if (type !== undefined) init.headers = { "content-type": type };
                const r = await request(base, "/echo", init);
                expect(r.status, `${type} ${body}`).to.equal(415);
                expect(r.json.error).to.equal(`unsupported Content-Type '${type ?? ""}'; send application/json`);
            }
        });

        it("answers 413 for a declared length over the limit and for a chunked body that grows past it", async () => {
            const big = JSON.stringify({ a: "x".repeat(200) });
            const declared = await request(base, "/echo", { method: "POST", body: big, headers: json });
            expect(declared.status).to.equal(413);
            expect(declared.json.error).to.equal("request body is larger than the 100-byte limit; send fewer points per request");
            const chunks = [`{"a":"${"x".repeat(60)}`, `${"x".repeat(60)}"}`];
            const head = `POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`;
            const body = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join("") + "0\r\n\r\n";
            const answer = await raw(port, head + body);
            expect(answer).to.match(/^HTTP\/1\.1 413 /);
            const small = `{"a":"${"x".repeat(40)}"}`;
            const ok = await raw(port, head + `${small.length.toString(16)}\r\n${small}\r\n0\r\n\r\n`);
            expect(ok).to.match(/^HTTP\/1\.1 201 /);
        });

        it("gives up on a body the client stops sending (the connection closed), as a 400 nobody reads, not a 500", async () => {
            const socket = connect(port, "127.0.0.1");
            await new Promise((r) => socket.once("connect", r));
            socket.write('POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 90\r\n\r\n{"a":');
            await new Promise((r) => setTimeout(r, 50));
            socket.destroy();
            for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
            expect(errors).to.have.length(1);
            expect(errors[0]).to.be.instanceOf(HttpError);
            expect((errors[0] as HttpError).status).to.equal(400);
            expect((errors[0] as HttpError).message).to.match(/cut off/);
            expect((await request(base, "/text")).status).to.equal(200);
        });

        it("answers 415 to a chunked body without a Content-Type", async () => {
            const answer = await raw(
                port,
                "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            );
            expect(answer).to.match(/^HTTP\/1\.1 415 /);
        });

        it("accepts a body of exactly the limit", async () => {
            const exact = JSON.stringify({ a: "x".repeat(100 - 8) });
            expect(Buffer.byteLength(exact)).to.equal(100);
            expect((await request(base, "/echo", { method: "POST", body: exact, headers: json })).status).to.equal(201);
        });
    });

    describe("close", () => {
        it("finishes the request in flight with connection: close, then runs onClose once (close is idempotent)", async () => {
            const slow = makeApp();
            let release: () => void = () => undefined;
            let arrived = false;
            slow.app.get("/slow", () => {
                arrived = true;
                return new Promise((r) => (release = () => r({ body: { done: true } })));
            });
            const b = await slow.app.listen({ port: 0, host: "127.0.0.1" });
            const answer = raw(Number(new URL(b).port), "GET /slow HTTP/1.1\r\nhost: x\r\n\r\n");
            while (!arrived) await new Promise((r) => setTimeout(r, 10));
            const closing = slow.app.close();
            expect(slow.app.close()).to.equal(closing);
            await new Promise((r) => setTimeout(r, 50));
            expect(slow.closed, "onClose waits for the request in flight").to.have.length(0);
            release();
            const text = await answer;
            await closing;
            expect(text).to.match(/^HTTP\/1\.1 200 [\s\S]*connection: close[\s\S]*\{"done":true\}$/i);
            expect(slow.closed).to.have.length(1);
        });

        it("answers 503 to a request whose headers were still arriving when the close began", async () => {
            const socket = connect(port, "127.0.0.1");
            let out = "";
            socket.on("data", (d: Buffer) => (out += d.toString()));
            const ended = new Promise((r) => socket.on("close", r));
            await new Promise((r) => socket.once("connect", r));
            socket.write("GET /text HTTP/1.1\r\nhost: x\r\n");
            await new Promise((r) => setTimeout(r, 50));
            const closing = app.close();
            socket.write("\r\n");
            await ended;
            await closing;
            expect(out).to.match(/^HTTP\/1\.1 503 [\s\S]*connection: close[\s\S]*shutting down/i);
            expect(seen.map((s) => s.status)).to.deep.equal([503]);
        });

        it("closes at once when nothing is in flight, and refuses new connections after", async () => {
            await app.close();
            expect(closed).to.have.length(1);
            const err = await fetch(`${base}/text`).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(Error);
        });

        it("runs onClose even when it never listened", async () => {
            const idle = makeApp();
            await idle.app.close();
            expect(idle.closed).to.have.length(1);
        });
    });
});

describe("detector HTTP layer: listen errors", () => {
    it("rejects when the port is taken, naming the address", async () => {
        const a = makeApp().app;
        const b = makeApp().app;
        const base = await a.listen({ port: 0, host: "127.0.0.1" });
        try {
            const err = await b.listen({ port: Number(new URL(base).port), host: "127.0.0.1" }).then(
                () => undefined,
                (e: unknown) => e as NodeJS.ErrnoException,
            );
            expect(err?.code).to.equal("EADDRINUSE");
        } finally {
            await a.close();
            await b.close();
        }
    });
});
