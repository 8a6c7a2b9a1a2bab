import { readFileSync } from "fs";
import { asRecord } from "../lib/values";

/** One registration as tests/harness/render.ts records it. `id` and the dependency lists are optional extras. */
export interface GraphResource {
    readonly type: string;
    readonly name: string;
    /** "type::name" of the parent, or null. */
    readonly parent: string | null;
    /** "type::name" of the explicit provider, or null. */
    readonly provider: string | null;
    /** Inputs with Outputs resolved; secrets appear as "[secret]". */
    readonly inputs: Record<string, unknown>;
    /** The id the mock returned, when the renderer records it: lets references by id be linked. */
    readonly id?: string;
    /** "type::name" of resources this one depends on, when recorded. */
    readonly dependencies?: string[];
    /** Per input property, "type::name" of the resources it depends on, when recorded. */
    readonly propertyDependencies?: Record<string, string[]>;
}

/** The render JSON form: the contract between `npm run render` and this evaluator. */
export interface RenderResult {
    readonly project: string;
    readonly stack: string;
    readonly resources: GraphResource[];
    readonly outputs: Record<string, unknown>;
}

export class GraphError extends Error {}

/** Validates a parsed graph, naming the first bad field and the expected shape. */
export function parseGraph(value: unknown, source: string): RenderResult {
    const fail = (field: string, expected: string, got: unknown): never => {
        throw new GraphError(
            `${source}: \`${field}\` must be ${expected}; got ${JSON.stringify(got) ?? "nothing"}. ` +
                `Expected the JSON that \`npm run render\` prints: { project, stack, resources: [{ type, name, parent, provider, inputs }], outputs }.`,
        );
    };
    const root = asRecord(value) ?? fail("(root)", "an object", value);
    const text = (v: unknown, field: string) => (typeof v === "string" && v !== "" ? v : fail(field, "a non-empty string", v));
    const project = text(root.project, "project");
    const stack = text(root.stack, "stack");
    if (!Array.isArray(root.resources)) {
        fail("resources", "a list", root.resources);
    }
    const resources = (root.resources as unknown[]).map((entry, i): GraphResource => {
        const r = asRecord(entry) ?? fail(`resources[${i}]`, "an object", entry);
        const ref = (v: unknown, field: string) => (v === null || v === undefined ? null : text(v, field));
        const strings = (v: unknown, field: string) =>
            Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : fail(field, "a list of strings", v);
        const propertyDependencies = r.propertyDependencies === undefined ? undefined : asRecord(r.propertyDependencies);
        return {
            type: text(r.type, `resources[${i}].type`),
            name: text(r.name, `resources[${i}].name`),
            parent: ref(r.parent, `resources[${i}].parent`),
            provider: ref(r.provider, `resources[${i}].provider`),
            inputs: asRecord(r.inputs ?? {}) ?? fail(`resources[${i}].inputs`, "an object", r.inputs),
            ...(r.id === undefined || r.id === null ? {} : { id: text(r.id, `resources[${i}].id`) }),
            ...(r.dependencies === undefined ? {} : { dependencies: strings(r.dependencies, `resources[${i}].dependencies`) }),
            ...(propertyDependencies === undefined
                ? {}
                : {
                      propertyDependencies: Object.fromEntries(
                          Object.entries(propertyDependencies).map(([k, v]) => [
                              k,
                              strings(v, `resources[${i}].propertyDependencies.${k}`),
                          ]),
                      ),
                  }),
        };
    });
    return { project, stack, resources, outputs: asRecord(root.outputs) ?? {} };
}

export function loadGraph(file: string): RenderResult {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        throw new GraphError(
            `cannot read graph file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Pass the path of a JSON file written by \`npm run render\`.`,
        );
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw new GraphError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    return parseGraph(parsed, file);
}
