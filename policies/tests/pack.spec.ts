import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../rules";

const PACK_DIR = path.resolve(__dirname, "..");
const RULES_DIR = path.join(PACK_DIR, "rules");

type Definition = ResourceValidationPolicy | StackValidationPolicy;

function ruleFiles(): string[] {
    return readdirSync(RULES_DIR)
        .filter((f) => f.endsWith(".ts") && f !== "index.ts")
        .sort();
}

/** The policy objects each rule file exports (found by shape, so a renamed export is still caught). */
function exportedPolicies(file: string): Definition[] {
    const module = require(path.join(RULES_DIR, file)) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
    return Object.values(module).filter(
        (v): v is Definition => typeof v === "object" && v !== null && "name" in v && ("validateResource" in v || "validateStack" in v),
    );
}

describe("the policy pack", () => {
    it("has at least 20 policies", () => {
        expect(allPolicies.length).to.be.at.least(20);
    });

    it("contains every policy file exactly once, each file holding one policy named after it", () => {
        const names = allPolicies.map((p) => p.name).sort();
        const fromFiles = ruleFiles().map((file) => {
            const policies = exportedPolicies(file);
            expect(policies, file).to.have.length(1);
            expect(policies[0].name, file).to.equal(file.replace(/\.ts$/, ""));
            expect(allPolicies, `${file} is not in allPolicies`).to.include(policies[0]);
            return policies[0].name;
        });
        expect(names).to.deep.equal(fromFiles);
    });

    it("has unique names of the form <resource>-<verb>-<what>", () => {
        const names = allPolicies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const name of names) {
            expect(name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*-(requires|disallows|caps|fits)-[a-z0-9-]+$/, name);
            expect(name).to.not.equal("all");
        }
    });

    it("gives every policy a full-sentence description and an explicit level", () => {
        for (const p of allPolicies) {
            expect(p.description, p.name).to.match(/^[A-Z].{40,}\.$/);
            expect(["mandatory", "advisory"], p.name).to.include(p.enforcementLevel);
        }
    });

    it("gives every config key a type, a description and a default", () => {
        for (const p of allPolicies) {
            for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
                expect(key, p.name).to.not.equal("enforcementLevel");
                expect(schema.type, `${p.name}.${key}`).to.be.a("string");
                expect(schema.description, `${p.name}.${key}`).to.be.a("string");
                expect(schema.default, `${p.name}.${key}`).to.not.equal(undefined);
            }
        }
    });

    it("is documented: the README's table lists every policy with its level", () => {
        const rows = [
            ...readFileSync(path.join(PACK_DIR, "README.md"), "utf8").matchAll(/^\| `([a-z0-9-]+)` \| (mandatory|advisory) \|/gm),
        ];
        expect(rows.map((m) => [m[1], m[2]]).sort()).to.deep.equal(allPolicies.map((p) => [p.name, p.enforcementLevel]).sort());
    });

    it("constructs the PolicyPack only in index.ts, so importing anything else starts no server", () => {
        const sources: string[] = [];
        const walk = (dir: string) => {
            for (const entry of readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, entry.name);
                if (entry.isDirectory() && entry.name !== "node_modules") {
                    walk(full);
                } else if (entry.name.endsWith(".ts")) {
                    sources.push(full);
                }
            }
        };
        walk(PACK_DIR);
        const constructing = sources.filter((f) =>
            /new\s+PolicyPack\s*\(/.test(
                readFileSync(f, "utf8")
                    .replace(/\/\/.*$/gm, "")
                    .replace(/\/\*[\s\S]*?\*\//g, ""),
            ),
        );
        expect(constructing.map((f) => path.relative(PACK_DIR, f))).to.deep.equal(["index.ts"]);
        const importsIndex = sources.filter(
            (f) => f !== path.join(PACK_DIR, "index.ts") && /from\s+["'](\.\.\/)+(index)?["'];/.test(readFileSync(f, "utf8")),
        );
        expect(importsIndex.map((f) => path.relative(PACK_DIR, f))).to.deep.equal([]);
    });

    describe("served by index.ts in a child process", function () {
        this.timeout(60_000);
        let child: ChildProcess | undefined;

        after(() => {
            child?.kill("SIGTERM");
        });

        it("starts, and its analyzer reports exactly allPolicies with their levels", async () => {
            // index.ts reads ./package.json for the version, so it runs from the pack folder, as the CLI runs it.
            child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], {
                cwd: PACK_DIR,
                stdio: ["ignore", "pipe", "pipe"],
            });
            const port = await new Promise<number>((resolve, reject) => {
                let out = "";
                let err = "";
                child!.stdout!.on("data", (chunk: Buffer) => {
                    out += chunk.toString();
                    const match = /^(\d+)\s*$/m.exec(out);
                    if (match) {
                        resolve(Number(match[1]));
                    }
                });
                child!.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
                child!.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}${out}`)));
            });
            /* eslint-disable @typescript-eslint/no-require-imports */
            const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
            const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
            const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
            /* eslint-enable @typescript-eslint/no-require-imports */
            const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            type Info = { name: string; policiesList: { name: string; enforcementlevel: number }[] };
            const info = await new Promise<Info>((resolve, reject) =>
                client.getAnalyzerInfo(new Empty(), (e: Error | null, res: { toObject(): Info }) =>
                    e ? reject(e) : resolve(res.toObject()),
                ),
            );
            client.close();
            expect(info.name).to.equal("aiops-platform");
            const levels = ["advisory", "mandatory"];
            expect(info.policiesList.map((p) => [p.name, levels[p.enforcementlevel]]).sort()).to.deep.equal(
                allPolicies.map((p) => [p.name, p.enforcementLevel]).sort(),
            );
        });
    });
});
