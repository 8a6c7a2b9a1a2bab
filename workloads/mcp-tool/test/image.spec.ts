/**
 * The benchmark and the heap tests start the server with the node flags and ENV of the image, read from the
 * Dockerfile (support/image.ts). These tests keep that reading honest: a Dockerfile it cannot read fails here
 * rather than leaving the benchmark on no flags at all.
 */
import { expect } from "chai";
import { imageStart, parseImageStart } from "./support/image";

describe("mcp-tool image start (Dockerfile)", () => {
    it("reads the node flags and ENV of the real Dockerfile's final stage", () => {
        const { nodeFlags, env } = imageStart();
        // The response caps and limits (limits.ts, prometheus.ts) are sized for a 96 MiB old space.
        expect(nodeFlags).to.include("--max-old-space-size=96");
        expect(nodeFlags.every((f) => f.startsWith("--"))).to.equal(true);
        expect(env.NODE_ENV).to.equal("production");
    });

    it("takes the last stage only, joins continuation lines and refuses a shell-form ENTRYPOINT", () => {
        const text = [
            "FROM node:22 AS build",
            'ENTRYPOINT ["node", "--stack-size=1", "dist/server.js"]',
            "ENV BUILD_ONLY=1",
            "FROM node:22",
            "# ENV COMMENTED=1",
            "ENV NODE_ENV=production \\",
            "    MALLOC_ARENA_MAX=2 \\",
            '    QUOTED="a b"',
            'ENTRYPOINT ["node", "--max-semi-space-size=1", "--max-old-space-size=96", "dist/server.js"]',
        ].join("\n");
        expect(parseImageStart(text)).to.deep.equal({
            nodeFlags: ["--max-semi-space-size=1", "--max-old-space-size=96"],
            env: { NODE_ENV: "production", MALLOC_ARENA_MAX: "2", QUOTED: "a b" },
        });
        expect(() => parseImageStart("FROM node:22\nENTRYPOINT node dist/server.js\n")).to.throw(/exec form \["node"/);
        expect(() => parseImageStart('FROM node:22\nENTRYPOINT ["npm", "start"]\n')).to.throw(/exec form \["node"/);
        expect(() => parseImageStart("FROM node:22\n")).to.throw(/no ENTRYPOINT/);
    });
});
