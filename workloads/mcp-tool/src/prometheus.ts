import { DependencyError, excerpt, fetchWithin } from "./errors";

export interface RangeSeries {
    readonly labels: Readonly<Record<string, string>>;
    /** [unix seconds, value] pairs; NaN and infinities are dropped. */
    readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface InstantSample {
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

interface ApiResponse {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown };
}

/** The three Prometheus HTTP API calls the tools need, each bounded by a timeout. */
export class PrometheusClient {
    constructor(
        readonly baseUrl: string,
        private readonly timeoutMs: number,
    ) {}

    async queryRange(query: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
        const result = await this.call(
            "api/v1/query_range",
            { query, start: String(start), end: String(end), step: String(step) },
            "matrix",
        );
        return (result as Array<{ metric?: Record<string, string>; values?: unknown }>).map((s, i) => {
            // A proxy or a non-Prometheus backend can answer "success" with odd shapes; say so instead of a TypeError.
            if (!Array.isArray(s?.values)) {
                throw new DependencyError(
                    "prometheus",
                    "bad_response",
                    this.shown("api/v1/query_range"),
                    `returned a malformed matrix: result[${i}] has no values array`,
                );
            }
            return {
                labels: s.metric ?? {},
                points: (s.values as Array<[number, string]>)
                    .map(([t, v]) => [t, Number(v)] as const)
                    .filter(([, v]) => Number.isFinite(v)),
            };
        });
    }

    async query(query: string, time: number): Promise<InstantSample[]> {
        const result = await this.call("api/v1/query", { query, time: String(time) }, "vector");
        return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({
            labels: s.metric,
            value: Number(s.value[1]),
        }));
    }

    /** Resolves when Prometheus answers /-/ready with 200; throws a DependencyError otherwise. */
    async ready(): Promise<void> {
        const url = new URL("-/ready", this.baseUrl);
        const { status, body } = await fetchWithin("prometheus", url, {}, this.timeoutMs);
        if (status !== 200) throw new DependencyError("prometheus", "http", url.href, `is not ready (HTTP ${status}: ${excerpt(body)})`);
    }

    private async call(path: string, params: Record<string, string>, resultType: string): Promise<unknown[]> {
        const url = new URL(path, this.baseUrl);
        // POST with a form body: long PromQL never hits URL length limits.
        const { status, body } = await fetchWithin(
            "prometheus",
            url,
            {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams(params).toString(),
            },
            this.timeoutMs,
        );
        const shown = this.shown(path);
        let parsed: ApiResponse;
        try {
            parsed = JSON.parse(body) as ApiResponse;
        } catch {
            throw new DependencyError(
                "prometheus",
                status >= 400 ? "http" : "bad_response",
                shown,
                `answered HTTP ${status} with a non-JSON body: ${excerpt(body)}`,
            );
        }
        if (status >= 400 || parsed.status !== "success") {
            throw new DependencyError("prometheus", "http", shown, `rejected the query (HTTP ${status}): ${parsed.error ?? excerpt(body)}`);
        }
        if (parsed.data?.resultType !== resultType || !Array.isArray(parsed.data.result)) {
            throw new DependencyError(
                "prometheus",
                "bad_response",
                shown,
                `returned ${parsed.data?.resultType ?? "no"} data where ${resultType} was expected`,
            );
        }
        return parsed.data.result;
    }

    /** The endpoint's URL without query, as error messages show it. */
    private shown(path: string): string {
        const url = new URL(path, this.baseUrl);
        return `${url.origin}${url.pathname}`;
    }
}
