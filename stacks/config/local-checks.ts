// Rules of the `local` block (schema: local-schema.ts) that span fields: a host reserve that leaves the
// cluster something, and two different ports.
import { parseCpu, parseMemory } from "../../components/shared/quantity";
import type { LocalConfig } from "./local-schema";
import { PROJECT, Problem } from "./problems";

/** What the k3d cluster may give pods: the machine minus the host's reserve, in cores and bytes. */
export function localAllocatable(local: Pick<LocalConfig, "machine" | "hostReserve">): { cpu: number; memory: number } {
    return {
        cpu: parseCpu(local.machine.cpu) - parseCpu(local.hostReserve.cpu),
        memory: parseMemory(local.machine.memory) - parseMemory(local.hostReserve.memory),
    };
}

export function localProblems(local: LocalConfig): Problem[] {
    const problems: Problem[] = [];
    const left = localAllocatable(local);
    if (left.cpu <= 0 || left.memory <= 0) {
        problems.push({
            key: "local.hostReserve",
            message: `must leave the cluster some of local.machine; got machine ${JSON.stringify(local.machine)} and reserve ${JSON.stringify(local.hostReserve)}`,
            fix: `pulumi config set --path '${PROJECT}:local.machine.memory' 16Gi  (this machine's real numbers), or lower local.hostReserve`,
        });
    }
    if (local.httpPort === local.apiPort) {
        problems.push({
            key: "local.httpPort",
            message: `must differ from local.apiPort; both are ${local.apiPort}`,
            fix: `pulumi config set --path '${PROJECT}:local.httpPort' 8080`,
        });
    }
    return problems;
}
