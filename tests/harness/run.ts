// Runs the real program for one stack under the recording mock runtime: no cloud, no CLI, no credentials.
import * as pulumi from "@pulumi/pulumi";
import { Invocation, Recorder, Registration } from "./recorder";
import { ConfigOverrides, loadStackConfig } from "./stack-config";

export interface StackOutput {
    value: unknown;
    secret: boolean;
}

export interface StackRun {
    project: string;
    stack: string;
    registrations: Registration[];
    invocations: Invocation[];
    outputs: Record<string, StackOutput>;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the program for `stack` with optional config overrides. Runs are serialised: the Pulumi runtime
 * keeps global state, so two programs must never interleave. Rejects with the program's own error.
 */
export function runStack(stack: string, overrides: ConfigOverrides = {}): Promise<StackRun> {
    const run = queue.then(() => runOnce(stack, overrides));
    queue = run.catch(() => undefined);
    return run;
}

async function runOnce(stack: string, overrides: ConfigOverrides): Promise<StackRun> {
    const { project, config, secretKeys } = loadStackConfig(stack, overrides);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const recorder = new Recorder();
    await recorder.install(project, stack);

    // Imported lazily so config and mocks are in place first; `main` reads config when called, so a
    // cached module is fine across runs.
    const { main } = await import("../../stacks");
    let exported: Record<string, unknown> = {};
    let failure: unknown;
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            exported = await main();
            return exported;
        });
    } catch (e) {
        failure = e;
    }
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs().catch((e: unknown) => {
        failure ??= e;
    });
    if (failure === undefined && recorder.unmocked.length > 0) failure = new Error(recorder.unmocked.join("\n"));
    if (failure !== undefined) {
        // Tests assert that a bad config fails before anything is declared.
        if (failure instanceof Error)
            Object.assign(failure, { registrations: recorder.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack") });
        throw failure;
    }

    const outputs: Record<string, StackOutput> = {};
    for (const [key, value] of Object.entries(exported)) outputs[key] = await settle(value);
    return {
        project,
        stack,
        registrations: recorder.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack"),
        invocations: recorder.invocations,
        outputs,
    };
}

async function settle(value: unknown): Promise<StackOutput> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as unknown as { isSecret: Promise<boolean>; promise(): Promise<unknown> };
        return { value: await o.promise(), secret: await o.isSecret };
    }
    return { value, secret: false };
}
