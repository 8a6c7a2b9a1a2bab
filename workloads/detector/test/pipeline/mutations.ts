/**
 * Broken variants of the training pipeline IR. Each must fail this repository's checks (proto-shape.ts or
 * src/pipeline/validate.ts, `expect` names a substring of the problem); `sdkLoad` records whether the kfp
 * 2.17.0 SDK's load_component_from_file refuses it too (kfp-sdk.spec.ts asserts exactly that), which shows
 * what the SDK leaves to us.
 */
import type { PipelineIr } from "../../src/pipeline/ir";

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface IrMutation {
    readonly name: string;
    readonly mutate: (spec: Doc, platform: Doc) => void;
    /** A substring of one of the problems our checks report. */
    readonly expect: string;
    /** Whether the SDK refuses to load the mutant. */
    readonly sdkLoad: "refuses" | "loads";
}

const exec = (spec: Doc, label: string) => spec.deploymentSpec.executors[label].container;
const k8s = (platform: Doc, label: string) => platform.platforms.kubernetes.deploymentSpec.executors[label];

export const IR_MUTATIONS: readonly IrMutation[] = [
    {
        name: "missing executor",
        mutate: (s) => delete s.deploymentSpec.executors["exec-publish"],
        expect: "components.comp-publish.executorLabel 'exec-publish' is not in deploymentSpec.executors",
        sdkLoad: "loads",
    },
    {
        name: "unknown parameter type",
        mutate: (s) => (s.root.inputDefinitions.parameters.training_hours.parameterType = "INT"),
        expect: "'INT' is not a value of enum ParameterTypeEnum",
        sdkLoad: "refuses",
    },
    {
        name: "default value of the wrong type",
        mutate: (s) => (s.root.inputDefinitions.parameters.training_hours.defaultValue = "24"),
        expect: `root input 'training_hours' is NUMBER_INTEGER but its defaultValue is "24"`,
        sdkLoad: "loads",
    },
    {
        name: "task input of another type than the component's",
        mutate: (s) => (s.components["comp-train"].inputDefinitions.parameters.training_hours.parameterType = "STRING"),
        expect: "root input 'training_hours' is NUMBER_INTEGER but comp-train takes STRING",
        sdkLoad: "loads",
    },
    {
        name: "dangling task dependency",
        mutate: (s) => (s.root.dag.tasks.promote.dependentTasks = ["publsh"]),
        expect: "root.dag.tasks.promote.dependentTasks names 'publsh', which is not a task",
        sdkLoad: "loads",
    },
    {
        name: "dangling component reference",
        mutate: (s) => (s.root.dag.tasks.train.componentRef.name = "comp-trian"),
        expect: "root.dag.tasks.train.componentRef.name 'comp-trian' is not in components",
        sdkLoad: "loads",
    },
    {
        name: "dependency cycle",
        mutate: (s) => (s.root.dag.tasks.train.dependentTasks = ["promote"]),
        expect: "dependency cycle",
        sdkLoad: "loads",
    },
    {
        name: "artifact read without depending on its producer",
        mutate: (s) => delete s.root.dag.tasks.publish.dependentTasks,
        expect: "root.dag.tasks.publish reads an artifact of 'train' but does not list it in dependentTasks",
        sdkLoad: "loads",
    },
    {
        name: "required input not supplied",
        mutate: (s) => delete s.root.dag.tasks.train.inputs.parameters.prometheus_url,
        expect: "root.dag.tasks.train does not supply required input parameter 'prometheus_url' of comp-train",
        sdkLoad: "loads",
    },
    {
        name: "placeholder naming an undeclared input",
        mutate: (s) => (exec(s, "exec-train").args[4] = "{{$.inputs.parameters['training_hour']}}"),
        expect: "refers to input parameter 'training_hour', which the component does not declare",
        sdkLoad: "loads",
    },
    {
        name: "placeholder in an env value (KFP passes env verbatim)",
        mutate: (s) => exec(s, "exec-train").env.push({ name: "HOURS", value: "{{$.inputs.parameters['training_hours']}}" }),
        expect: "env.HOURS holds a placeholder",
        sdkLoad: "loads",
    },
    {
        name: "misspelt container field (the compiler would drop it)",
        mutate: (s) => (exec(s, "exec-train").envs = exec(s, "exec-train").env),
        expect: 'deploymentSpec.executors["exec-train"].container.envs: unknown field of PipelineContainerSpec',
        sdkLoad: "loads",
    },
    {
        name: "misspelt Kubernetes executor config field",
        mutate: (_s, p) => (k8s(p, "exec-publish").secretsAsEnv = k8s(p, "exec-publish").secretAsEnv),
        expect: "exec-publish.secretsAsEnv: unknown field of KubernetesExecutorConfig",
        sdkLoad: "loads",
    },
    {
        name: "int64 field given as text",
        mutate: (_s, p) => (k8s(p, "exec-train").activeDeadlineSeconds = "half an hour"),
        expect: "activeDeadlineSeconds: int64 expects an integer",
        sdkLoad: "loads",
    },
    {
        name: "misspelt top-level field",
        mutate: (s) => {
            s.pipelineinfo = s.pipelineInfo;
            delete s.pipelineInfo;
        },
        expect: "pipelineSpec.pipelineinfo: unknown field of PipelineSpec",
        sdkLoad: "refuses",
    },
    {
        name: "wrong schema version",
        mutate: (s) => (s.schemaVersion = "2.0.0"),
        expect: "schemaVersion must be 2.1.0",
        sdkLoad: "loads",
    },
    {
        name: "pipeline name KFP refuses",
        mutate: (s) => (s.pipelineInfo.name = "AIOps_training"),
        expect: "pipelineInfo.name must match",
        sdkLoad: "loads",
    },
    {
        name: "secretAsEnv naming no secret",
        mutate: (_s, p) => {
            delete k8s(p, "exec-publish").secretAsEnv[0].secretName;
            delete k8s(p, "exec-publish").secretAsEnv[0].secretNameParameter;
        },
        expect: "exec-publish.secretAsEnv[0] names no secret",
        sdkLoad: "loads",
    },
    {
        name: "resource that is not a quantity",
        mutate: (s) => (exec(s, "exec-train").resources.resourceCpuLimit = "one"),
        expect: "resources.resourceCpuLimit 'one' is not a Kubernetes quantity",
        sdkLoad: "loads",
    },
    {
        name: "platform config for an executor that does not exist",
        mutate: (_s, p) => (p.platforms.kubernetes.deploymentSpec.executors["exec-pubish"] = {}),
        expect: "exec-pubish configures an executor that does not exist",
        sdkLoad: "loads",
    },
];

/** A deep copy of the IR with one mutation applied. */
export function mutant(ir: PipelineIr, m: IrMutation): PipelineIr {
    const copy = JSON.parse(JSON.stringify(ir)) as { pipelineSpec: Doc; platformSpec: Doc };
    m.mutate(copy.pipelineSpec, copy.platformSpec);
    return copy as unknown as PipelineIr;
}
