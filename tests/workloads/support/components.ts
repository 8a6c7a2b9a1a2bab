// Runs a few components (no stack, no config) under the harness' recording mocks, for tests of one
// component at a time with a hand-made ClusterContract.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterContract, NodePool } from "../../../components/cluster/contract";
import { Recorder, Registration, unwrapSecrets } from "../../harness/recorder";

let queue: Promise<unknown> = Promise.resolve();

/** Runs `build` inside a mock stack and returns every registration (serialised: the runtime is global). */
export function runComponents(build: () => void): Promise<Registration[]> {
    const run = queue.then(async () => {
        pulumi.runtime.setAllConfig({}, []);
        const recorder = new Recorder();
        await recorder.install("aiops-mlops-platform", "unit");
        let failure: unknown;
        try {
            await pulumi.runtime.runInPulumiStack(async () => {
                build();
                return {};
            });
        } catch (e) {
            failure = e;
        }
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs().catch((e: unknown) => {
            failure ??= e;
        });
        if (failure !== undefined) throw failure;
        return recorder.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
    });
    queue = run.catch(() => undefined);
    return run;
}

/** A cluster contract for unit tests: a provider plus the pools given. Call inside `runComponents`. */
export function fakeCluster(name: string, pools: NodePool[], storageClass = "local-path"): ClusterContract {
    return {
        clusterName: name,
        distribution: "k3s",
        kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
        provider: new k8s.Provider(`${name}-k8s`, { kubeconfig: "apiVersion: v1\nkind: Config\n" }),
        nodePools: pools,
        storageClass,
        ingressClass: undefined,
        readyResources: [],
    };
}

export function pool(name: string, arch: "amd64" | "arm64", extra: Partial<NodePool> = {}): NodePool {
    return { name, arch, count: 1, labels: {}, taints: [], allocatable: { cpu: 4, memory: 8 * 2 ** 30 }, ...extra };
}

export function ofType(regs: Registration[], type: string): Registration[] {
    return regs.filter((r) => r.type === type);
}

export function only(regs: Registration[], type: string, name?: string): Registration {
    const found = regs.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1)
        throw new Error(
            `expected one ${type}${name ? ` named ${name}` : ""}; found ${found.length}: ${regs
                .filter((r) => r.type === type)
                .map((r) => r.name)
                .join(", ")}`,
        );
    return found[0];
}

/** Inputs with secrets unwrapped, as plain JSON. */
export function plain(r: Registration): Record<string, any> {
    return JSON.parse(JSON.stringify(unwrapSecrets(r.inputs)));
}
