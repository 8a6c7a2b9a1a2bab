import { asArray, asRecord, asString, show } from "./values";

export const CAPACITY_PLAN_TYPE = "aiops:platform:CapacityPlan";

export interface PlanNode {
    readonly name: string;
    readonly arch: string;
    readonly cpu: number;
    readonly memory: number;
}
export interface PlanRequest {
    readonly service: string;
    readonly cpu: number;
    readonly memory: number;
}
export interface CapacityPlan {
    readonly cluster: string;
    readonly nodes: PlanNode[];
    readonly requests: PlanRequest[];
}

/** Reads a CapacityPlan's recorded inputs, collecting every problem ("`nodes[1].cpu` must be ...") at once. */
export function parseCapacityPlan(props: unknown): { plan?: CapacityPlan; problems: string[] } {
    const problems: string[] = [];
    const record = asRecord(props) ?? {};
    const cluster = asString(record.cluster);
    if (cluster === undefined || cluster === "") {
        problems.push(`\`cluster\` must be a non-empty string; got ${show(record.cluster)}`);
    }
    const number = (value: unknown, field: string, allowZero: boolean): number => {
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
            problems.push(`\`${field}\` must be a ${allowZero ? "non-negative" : "positive"} number; got ${show(value)}`);
            return 0;
        }
        return value;
    };
    const text = (value: unknown, field: string): string => {
        const s = asString(value);
        if (s === undefined || s === "") {
            problems.push(`\`${field}\` must be a non-empty string; got ${show(value)}`);
        }
        return s ?? "";
    };
    if (!Array.isArray(record.nodes) || record.nodes.length === 0) {
        problems.push(`\`nodes\` must be a non-empty list; got ${show(record.nodes)}`);
    }
    const nodes = asArray(record.nodes).map((value, i) => {
        const node = asRecord(value) ?? {};
        return {
            name: text(node.name, `nodes[${i}].name`),
            arch: text(node.arch, `nodes[${i}].arch`),
            cpu: number(node.cpu, `nodes[${i}].cpu`, false),
            memory: number(node.memory, `nodes[${i}].memory`, false),
        };
    });
    if (!Array.isArray(record.requests)) {
        problems.push(`\`requests\` must be a list; got ${show(record.requests)}`);
    }
    const requests = asArray(record.requests).map((value, i) => {
        const request = asRecord(value) ?? {};
        return {
            service: text(request.service, `requests[${i}].service`),
            cpu: number(request.cpu, `requests[${i}].cpu`, true),
            memory: number(request.memory, `requests[${i}].memory`, true),
        };
    });
    return problems.length > 0 ? { problems } : { plan: { cluster: cluster ?? "", nodes, requests }, problems };
}

export interface CapacityCheck {
    readonly fits: boolean;
    readonly cpu: { readonly requested: number; readonly usable: number; readonly total: number };
    readonly memory: { readonly requested: number; readonly usable: number; readonly total: number };
}

export function checkCapacity(plan: CapacityPlan, headroomPercent: number): CapacityCheck {
    const share = 1 - headroomPercent / 100;
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const totalCpu = sum(plan.nodes.map((n) => n.cpu));
    const totalMemory = sum(plan.nodes.map((n) => n.memory));
    const cpu = { requested: sum(plan.requests.map((r) => r.cpu)), usable: totalCpu * share, total: totalCpu };
    const memory = { requested: sum(plan.requests.map((r) => r.memory)), usable: totalMemory * share, total: totalMemory };
    return { fits: cpu.requested <= cpu.usable && memory.requested <= memory.usable, cpu, memory };
}

const GiB = 2 ** 30;
const cores = (n: number) => n.toFixed(2);
const gib = (n: number) => (n / GiB).toFixed(2);

/** A table-like summary: the totals, then the biggest consumers of whichever resource is short. */
export function describeShortfall(plan: CapacityPlan, check: CapacityCheck, headroomPercent: number, top = 5): string {
    const short = (r: CapacityCheck["cpu"]) => (r.requested > r.usable ? "  <- over" : "");
    // Rank by share of usable capacity so cpu and memory compare on one scale.
    const weight = (r: PlanRequest) =>
        Math.max(check.cpu.usable > 0 ? r.cpu / check.cpu.usable : 0, check.memory.usable > 0 ? r.memory / check.memory.usable : 0);
    const biggest = [...plan.requests].sort((a, b) => weight(b) - weight(a) || a.service.localeCompare(b.service)).slice(0, top);
    const width = Math.max(7, ...biggest.map((r) => r.service.length));
    const lines = [
        `cluster '${plan.cluster}' requests more than its ${plan.nodes.length} node(s) offer with ${headroomPercent}% headroom:`,
        `  resource  requested  usable  total`,
        `  cpu       ${cores(check.cpu.requested).padStart(9)}  ${cores(check.cpu.usable).padStart(6)}  ${cores(check.cpu.total)} cores${short(check.cpu)}`,
        `  memory    ${gib(check.memory.requested).padStart(9)}  ${gib(check.memory.usable).padStart(6)}  ${gib(check.memory.total)} GiB${short(check.memory)}`,
        `  biggest consumers:`,
        `  ${"service".padEnd(width)}  cpu    memory(GiB)`,
        ...biggest.map((r) => `  ${r.service.padEnd(width)}  ${cores(r.cpu).padEnd(5)}  ${gib(r.memory)}`),
        `Fix: lower the requests of the biggest consumers, add or enlarge nodes, or lower headroomPercent.`,
    ];
    return lines.join("\n");
}
