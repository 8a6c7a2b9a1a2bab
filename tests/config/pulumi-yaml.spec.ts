// Pulumi.yaml documents the project's config keys and their defaults (the CLI applies those defaults),
// the zod schema validates them and holds its own defaults: the two must never disagree.
import { expect } from "chai";
import { ENVIRONMENTS, platformSchema } from "../../stacks/config";
import { AUTO_DEFAULTS, DEFAULT_CLUSTER_NAME, KNOWN_KEYS } from "../../stacks/config/validate";
import { readProject } from "../harness/stack-config";

type Decl = { type?: string; default?: unknown; description?: string };

describe("config: Pulumi.yaml agrees with the schema", () => {
    const declared = readProject().config as Record<string, Decl>;
    const shape = platformSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;

    it("declares every top-level key the program reads, and no other (the environment blocks aside)", () => {
        const program = KNOWN_KEYS.filter((k) => !(ENVIRONMENTS as readonly string[]).includes(k));
        expect(Object.keys(declared).sort()).to.deep.equal([...program].sort());
    });

    it("gives each platform key the schema's default, or `auto` for a key with per-environment defaults", () => {
        for (const [key, schema] of Object.entries(shape)) {
            const decl = declared[key];
            expect(decl, `${key} is declared in Pulumi.yaml`).to.not.equal(undefined);
            if (key in AUTO_DEFAULTS) {
                expect(decl.default, `${key}: Pulumi.yaml default`).to.equal("auto");
                for (const env of ENVIRONMENTS) {
                    const value = AUTO_DEFAULTS[key][env];
                    expect(schema.safeParse(value).success, `${key}: ${env}'s default '${value}' passes the schema`).to.equal(true);
                    expect(decl.description, `${key}: the description names '${value}'`).to.include(value);
                }
                continue;
            }
            const zodDefault = schema.safeParse(undefined);
            if (!zodDefault.success) {
                expect(decl.default, `${key}: required by the schema, so no default in Pulumi.yaml`).to.equal(undefined);
                continue;
            }
            expect(decl.default, `${key}: Pulumi.yaml default vs the schema's`).to.deep.equal(zodDefault.data);
            const d = zodDefault.data;
            const type = Array.isArray(d) ? "array" : Number.isInteger(d) ? "integer" : typeof d === "boolean" ? "boolean" : "string";
            expect(decl.type, `${key}: Pulumi.yaml type`).to.equal(type);
        }
    });

    it("documents the same cluster name default the validator applies, and no default environment", () => {
        expect(declared.clusterName.default).to.equal(DEFAULT_CLUSTER_NAME);
        expect(declared.environment.default).to.equal(undefined);
    });
});
