import { request } from "node:http";

export interface RawResponse {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly body: string;
}

/** A plain HTTP request with full control of the Host header (fetch does not let a caller set it). */
export function rawRequest(
    port: number,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

export const INITIALIZE = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});
