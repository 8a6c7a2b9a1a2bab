/** The JSON-lines logger: pino's line format, levels, bound fields and errors (src/log.ts). */
import { expect } from "chai";
import { hostname } from "node:os";
import { JsonLogger, LOG_LEVELS } from "../src/log";

function capture(level?: string): { log: JsonLogger; lines: Array<Record<string, unknown>>; raw: string[] } {
    const raw: string[] = [];
    const log = JsonLogger.create({ level, stream: { write: (line: string) => raw.push(line) } });
    return {
        log,
        raw,
        get lines() {
            return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
        },
    };
}

describe("detector JSON logger", () => {
    it("writes one pino-shaped line per call: level number, time, pid, hostname, fields, msg", () => {
        const c = capture();
        const before = Date.now();
        c.log.info({ model: "cpu", points: 360 }, "scored");
        expect(c.raw).to.have.length(1);
        expect(c.raw[0].endsWith("}\n")).to.equal(true);
        const [line] = c.lines;
        expect(Object.keys(line)).to.deep.equal(["level", "time", "pid", "hostname", "model", "points", "msg"]);
        expect(line).to.include({ level: 30, pid: process.pid, hostname: hostname(), model: "cpu", points: 360, msg: "scored" });
        expect(line.time).to.be.within(before, Date.now());
    });

    it("takes a message alone, and fields without a message", () => {
        const c = capture();
        c.log.warn("SIGHUP: reloading models");
        c.log.error({ file: "cpu.json" });
        expect(c.lines[0]).to.include({ level: 40, msg: "SIGHUP: reloading models" });
        expect(Object.keys(c.lines[0])).to.deep.equal(["level", "time", "pid", "hostname", "msg"]);
        expect(c.lines[1]).to.include({ level: 50, file: "cpu.json" });
        expect(c.lines[1]).not.to.have.property("msg");
    });

    it("writes the levels at and above its own, and none below", () => {
        for (const [level, written] of [
            ["debug", [20, 30, 40, 50]],
            ["info", [30, 40, 50]],
            ["warn", [40, 50]],
            ["error", [50]],
            ["silent", []],
        ] as const) {
            const c = capture(level);
            c.log.debug("d");
            c.log.info("i");
            c.log.warn("w");
            c.log.error("e");
            expect(
                c.lines.map((l) => l.level),
                level,
            ).to.deep.equal(written);
        }
    });

    it("says whether a level is written, so callers skip building fields for nothing", () => {
        const { log } = capture("info");
        expect(log.enabled("debug")).to.equal(false);
        expect(log.enabled("info")).to.equal(true);
        expect(log.enabled("error")).to.equal(true);
        expect(LOG_LEVELS.info).to.equal(30);
    });

    it("binds a child's fields to every line, after the parent's, and leaves the parent unchanged", () => {
        const c = capture();
        const child = c.log.child({ reqId: "trace-7" }).child({ model: "cpu" });
        child.info({ statusCode: 200 }, "request completed");
        c.log.info("plain");
        expect(Object.keys(c.lines[0])).to.deep.equal(["level", "time", "pid", "hostname", "reqId", "model", "statusCode", "msg"]);
        expect(c.lines[0]).to.include({ reqId: "trace-7", model: "cpu", statusCode: 200 });
        expect(c.lines[1]).not.to.have.property("reqId");
    });

    it("writes an Error as pino does ({type, message, stack}) and skips undefined fields", () => {
        const c = capture();
        const err = new RangeError("out of range");
        c.log.error({ err, missing: undefined, fn: () => 1 }, "request failed");
        const logged = c.lines[0].err as Record<string, unknown>;
        expect(logged).to.deep.equal({ type: "RangeError", message: "out of range", stack: err.stack });
        expect(c.lines[0]).not.to.have.property("missing");
        expect(c.lines[0]).not.to.have.property("fn");
    });

    it("escapes messages and keys so every line stays one valid JSON object", () => {
        const c = capture();
        c.log.info({ 'we"ird\nkey': 'va"lue' }, 'line one\nline "two"');
        expect(c.raw[0].split("\n")).to.have.length(2);
        expect(c.lines[0]).to.include({ 'we"ird\nkey': 'va"lue', msg: 'line one\nline "two"' });
    });

    it("refuses an unknown level, naming LOG_LEVEL and the choices", () => {
        expect(() => JsonLogger.create({ level: "verbose" })).to.throw(
            /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got 'verbose'/,
        );
        expect(() => JsonLogger.create({ level: "toString" })).to.throw(/LOG_LEVEL must be one of/);
    });

    it("writes nothing when turned off", () => {
        const log = JsonLogger.create(false);
        expect(log.enabled("error")).to.equal(false);
        expect(() => log.error("nothing")).not.to.throw();
    });
});
