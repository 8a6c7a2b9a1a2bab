// Changes to a stack's config by path ("homelab.nodes[1].arch"), as `pulumi config set --path` makes them.
import { loadStackConfig } from "../harness/stack-config";
import type { ConfigOverrides } from "../harness/stack-config";

/** "a.b[1].c" -> ["a", "b", 1, "c"] */
export function parsePath(path: string): (string | number)[] {
    const parts: (string | number)[] = [];
    for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
    return parts;
}

export function getPath(root: unknown, path: string): unknown {
    return parsePath(path).reduce<unknown>(
        (node, key) => (node === undefined || node === null ? undefined : (node as Record<string | number, unknown>)[key]),
        root,
    );
}

function setPath(root: Record<string, unknown>, parts: (string | number)[], value: unknown): void {
    let node: Record<string | number, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
        const next = node[parts[i]];
        if (typeof next !== "object" || next === null) node[parts[i]] = typeof parts[i + 1] === "number" ? [] : {};
        node = node[parts[i]] as Record<string | number, unknown>;
    }
    node[parts[parts.length - 1]] = value;
}

/**
 * Turns path edits of a stack into harness overrides: structured keys are read from the stack file,
 * edited, and passed whole. Keys with a colon ("aws:region") are provider keys and are not split.
 */
export function overridesFor(stack: string, set: Record<string, unknown> = {}, unset: string[] = []): ConfigOverrides {
    const { project, config } = loadStackConfig(stack);
    const overrides: ConfigOverrides = {};
    const structured = (top: string): Record<string, unknown> => {
        if (!(top in overrides)) {
            const text = config[`${project}:${top}`];
            overrides[top] = text === undefined ? {} : JSON.parse(text);
        }
        return overrides[top] as Record<string, unknown>;
    };
    for (const [path, value] of Object.entries(set)) {
        if (path.includes(":")) {
            overrides[path] = value;
            continue;
        }
        const [top, ...rest] = parsePath(path);
        if (rest.length === 0) overrides[String(top)] = value;
        else setPath(structured(String(top)), rest, value);
    }
    for (const key of unset) overrides[key] = undefined;
    return overrides;
}
