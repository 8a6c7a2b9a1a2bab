// The import-cycle check `npm run lint` runs: it must see type-only and dynamic imports (ESLint's
// import-x/no-cycle skips type-only ones) and name every file of a cycle; and the program has none.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findCycles, importGraph } from "../support/import-cycles";
import { REPO_ROOT } from "../harness/stack-config";

function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cycles-"));
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

describe("import cycles", () => {
    it("finds a cycle made of a type-only import, through a folder's index.ts", () => {
        const dir = tree({
            "a.ts": 'import type { B } from "./b";\nexport type A = B;\n',
            "b/index.ts": 'export { c } from "./c";\nexport type B = string;\n',
            "b/c.ts": 'import type { A } from "../a";\nexport const c = (a: A) => a;\n',
        });
        const cycles = findCycles(importGraph([dir])).map((c) => c.map((f) => path.relative(dir, f)));
        expect(cycles).to.deep.equal([["a.ts", "b/c.ts", "b/index.ts"]]);
    });

    it("finds a cycle closed by a dynamic import(), and keeps separate cycles apart", () => {
        const dir = tree({
            "cli.ts": 'export async function main() { return (await import("./cmd")).run; }\nexport const flag = 1;\n',
            "cmd.ts": 'import { flag } from "./cli";\nexport const run = flag;\n',
            "x.ts": 'import "./y";\n',
            "y.ts": 'import "./x";\n',
            "leaf.ts": 'import { flag } from "./cli";\nimport * as fs from "node:fs";\nexport const z = [flag, fs];\n',
        });
        const cycles = findCycles(importGraph([dir])).map((c) => c.map((f) => path.relative(dir, f)));
        expect(cycles).to.deep.equal([
            ["cli.ts", "cmd.ts"],
            ["x.ts", "y.ts"],
        ]);
    });

    it("reports none for an acyclic tree", () => {
        const dir = tree({ "a.ts": 'import "./b";\n', "b.ts": 'import "./c";\n', "c.ts": "export {};\n" });
        expect(findCycles(importGraph([dir]))).to.deep.equal([]);
    });

    it("the program (index.ts, stacks, components, policies, tests) has no import cycle", () => {
        const roots = ["index.ts", "stacks", "components", "policies", "tests"].map((r) => path.join(REPO_ROOT, r));
        const cycles = findCycles(importGraph(roots)).map((c) => c.map((f) => path.relative(REPO_ROOT, f)).join(" <-> "));
        expect(cycles).to.deep.equal([]);
    });
});
