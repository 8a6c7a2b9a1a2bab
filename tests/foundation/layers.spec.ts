// The layering of ARCHITECTURE.md, checked on the source: only stacks/<env>.ts (and the config module)
// know the environment; the shared wiring gets a resolved PlatformSite and the platform settings.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/stack-config";

const SHARED_WIRING = ["stacks/platform.ts", "stacks/data-platform.ts", "stacks/placement.ts"];

describe("layers", () => {
    for (const file of SHARED_WIRING) {
        it(`${file} neither reads the whole stack config nor branches on the environment`, () => {
            const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
            const code = text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "");
            expect(code).to.not.match(/\bStackConfig\b/);
            expect(code).to.not.match(/\benvironment\b/);
            expect(code).to.not.match(/config\.(aws|homelab|hybrid|clusterName)\b/);
        });
    }
});
