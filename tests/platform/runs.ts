// One program run per (stack, delivery) for all platform specs: runs are slow and deterministic.
import { RenderResult, StackRun, kubernetesObjects, listStacks, runStack, toRenderResult, unwrapSecrets } from "../harness";
import type { Registration } from "../harness";

export const DELIVERIES = ["helm", "argocd"] as const;
export type DeliveryMode = (typeof DELIVERIES)[number];

export interface PlatformRun {
    readonly run: StackRun;
    readonly render: RenderResult;
}

const cache = new Map<string, Promise<PlatformRun>>();

/** The stack run with `delivery` forced (the other settings as in its stack file). */
export function platformRun(stack: string, delivery: DeliveryMode): Promise<PlatformRun> {
    const key = `${stack}/${delivery}`;
    let run = cache.get(key);
    if (!run) {
        run = runStack(stack, { delivery }).then((r) => ({ run: r, render: toRenderResult(r) }));
        cache.set(key, run);
    }
    return run;
}

export const STACKS = listStacks();

export function byType(run: StackRun, type: string): Registration[] {
    return run.registrations.filter((r) => r.type === type);
}

export function one(run: StackRun, type: string, name: string): Registration {
    const found = run.registrations.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1)
        throw new Error(
            `expected one ${type} named ${name}; found ${found.length} (have: ${byType(run, type)
                .map((r) => r.name)
                .join(", ")})`,
        );
    return found[0];
}

export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";

/** Every Kubernetes object as kubectl would read it, with secrets unwrapped to their (mock) values. */
export function objectsOf(p: PlatformRun): Record<string, unknown>[] {
    const resources = p.run.registrations.map((r) => ({
        type: r.type,
        name: r.name,
        parent: r.parent,
        provider: r.provider,
        inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
    }));
    return kubernetesObjects({ ...p.render, resources });
}
