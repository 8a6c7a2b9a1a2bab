// Import cycles among the repository's own TypeScript files, counting `import type` and `import()` too
// (ESLint's import-x/no-cycle skips type-only imports, and a type-only cycle still ties two layers
// together). Usage: ts-node tests/support/import-cycles.ts DIR_OR_FILE...; exits 1 and lists each cycle.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const SKIP_DIRS = new Set(["node_modules", "dist", "fixtures", ".git"]);

function collect(entry: string, out: string[]): void {
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
        for (const name of fs.readdirSync(entry).sort()) if (!SKIP_DIRS.has(name)) collect(path.join(entry, name), out);
    } else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) {
        out.push(path.resolve(entry));
    }
}

/** The file a relative specifier names, as Node resolves TypeScript sources; undefined when not a file of ours. */
function resolve(from: string, spec: string, files: Set<string>): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), spec);
    return [base, `${base}.ts`, path.join(base, "index.ts")].find((f) => files.has(f));
}

/** file -> the files of the set it imports (static, type-only, re-exports and dynamic `import()`). */
export function importGraph(roots: string[]): Map<string, string[]> {
    const list: string[] = [];
    for (const r of roots) collect(r, list);
    const files = new Set(list);
    const graph = new Map<string, string[]>();
    for (const file of list) {
        const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        const targets = info.importedFiles.map((i) => resolve(file, i.fileName, files)).filter((f): f is string => f !== undefined);
        graph.set(file, [...new Set(targets)].sort());
    }
    return graph;
}

/** Every strongly connected component of more than one file (or a file importing itself), sorted. */
export function findCycles(graph: Map<string, string[]>): string[][] {
    // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    for (const start of [...graph.keys()].sort()) {
        if (idx.has(start)) continue;
        const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
        idx.set(start, index);
        low.set(start, index++);
        stack.push(start);
        onStack.add(start);
        while (work.length > 0) {
            const frame = work[work.length - 1];
            const edges = graph.get(frame.node) ?? [];
            if (frame.next < edges.length) {
                const to = edges[frame.next++];
                if (!idx.has(to)) {
                    idx.set(to, index);
                    low.set(to, index++);
                    stack.push(to);
                    onStack.add(to);
                    work.push({ node: to, next: 0 });
                } else if (onStack.has(to)) {
                    low.set(frame.node, Math.min(low.get(frame.node)!, idx.get(to)!));
                }
                continue;
            }
            work.pop();
            if (work.length > 0) {
                const parent = work[work.length - 1].node;
                low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
            }
            if (low.get(frame.node) === idx.get(frame.node)) {
                const component: string[] = [];
                let n: string;
                do {
                    n = stack.pop()!;
                    onStack.delete(n);
                    component.push(n);
                } while (n !== frame.node);
                const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
                if (component.length > 1 || selfLoop) cycles.push(component.sort());
            }
        }
    }
    return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

if (require.main === module) {
    const roots = process.argv.slice(2);
    if (roots.length === 0) {
        process.stderr.write("usage: ts-node tests/support/import-cycles.ts DIR_OR_FILE...\n");
        process.exitCode = 2;
    } else {
        const graph = importGraph(roots);
        const cycles = findCycles(graph);
        const rel = (f: string) => path.relative(process.cwd(), f);
        for (const c of cycles) {
            process.stdout.write(`import cycle: ${c.map(rel).join(" <-> ")}\n`);
            for (const f of c) {
                const inCycle = (graph.get(f) ?? []).filter((t) => c.includes(t));
                process.stdout.write(`  ${rel(f)} imports ${inCycle.map(rel).join(", ")}\n`);
            }
        }
        process.stdout.write(`import cycles: ${cycles.length} among ${graph.size} files\n`);
        process.exitCode = cycles.length === 0 ? 0 : 1;
    }
}
