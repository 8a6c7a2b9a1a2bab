/**
 * Bounds on the work one POST /mcp can cause. The image runs with a 96 MiB heap (Dockerfile); without these a
 * JSON-RPC batch of 100 query_prometheus_and_predict calls over 6 h exhausted it (issue 14). The README's
 * limits table lists them with what exceeding each returns.
 */
import { ToolError } from "./errors";

/** Most JSON-RPC messages in one batch; more gets HTTP 400 with JSON-RPC error -32600. */
export const MAX_BATCH_MESSAGES = 20;
/** Tool calls analysed at once across all requests; the rest wait their turn. */
export const MAX_CONCURRENT_TOOL_CALLS = 4;
/** Tool calls waiting for a turn; more get a "busy" tool error at once. */
export const MAX_QUEUED_TOOL_CALLS = 100;
/**
 * Scored points one POST may return over all its tool calls (series and anomaly lists): ten 6-hour windows at
 * 10 s are 21,610. Past it a call answers with a tool error asking for fewer calls per request.
 */
export const MAX_POINTS_PER_POST = 40_000;

/** A counting semaphore with a bounded queue. */
export class Limiter {
    private active = 0;
    private readonly waiting: Array<() => void> = [];

    constructor(
        readonly concurrency: number = MAX_CONCURRENT_TOOL_CALLS,
        readonly maxQueued: number = MAX_QUEUED_TOOL_CALLS,
    ) {}

    /** Waits for a turn and returns its release function; throws a ToolError when the queue is full. */
    async acquire(): Promise<() => void> {
        if (this.active >= this.concurrency) {
            if (this.waiting.length >= this.maxQueued) {
                throw new ToolError(
                    `the server is busy (${this.concurrency} tool calls running, ${this.waiting.length} waiting); retry in a few seconds`,
                );
            }
            await new Promise<void>((resolve) => this.waiting.push(resolve));
        } else {
            this.active++;
        }
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.waiting.shift();
            // The turn passes straight to the next waiter, so `active` stays the same.
            if (next !== undefined) next();
            else this.active--;
        };
    }
}

/**
 * Scored points held by all POSTs in flight (built, waiting for their batch to finish and be sent): the
 * per-POST budget alone would let many concurrent POSTs add up past the heap.
 */
export const MAX_POINTS_IN_FLIGHT = 120_000;

/** Points held across all POSTs; each POST's budget charges it and releases its share when answered. */
export class GlobalPointBudget {
    used = 0;
    constructor(readonly max: number = MAX_POINTS_IN_FLIGHT) {}
}

/** Points returned by one POST, charged by each tool call before it builds its output. */
export class PointBudget {
    private used = 0;

    constructor(
        readonly max: number = MAX_POINTS_PER_POST,
        private readonly global?: GlobalPointBudget,
    ) {}

    /** Charges `n` points; throws a ToolError naming the budget when the POST (or the server) would hold more. */
    charge(n: number): void {
        if (this.used + n > this.max) {
            throw new ToolError(
                `this request would return more than ${this.max} scored points over its tool calls (the per-request limit); send fewer calls per request, shorter windows, or use predict_anomalies`,
            );
        }
        if (this.global !== undefined) {
            if (this.global.used + n > this.global.max) {
                throw new ToolError(
                    `the server is busy: requests in flight already hold ${this.global.used} scored points (limit ${this.global.max}); retry in a few seconds`,
                );
            }
            this.global.used += n;
        }
        this.used += n;
    }

    /** Returns this POST's points to the global budget (once its response is sent or abandoned). */
    release(): void {
        if (this.global !== undefined) this.global.used -= this.used;
        this.used = 0;
    }
}
