// The policy pack imports nothing from the program (it is published from policies/ alone), so it keeps
// copies of the few predicates it shares with the program. Each pair must answer alike.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { isOpenToWorld as programOpenToWorld } from "../../components/network/net";
import { parseQuantity as programQuantity } from "../../components/shared/quantity";
import { isOpenToWorld as packOpenToWorld } from "../../policies/lib/network";
import { parseQuantity as packQuantity } from "../../policies/lib/quantity";
import { REPO_ROOT } from "../harness/stack-config";

const QUANTITIES: unknown[] = [
    ...["0", "1", "500m", "0.5", ".5", "2.", "1e3", "1E-3", "-1", "+2", " 4 ", "100n", "3u", "1k", "1M", "1G", "1T", "1P", "1E"],
    ...["1Ki", "512Mi", "10Gi", "1.5Ti", "1Pi", "1Ei", "1K", "1KB", "Gi", "", "m", "1 Gi", "1gi", "0x10", "1e", "--1"],
    ...[0, 2, 1.5, -3, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, ["1"], true],
];
const CIDRS = ["0.0.0.0/0", " 0.0.0.0/0 ", "0.0.0.0/00", "::/0", "10.0.0.0/8", "0.0.0.0/1", "203.0.113.0/24", "1.2.3.4", "1.2.3.4/32"];

function programFiles(dir: string, out: string[] = []): string[] {
    for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (name === "node_modules" || name === "tests") continue;
        if (fs.statSync(p).isDirectory()) programFiles(p, out);
        else if (name.endsWith(".ts")) out.push(p);
    }
    return out;
}

describe("policy pack: self-contained, and its copies agree with the program", () => {
    it("no file of the pack (tests aside) imports from outside policies/", () => {
        const root = path.join(REPO_ROOT, "policies");
        const outside: string[] = [];
        for (const file of programFiles(root)) {
            for (const i of ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles) {
                if (!i.fileName.startsWith(".")) continue;
                const target = path.resolve(path.dirname(file), i.fileName);
                if (!target.startsWith(root + path.sep)) outside.push(`${path.relative(REPO_ROOT, file)} -> ${i.fileName}`);
            }
        }
        expect(outside).to.deep.equal([]);
    });

    it("parseQuantity: the same number (or none) for every input", () => {
        for (const q of QUANTITIES) expect(packQuantity(q), JSON.stringify(q) ?? String(q)).to.deep.equal(programQuantity(q));
    });

    it("isOpenToWorld: the same answer for every CIDR, including a zero prefix written '/00'", () => {
        for (const c of CIDRS) expect(packOpenToWorld(c), c).to.equal(programOpenToWorld(c));
        expect(programOpenToWorld("0.0.0.0/00")).to.equal(true);
    });
});
