// The render snapshot: every stack's rendered graph, made order-insensitive, committed as a fixture so a
// refactor can prove it declares exactly what it declared before. Refresh with `npm run render:snapshot`
// when a change to the rendered graph is intended, and say why in the commit.
import * as fs from "node:fs";
import * as path from "node:path";
import { RenderResult } from "./render";
import { REPO_ROOT } from "./stack-config";

export const SNAPSHOT_DIR = path.join(REPO_ROOT, "tests", "fixtures", "render-snapshot");

export function snapshotFile(stack: string): string {
    return path.join(SNAPSHOT_DIR, `${stack}.json`);
}

/** A resource's identity in the graph: Pulumi's own `type::name`. */
function resourceId(r: { type: string; name: string }): string {
    return `${r.type}::${r.name}`;
}

/** Object keys sorted at every depth; arrays keep their order (it is meaningful, e.g. containers, rules). */
function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(value as Record<string, unknown>).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
        return out;
    }
    return value;
}

export interface Snapshot {
    project: string;
    stack: string;
    /** Keyed by `type::name`, sorted: declaration order is not part of what a stack declares. */
    resources: Record<string, unknown>;
    outputs: unknown;
}

/** The order-insensitive form of a render: resources keyed by identity, keys sorted, `undefined` dropped. */
export function toSnapshot(result: RenderResult): Snapshot {
    const resources: Record<string, unknown> = {};
    for (const r of [...result.resources].sort((a, b) => resourceId(a).localeCompare(resourceId(b)))) {
        const id = resourceId(r);
        if (id in resources) throw new Error(`render of ${result.stack} declares ${id} twice`);
        resources[id] = { parent: r.parent, provider: r.provider, inputs: r.inputs };
    }
    return JSON.parse(JSON.stringify(sortKeys({ project: result.project, stack: result.stack, resources, outputs: result.outputs })));
}

export function readSnapshot(stack: string): Snapshot | undefined {
    const file = snapshotFile(stack);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot) : undefined;
}

export function writeSnapshot(snapshot: Snapshot): string {
    fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
    const file = snapshotFile(snapshot.stack);
    fs.writeFileSync(file, JSON.stringify(snapshot, null, 1) + "\n");
    return file;
}

const MAX_SHOWN = 200;

function show(value: unknown): string {
    const s = value === undefined ? "(absent)" : JSON.stringify(value);
    return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s;
}

/** Every leaf that differs, as `path: before -> after`. */
function diffValues(before: unknown, after: unknown, at: string, out: string[]): void {
    const isObj = (v: unknown) => v !== null && typeof v === "object";
    if (isObj(before) && isObj(after) && Array.isArray(before) === Array.isArray(after)) {
        const a = before as Record<string, unknown>;
        const b = after as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        for (const k of keys) diffValues(a[k], b[k], Array.isArray(before) ? `${at}[${k}]` : `${at}.${k}`, out);
        return;
    }
    if (JSON.stringify(before) !== JSON.stringify(after)) out.push(`    ${at}: ${show(before)} -> ${show(after)}`);
}

/**
 * A readable diff of two snapshots: resources removed and added by identity, then, per changed resource,
 * each differing leaf. Empty when they are the same graph.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
    const lines: string[] = [];
    const ids = [...new Set([...Object.keys(before.resources), ...Object.keys(after.resources)])].sort();
    for (const id of ids) {
        const a = before.resources[id];
        const b = after.resources[id];
        if (a === undefined) lines.push(`+ added   ${id}`);
        else if (b === undefined) lines.push(`- removed ${id}`);
        else {
            const changes: string[] = [];
            diffValues(a, b, "", changes);
            if (changes.length > 0) lines.push(`~ changed ${id}`, ...changes);
        }
    }
    const outputs: string[] = [];
    diffValues(before.outputs, after.outputs, "outputs", outputs);
    if (outputs.length > 0) lines.push("~ changed stack outputs", ...outputs);
    return lines;
}
