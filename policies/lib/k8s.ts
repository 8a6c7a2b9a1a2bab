import { ResourceValidationArgs } from "@pulumi/policy";
import { asArray, asRecord, asString, getPath, JsonRecord } from "./values";

/** Workload type tokens as @pulumi/kubernetes registers them (checked against `__pulumiType` in tests). */
export const WORKLOAD_TYPES = {
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Pod: "kubernetes:core/v1:Pod",
} as const;

export type WorkloadKind = keyof typeof WORKLOAD_TYPES;

/** Where each kind keeps its pod spec, as declared in the object. */
const POD_SPEC_PATH: Record<WorkloadKind, string> = {
    Deployment: "spec.template.spec",
    StatefulSet: "spec.template.spec",
    DaemonSet: "spec.template.spec",
    Job: "spec.template.spec",
    CronJob: "spec.jobTemplate.spec.template.spec",
    Pod: "spec",
};

const KIND_BY_TYPE = new Map<string, WorkloadKind>(
    (Object.keys(WORKLOAD_TYPES) as WorkloadKind[]).map((kind) => [WORKLOAD_TYPES[kind], kind]),
);

export interface Workload {
    readonly kind: WorkloadKind;
    readonly metadata: JsonRecord;
    /** The pod spec; an empty record when the object declares none. */
    readonly podSpec: JsonRecord;
    readonly podSpecPath: string;
    /** False for Jobs, CronJobs and run-to-completion Pods: they need no liveness/readiness probes. */
    readonly longRunning: boolean;
}

export interface ContainerRef {
    readonly container: JsonRecord;
    readonly name: string;
    /** "spec.template.spec.containers[0]": where to look in the declared object. */
    readonly path: string;
    readonly init: boolean;
}

export function workloadKindOf(type: string): WorkloadKind | undefined {
    return KIND_BY_TYPE.get(type);
}

export function workloadOf(type: string, props: unknown): Workload | undefined {
    const kind = workloadKindOf(type);
    if (kind === undefined) {
        return undefined;
    }
    const podSpecPath = POD_SPEC_PATH[kind];
    const podSpec = asRecord(getPath(props, podSpecPath)) ?? {};
    const restartPolicy = asString(podSpec.restartPolicy);
    const longRunning =
        kind === "Job" || kind === "CronJob" ? false : kind === "Pod" ? restartPolicy !== "Never" && restartPolicy !== "OnFailure" : true;
    return { kind, metadata: asRecord(getPath(props, "metadata")) ?? {}, podSpec, podSpecPath, longRunning };
}

/** Every container and init container of the workload, with its path for messages. */
export function containersOf(workload: Workload): ContainerRef[] {
    const refs: ContainerRef[] = [];
    for (const [field, init] of [
        ["initContainers", true],
        ["containers", false],
    ] as const) {
        asArray(workload.podSpec[field]).forEach((value, index) => {
            const container = asRecord(value) ?? {};
            refs.push({
                container,
                name: asString(container.name) ?? `#${index}`,
                path: `${workload.podSpecPath}.${field}[${index}]`,
                init,
            });
        });
    }
    return refs;
}

/** "container 'app' (spec.template.spec.containers[0])": how messages point at a container. */
export function describe(ref: ContainerRef): string {
    return `${ref.init ? "init container" : "container"} '${ref.name}' (${ref.path})`;
}

export type WorkloadValidation = (workload: Workload, args: ResourceValidationArgs, report: (message: string) => void) => void;

/** Like validateResourceOfType, for the six workload kinds at once. */
export function validateWorkload(validate: WorkloadValidation) {
    return (args: ResourceValidationArgs, report: (message: string) => void): void => {
        const workload = workloadOf(args.type, args.props);
        if (workload === undefined) {
            args.notApplicable("Policy only applies to Kubernetes workloads (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod).");
        }
        validate(workload, args, report);
    };
}
