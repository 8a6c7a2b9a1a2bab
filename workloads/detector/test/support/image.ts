/**
 * How a workload's image starts its server, read from its Dockerfile: the node flags of the ENTRYPOINT and the
 * ENV it sets. The detector's and the MCP tool's benchmarks and heap tests start the compiled server the same
 * way, so a flag changed in a Dockerfile changes what they measure, and a figure cannot come from flags the
 * image does not use.
 */
import { readFileSync } from "node:fs";

export interface ImageStart {
    /** The node flags between "node" and the script (the first .js argument) in the ENTRYPOINT. */
    readonly nodeFlags: string[];
    /** Every ENV of the final stage (NODE_ENV, PORT, MALLOC_ARENA_MAX, ...). */
    readonly env: Record<string, string>;
}

/** Parses the final stage of a Dockerfile; throws naming what it could not find. */
export function parseImageStart(text: string): ImageStart {
    // Continuation lines joined; only the last stage (after the last FROM) is the image that runs.
    const lines = text.replace(/\\\n/g, " ").split("\n");
    const last = lines.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    const stage = last.slice(Math.max(0, last.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true)));
    const entry = stage.find((l) => /^ENTRYPOINT\s/i.test(l));
    if (entry === undefined) throw new Error("the Dockerfile's final stage has no ENTRYPOINT");
    let argv: unknown;
    try {
        argv = JSON.parse(entry.replace(/^ENTRYPOINT\s+/i, ""));
    } catch {
        argv = undefined;
    }
    const script = Array.isArray(argv) ? argv.findIndex((a) => typeof a === "string" && a.endsWith(".js")) : -1;
    if (!Array.isArray(argv) || argv[0] !== "node" || script < 0) {
        throw new Error(`the ENTRYPOINT must be the exec form ["node", <flags>..., "<script>.js", <args>...]; got ${entry}`);
    }
    const env: Record<string, string> = {};
    for (const l of stage.filter((x) => /^ENV\s/i.test(x))) {
        for (const m of l.replace(/^ENV\s+/i, "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
            env[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
        }
    }
    return { nodeFlags: argv.slice(1, script) as string[], env };
}

export function imageStart(dockerfile: string): ImageStart {
    return parseImageStart(readFileSync(dockerfile, "utf8"));
}
