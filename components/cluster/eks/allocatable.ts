// What an EC2 node offers to pods, so the platform's fit check can count on real numbers without
// a running cluster. Figures follow the EKS AMI's kubelet reservations (awslabs/amazon-eks-ami,
// kube-reserved by core count and 11Mi per pod + 255Mi; 100Mi hard eviction) after a 7.5% VM
// memory overhead (Karpenter's default `vmMemoryOverheadPercent`). They are estimates; set
// `allocatable` on a node group to override them.

interface Shape {
    readonly vcpu: number;
    readonly memoryMiB: number;
    /** Max pods with the VPC CNI's default (no prefix delegation): ENIs x (IPs per ENI - 1) + 2. */
    readonly maxPods: number;
}

const SIZES: Record<string, { vcpu: number; maxPods: number }> = {
    large: { vcpu: 2, maxPods: 29 },
    xlarge: { vcpu: 4, maxPods: 58 },
    "2xlarge": { vcpu: 8, maxPods: 58 },
    "4xlarge": { vcpu: 16, maxPods: 234 },
};
/** GiB of memory per vCPU by family letter: compute 2, general purpose 4, memory optimised 8. */
const MEMORY_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8 };
const FAMILIES = [
    "c5",
    "c6i",
    "c6a",
    "c7i",
    "c7a",
    "c6g",
    "c7g",
    "c8g",
    "m5",
    "m6i",
    "m6a",
    "m7i",
    "m7a",
    "m6g",
    "m7g",
    "m8g",
    "r5",
    "r6i",
    "r6a",
    "r7i",
    "r7a",
    "r6g",
    "r7g",
    "r8g",
];

function buildTable(): Record<string, Shape> {
    const table: Record<string, Shape> = {
        "t3.medium": { vcpu: 2, memoryMiB: 4096, maxPods: 17 },
        "t3.large": { vcpu: 2, memoryMiB: 8192, maxPods: 35 },
        "t3.xlarge": { vcpu: 4, memoryMiB: 16384, maxPods: 58 },
        "t3.2xlarge": { vcpu: 8, memoryMiB: 32768, maxPods: 58 },
        "t3a.medium": { vcpu: 2, memoryMiB: 4096, maxPods: 17 },
        "t3a.large": { vcpu: 2, memoryMiB: 8192, maxPods: 35 },
        "t3a.xlarge": { vcpu: 4, memoryMiB: 16384, maxPods: 58 },
        "t4g.medium": { vcpu: 2, memoryMiB: 4096, maxPods: 17 },
        "t4g.large": { vcpu: 2, memoryMiB: 8192, maxPods: 35 },
        "t4g.xlarge": { vcpu: 4, memoryMiB: 16384, maxPods: 58 },
        "t4g.2xlarge": { vcpu: 8, memoryMiB: 32768, maxPods: 58 },
    };
    for (const family of FAMILIES) {
        for (const [size, s] of Object.entries(SIZES)) {
            table[`${family}.${size}`] = { vcpu: s.vcpu, memoryMiB: s.vcpu * MEMORY_PER_VCPU[family[0]] * 1024, maxPods: s.maxPods };
        }
    }
    return table;
}

export const INSTANCE_SHAPES: Readonly<Record<string, Shape>> = buildTable();

/** kube-reserved CPU in millicores: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above four. */
export function reservedCpuMillis(vcpu: number): number {
    const steps: [number, number][] = [
        [1, 60],
        [1, 10],
        [2, 5],
        [Infinity, 2.5],
    ];
    let left = vcpu;
    let total = 0;
    for (const [cores, perCore] of steps) {
        const n = Math.min(left, cores);
        total += n * perCore;
        left -= n;
        if (left <= 0) break;
    }
    return total;
}

export interface Allocatable {
    /** Cores. */
    readonly cpu: number;
    /** Bytes. */
    readonly memory: number;
}

const MiB = 2 ** 20;

/** Allocatable CPU and memory of one node of `instanceType`; throws for a type not in the table. */
export function allocatableFor(instanceType: string): Allocatable {
    const shape = INSTANCE_SHAPES[instanceType];
    if (!shape) {
        throw new Error(
            `no allocatable figures for instance type '${instanceType}'; set \`allocatable: {cpu, memory}\` on the node group (known types: ${Object.keys(
                INSTANCE_SHAPES,
            )
                .filter((t) => t.endsWith(".large"))
                .slice(0, 6)
                .join(", ")}, ...)`,
        );
    }
    const cpu = shape.vcpu - reservedCpuMillis(shape.vcpu) / 1000;
    const memoryMiB = Math.floor(shape.memoryMiB * (1 - 0.075)) - (255 + 11 * shape.maxPods) - 100;
    return { cpu: Math.round(cpu * 1000) / 1000, memory: memoryMiB * MiB };
}

/** A group with several types counts on its smallest one. */
export function groupAllocatable(instanceTypes: readonly string[]): Allocatable {
    if (instanceTypes.length === 0) throw new Error("a node group needs at least one instance type");
    const each = instanceTypes.map(allocatableFor);
    return { cpu: Math.min(...each.map((a) => a.cpu)), memory: Math.min(...each.map((a) => a.memory)) };
}

/** Instance types from `types` that the table does not know. */
export function unknownInstanceTypes(types: readonly string[]): string[] {
    return types.filter((t) => !(t in INSTANCE_SHAPES));
}
