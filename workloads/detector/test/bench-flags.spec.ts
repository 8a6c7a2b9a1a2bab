import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { entrypointNodeFlags } from "../bench/hardening";

describe("the bench's node flags come from the Dockerfile's ENTRYPOINT", () => {
    it("reads the flags between node and the script from the real Dockerfile", () => {
        const flags = entrypointNodeFlags(readFileSync(join(__dirname, "..", "Dockerfile"), "utf8"));
        expect(flags).to.include("--max-semi-space-size=1");
        expect(flags).to.include("--v8-pool-size=1");
        expect(flags.every((f) => f.startsWith("--"))).to.equal(true);
    });

    it("takes exactly what sits between node and the .js script, whatever follows", () => {
        expect(entrypointNodeFlags('FROM x\nENTRYPOINT ["node", "--a=1", "--b", "dist/cli.js", "serve", "--c"]\n')).to.deep.equal([
            "--a=1",
            "--b",
        ]);
        expect(entrypointNodeFlags('ENTRYPOINT ["node", "dist/cli.js"]')).to.deep.equal([]);
    });

    it("refuses a Dockerfile the bench could not mirror, saying why", () => {
        expect(() => entrypointNodeFlags('CMD ["node", "dist/cli.js"]')).to.throw(/no exec-form ENTRYPOINT/);
        expect(() => entrypointNodeFlags("ENTRYPOINT node dist/cli.js")).to.throw(/no exec-form ENTRYPOINT/);
        expect(() => entrypointNodeFlags('ENTRYPOINT ["/bin/sh", "-c", "node dist/cli.js"]')).to.throw(/does not start node/);
        expect(() => entrypointNodeFlags('ENTRYPOINT ["node", "--x"]')).to.throw(/names no \.js script/);
    });
});
