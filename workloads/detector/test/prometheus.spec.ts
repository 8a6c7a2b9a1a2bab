import { expect } from "chai";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { fetchSeries, planRangeQueries, PrometheusError, PROMETHEUS_MAX_POINTS } from "../src/prometheus";

type Handler = (params: URLSearchParams, res: ServerResponse) => void;

/** A stand-in for Prometheus's query_range endpoint on 127.0.0.1 that records every query. */
async function fakePrometheus(handler: Handler): Promise<{ url: string; queries: URLSearchParams[]; close: () => Promise<void> }> {
    const queries: URLSearchParams[] = [];
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            if (req.url !== "/api/v1/query_range") {
                res.writeHead(404).end("404 page not found");
                return;
            }
            const params = new URLSearchParams(body);
            queries.push(params);
            handler(params, res);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, queries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** One series whose value is derived from the timestamp, honouring start/end/step like Prometheus. */
const oneSeries: Handler = (p, res) => {
    const start = Number(p.get("start"));
    const end = Number(p.get("end"));
    const step = Number(p.get("step"));
    if ((end - start) / step + 1 > PROMETHEUS_MAX_POINTS) {
        json(res, 400, { status: "error", errorType: "bad_data", error: "exceeded maximum resolution of 11,000 points per timeseries" });
        return;
    }
    const values: Array<[number, string]> = [];
    for (let t = start; t <= end; t += step) values.push([t, String(t % 1000)]);
    json(res, 200, { status: "success", data: { resultType: "matrix", result: [{ metric: { instance: "n1" }, values }] } });
};

describe("detector Prometheus client", () => {
    it("plans consecutive windows under the 11,000-point limit that cover the range exactly once", () => {
        const start = 1_700_000_000;
        const end = start + 7 * 86400;
        const windows = planRangeQueries(start, end, 10);
        expect(windows[0].start).to.equal(start);
        expect(windows[windows.length - 1].end).to.equal(end);
        let points = 0;
        windows.forEach((w, i) => {
            const n = (w.end - w.start) / 10 + 1;
            expect(n).to.be.at.most(10000);
            points += n;
            if (i > 0) expect(w.start).to.equal(windows[i - 1].end + 10);
        });
        expect(points).to.equal(60481);
        expect(planRangeQueries(0, 100, 10)).to.deep.equal([{ start: 0, end: 100 }]);
        expect(() => planRangeQueries(0, 100, 0)).to.throw(/step must be a positive number/);
    });

    it("reads a week at 10 s in several query_range calls and returns every point once, in order", async () => {
        const prom = await fakePrometheus(oneSeries);
        try {
            const end = 1_700_604_800;
            const points = await fetchSeries({ url: `${prom.url}/`, query: "avg(rate(x[1m]))", hours: 168, step: 10, end });
            expect(points).to.have.length(60481);
            expect(points[0]).to.deep.equal({ timestamp: end - 168 * 3600, value: (end - 168 * 3600) % 1000 });
            expect(points[points.length - 1].timestamp).to.equal(end);
            expect(prom.queries).to.have.length(7);
            expect(prom.queries.every((q) => q.get("query") === "avg(rate(x[1m]))" && q.get("step") === "10")).to.equal(true);
        } finally {
            await prom.close();
        }
    });

    it("drops NaN and infinite samples", async () => {
        const prom = await fakePrometheus((_p, res) =>
            json(res, 200, {
                status: "success",
                data: {
                    resultType: "matrix",
                    result: [
                        {
                            metric: {},
                            values: [
                                [10, "1"],
                                [20, "NaN"],
                                [30, "+Inf"],
                                [40, "2"],
                            ],
                        },
                    ],
                },
            }),
        );
        try {
            expect(await fetchSeries({ url: prom.url, query: "up", hours: 1, end: 3600 })).to.deep.equal([
                { timestamp: 10, value: 1 },
                { timestamp: 40, value: 2 },
            ]);
        } finally {
            await prom.close();
        }
    });

    const failures: Array<{ what: string; handler: Handler; error: RegExp }> = [
        {
            what: "several series",
            handler: (_p, res) =>
                json(res, 200, {
                    status: "success",
                    data: {
                        resultType: "matrix",
                        result: [
                            { metric: { instance: "a" }, values: [[1, "1"]] },
                            { metric: { instance: "b" }, values: [[1, "2"]] },
                        ],
                    },
                }),
            error: /Prometheus at http:\/\/127\.0\.0\.1:\d+ returned 2 series for 'q' \(e\.g\. \{instance="a"\}, \{instance="b"\}\).*aggregate/,
        },
        {
            what: "no data",
            handler: (_p, res) => json(res, 200, { status: "success", data: { resultType: "matrix", result: [] } }),
            error: /Prometheus at http:\/\/127\.0\.0\.1:\d+ returned no data for 'q' between/,
        },
        {
            what: "a rejected query",
            handler: (_p, res) => json(res, 400, { status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' }),
            error: /Prometheus at http:\/\/127\.0\.0\.1:\d+ rejected 'q' \(HTTP 400 bad_data\): parse error/,
        },
        {
            what: "a non-JSON answer",
            handler: (_p, res) => res.writeHead(502).end("<html>bad gateway</html>"),
            error: /answered HTTP 502 with a non-JSON body; is http:\/\/127\.0\.0\.1:\d+ the Prometheus base URL/,
        },
    ];
    for (const f of failures) {
        it(`names Prometheus and its URL when it returns ${f.what}`, async () => {
            const prom = await fakePrometheus(f.handler);
            try {
                const err = await fetchSeries({ url: prom.url, query: "q", hours: 1, end: 3600 }).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                expect(err).to.be.instanceOf(PrometheusError);
                expect((err as Error).message).to.match(f.error);
            } finally {
                await prom.close();
            }
        });
    }

    it("names Prometheus and its URL when nothing listens there", async () => {
        const prom = await fakePrometheus(oneSeries);
        const url = prom.url;
        await prom.close();
        const err = await fetchSeries({ url, query: "up", hours: 1 }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(PrometheusError);
        expect((err as Error).message).to.equal(
            `cannot reach Prometheus at ${url}: ECONNREFUSED; check --prometheus and that Prometheus is running`,
        );
    });
});
