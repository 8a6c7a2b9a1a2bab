// A2A v0.3 `message/send` over JSON-RPC (specification-v0.3.0.md §7.1, schema SendMessageRequest /
// SendMessageResponse). A blocking send: the answer is a Message, or a Task whose artifacts (or final
// status message) carry the text.
import { randomUUID } from "node:crypto";
import { UpstreamError, callJson } from "./http";

export interface AgentClient {
    ask(text: string): Promise<string>;
}

/** The JSON-RPC request body for one user text message. Pure, exported for the schema test. */
export function sendMessageRequest(text: string, id: string = randomUUID(), messageId: string = randomUUID()): Record<string, unknown> {
    return {
        jsonrpc: "2.0",
        id,
        method: "message/send",
        params: {
            message: { kind: "message", messageId, role: "user", parts: [{ kind: "text", text }] },
            configuration: { blocking: true, acceptedOutputModes: ["text/plain", "text/markdown"] },
        },
    };
}

type Part = { kind?: string; text?: string };
const texts = (parts: unknown): string[] =>
    Array.isArray(parts) ? (parts as Part[]).filter((p) => p?.kind === "text" && typeof p.text === "string").map((p) => p.text!) : [];

/** The agent's text from a SendMessageResponse; throws when it is an error or carries no text. */
export function answerText(response: unknown): string {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an A2A result is untyped JSON, checked field by field below
    const r = response as { error?: { code?: number; message?: string }; result?: Record<string, any> };
    if (r?.error) throw new UpstreamError("agent", "http", `the agent answered JSON-RPC error ${r.error.code}: ${r.error.message}`);
    const result = r?.result;
    if (!result) throw new UpstreamError("agent", "bad_response", "the agent's answer has neither result nor error");
    let out: string[] = [];
    if (result.kind === "message") out = texts(result.parts);
    else if (result.kind === "task") {
        const state = result.status?.state;
        if (state === "failed" || state === "rejected" || state === "canceled")
            throw new UpstreamError(
                "agent",
                "bad_response",
                `the agent's task ended ${state}: ${texts(result.status?.message?.parts).join(" ")}`,
            );
        out = (Array.isArray(result.artifacts) ? result.artifacts : []).flatMap((a: { parts?: unknown }) => texts(a.parts));
        if (out.length === 0) out = texts(result.status?.message?.parts);
    }
    const text = out.join("\n\n").trim();
    if (text === "") throw new UpstreamError("agent", "bad_response", "the agent's answer contains no text");
    return text;
}

export function a2aClient(url: string, timeoutMs: number): AgentClient {
    return {
        async ask(text) {
            return answerText(await callJson("agent", url, { method: "POST", body: JSON.stringify(sendMessageRequest(text)), timeoutMs }));
        },
    };
}
