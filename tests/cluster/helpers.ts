// Lookups over a recorded stack run, failing with the names that do exist.
import type { Registration, StackRun } from "../harness";
import { runStack, unwrapSecrets } from "../harness";
import { overridesFor } from "../support/config-paths";

export function one(run: StackRun, type: string, name: string): Registration {
    const hit = run.registrations.find((r) => r.type === type && r.name === name);
    if (!hit)
        throw new Error(
            `no ${type} named ${name}; have: ${
                ofType(run, type)
                    .map((r) => r.name)
                    .join(", ") || "none of that type"
            }`,
        );
    return hit;
}

export function ofType(run: StackRun, type: string): Registration[] {
    return run.registrations.filter((r) => r.type === type);
}

/** Inputs with secrets unwrapped. */
export function inputs(r: Registration): Record<string, any> {
    return unwrapSecrets(r.inputs) as Record<string, any>;
}

/** Runs a committed stack with `pulumi config set --path`-style edits. */
export function runWith(stack: string, set: Record<string, unknown> = {}, unset: string[] = []): Promise<StackRun> {
    return runStack(stack, overridesFor(stack, set, unset));
}

/** Runs expecting the program to fail; returns its error message. */
export async function failureOf(stack: string, set: Record<string, unknown>): Promise<string> {
    try {
        await runWith(stack, set);
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("the stack was expected to fail");
}

/** Registrations whose parent chain reaches `root` ("type::name"), so other layers' resources are ignored. */
export function inside(run: StackRun, root: string): Registration[] {
    const parentOf = new Map(run.registrations.map((r) => [`${r.type}::${r.name}`, r.parent]));
    const reaches = (ref: string | null): boolean => {
        for (let p = ref, hops = 0; p !== null && hops < 50; p = parentOf.get(p) ?? null, hops++) if (p === root) return true;
        return false;
    };
    return run.registrations.filter((r) => reaches(r.parent));
}
