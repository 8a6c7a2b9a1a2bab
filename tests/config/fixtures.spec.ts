// Valid and invalid stack configurations, each a small edit of a committed stack file. Every invalid
// one must fail with messages that name the key, the bad value and the fix.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ConfigError, loadStackConfig as loadConfig } from "../../stacks/config";
import { loadStackConfig } from "../harness/stack-config";
import { getPath, overridesFor } from "../support/config-paths";

interface Fixture {
    description: string;
    stack: string;
    set?: Record<string, unknown>;
    unset?: string[];
    errors?: string[];
    expect?: Record<string, unknown>;
}

const DIR = path.join(__dirname, "..", "fixtures", "config");

function fixtures(kind: "valid" | "invalid"): [string, Fixture][] {
    return fs
        .readdirSync(path.join(DIR, kind))
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => [f, parse(fs.readFileSync(path.join(DIR, kind, f), "utf8")) as Fixture]);
}

/** Loads the edited stack into Pulumi's config store and runs the program's own config loader. */
function load(f: Fixture) {
    const { config, secretKeys } = loadStackConfig(f.stack, overridesFor(f.stack, f.set, f.unset));
    pulumi.runtime.setAllConfig(config, secretKeys);
    return loadConfig();
}

describe("stack config fixtures", () => {
    describe("invalid", () => {
        for (const [file, f] of fixtures("invalid")) {
            it(`${file}: ${f.description}`, () => {
                let error: unknown;
                try {
                    load(f);
                } catch (e) {
                    error = e;
                }
                expect(error, "the config should have been refused").to.be.instanceOf(ConfigError);
                const err = error as ConfigError;
                for (const text of f.errors ?? []) expect(err.message).to.include(text);
                // One problem per expected message that names a key, so nothing unexpected is reported.
                const keyed = (f.errors ?? []).filter((t) => t.startsWith("`")).length;
                expect(err.problems).to.have.length(keyed, err.message);
                for (const p of err.problems) expect(p.fix, `fix for ${p.key}`).to.match(/\S/);
            });
        }
    });

    describe("valid", () => {
        for (const [file, f] of fixtures("valid")) {
            it(`${file}: ${f.description}`, () => {
                const cfg = load(f);
                for (const [key, value] of Object.entries(f.expect ?? {})) expect(getPath(cfg, key), key).to.deep.equal(value);
            });
        }
    });

    it("every committed stack file is valid as it stands", () => {
        for (const stack of ["aws", "homelab", "hybrid", "local"]) {
            const cfg = load({ description: stack, stack });
            expect(cfg.environment).to.equal(stack);
        }
    });

    it("hands secrets to the program only as Pulumi secrets", async () => {
        const cfg = load({ description: "homelab", stack: "homelab" });
        const key = cfg.secrets.sshPrivateKey;
        expect(key, "sshPrivateKey").to.not.equal(undefined);
        expect(await (key as unknown as { isSecret: Promise<boolean> }).isSecret).to.equal(true);
    });
});
