import { expect } from "chai";
import { join } from "node:path";
import { DETECTOR_NODE_FLAGS } from "../bench/hardening";
import { imageStart, parseImageStart } from "./support/image";

describe("the bench's node flags come from the Dockerfile's ENTRYPOINT (support/image.ts)", () => {
    it("reads the flags between node and the script from the real Dockerfile", () => {
        const flags = imageStart(join(__dirname, "..", "Dockerfile")).nodeFlags;
        expect(flags).to.include("--max-semi-space-size=1");
        expect(flags).to.include("--v8-pool-size=1");
        expect(flags.every((f) => f.startsWith("--"))).to.equal(true);
        if (process.env.BENCH_NODE_FLAGS === undefined) expect(DETECTOR_NODE_FLAGS).to.deep.equal(flags);
    });

    it("takes exactly what sits between node and the .js script, whatever follows", () => {
        const flags = (text: string) => parseImageStart(text).nodeFlags;
        expect(flags('FROM x\nENTRYPOINT ["node", "--a=1", "--b", "dist/cli.js", "serve", "--c"]\n')).to.deep.equal(["--a=1", "--b"]);
        expect(flags('ENTRYPOINT ["node", "dist/cli.js"]')).to.deep.equal([]);
    });

    it("refuses a Dockerfile the bench could not mirror, saying why", () => {
        expect(() => parseImageStart('CMD ["node", "dist/cli.js"]')).to.throw(/no ENTRYPOINT/);
        expect(() => parseImageStart("ENTRYPOINT node dist/cli.js")).to.throw(/exec form \["node"/);
        expect(() => parseImageStart('ENTRYPOINT ["/bin/sh", "-c", "node dist/cli.js"]')).to.throw(/exec form \["node"/);
        expect(() => parseImageStart('ENTRYPOINT ["node", "--x"]')).to.throw(/<script>\.js/);
    });
});
