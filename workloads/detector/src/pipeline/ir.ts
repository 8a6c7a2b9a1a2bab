// The training pipeline as Kubeflow Pipelines v2 pipeline IR (PipelineSpec, api/v2alpha1/pipeline_spec.proto
// at KFP 2.17.0), written the way the kfp SDK compiles it: proto3 JSON names in lowerCamelCase, `comp-<task>`
// components, `exec-<task>` executors, and the Kubernetes platform config (kubernetes_executor_config.proto)
// as a second YAML document keyed by executor label. Pure: the registration Job and the Pulumi program can
// both build it from the same settings.
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { CREDENTIAL_KEYS, stepEnvironment, TrainingSettings } from "./settings";
import { DETECTOR_COMMAND, MODELS_ARTIFACT, STEP_USER, StepParameter, stepLabels, TRAINING_STEPS, TrainingStep } from "./steps";

/** The IR schema version KFP 2.17.0 accepts (and the only one it does). */
export const SCHEMA_VERSION = "2.1.0";
/** Written the way the SDK writes it (`kfp-<version>`): the KFP release this IR is authored against. */
export const SDK_VERSION = "kfp-2.17.0";

export type ParameterType = "STRING" | "NUMBER_INTEGER" | "NUMBER_DOUBLE" | "BOOLEAN" | "LIST" | "STRUCT" | "TASK_FINAL_STATUS";

export interface ParameterSpec {
    parameterType: ParameterType;
    defaultValue?: unknown;
    isOptional?: boolean;
    description?: string;
}

export interface ArtifactSpec {
    artifactType: { schemaTitle: string; schemaVersion: string };
}

export interface ComponentSpec {
    executorLabel?: string;
    inputDefinitions?: { parameters?: Record<string, ParameterSpec>; artifacts?: Record<string, ArtifactSpec> };
    outputDefinitions?: { parameters?: Record<string, ParameterSpec>; artifacts?: Record<string, ArtifactSpec> };
    dag?: { tasks: Record<string, TaskSpec> };
}

export interface TaskSpec {
    taskInfo: { name: string };
    componentRef: { name: string };
    dependentTasks?: string[];
    cachingOptions?: { enableCache?: boolean };
    inputs?: {
        parameters?: Record<string, { componentInputParameter?: string; runtimeValue?: { constant: unknown } }>;
        artifacts?: Record<string, { taskOutputArtifact?: { producerTask: string; outputArtifactKey: string } }>;
    };
}

export interface ContainerSpec {
    image: string;
    command?: string[];
    args?: string[];
    env?: { name: string; value: string }[];
    resources?: Record<string, string>;
}

export interface PipelineSpec {
    pipelineInfo: { name: string; description?: string };
    root: ComponentSpec;
    components: Record<string, ComponentSpec>;
    deploymentSpec: { executors: Record<string, { container: ContainerSpec }> };
    schemaVersion: string;
    sdkVersion: string;
}

/** The `platforms.kubernetes` document: one KubernetesExecutorConfig per executor label. */
export interface PlatformSpec {
    platforms: { kubernetes: { deploymentSpec: { executors: Record<string, Record<string, unknown>> } } };
}

export interface PipelineIr {
    readonly pipelineSpec: PipelineSpec;
    readonly platformSpec: PlatformSpec;
}

/** The root inputs: what an operator may override when starting a run from the KFP UI. */
export const PIPELINE_PARAMETERS: Readonly<Record<StepParameter, { type: ParameterType; description: string }>> = {
    prometheus_url: { type: "STRING", description: "Prometheus base URL the training reads node-exporter history from." },
    training_hours: { type: "NUMBER_INTEGER", description: "Hours of history each model is trained on." },
    training_step_seconds: { type: "NUMBER_INTEGER", description: "Resolution of the history, in seconds." },
};

/** Each root parameter's default, from the settings. */
export function parameterDefaults(s: TrainingSettings): Record<StepParameter, string | number> {
    return { prometheus_url: s.prometheusUrl, training_hours: s.trainingHours, training_step_seconds: s.trainingStepSeconds };
}

export const componentName = (step: TrainingStep) => `comp-${step.name}`;
export const executorLabel = (step: TrainingStep) => `exec-${step.name}`;

/** The IR placeholders the steps' args use (resolved by KFP's driver at run time). */
export const IR_BINDING = {
    parameters: {
        prometheus_url: "{{$.inputs.parameters['prometheus_url']}}",
        training_hours: "{{$.inputs.parameters['training_hours']}}",
        training_step_seconds: "{{$.inputs.parameters['training_step_seconds']}}",
    },
    modelsOut: `{{$.outputs.artifacts['${MODELS_ARTIFACT.name}'].path}}`,
    modelsIn: `{{$.inputs.artifacts['${MODELS_ARTIFACT.name}'].path}}`,
} as const;

const MODELS_TYPE: ArtifactSpec = {
    artifactType: { schemaTitle: MODELS_ARTIFACT.schemaTitle, schemaVersion: MODELS_ARTIFACT.schemaVersion },
};

function component(step: TrainingStep): ComponentSpec {
    const c: ComponentSpec = { executorLabel: executorLabel(step) };
    const parameters = Object.fromEntries(step.parameters.map((p) => [p, { parameterType: PIPELINE_PARAMETERS[p].type }]));
    if (step.parameters.length > 0 || step.consumesModels)
        c.inputDefinitions = {
            ...(step.parameters.length > 0 ? { parameters } : {}),
            ...(step.consumesModels ? { artifacts: { [MODELS_ARTIFACT.name]: MODELS_TYPE } } : {}),
        };
    if (step.producesModels) c.outputDefinitions = { artifacts: { [MODELS_ARTIFACT.name]: MODELS_TYPE } };
    return c;
}

function task(step: TrainingStep, previous: TrainingStep | undefined): TaskSpec {
    const producer = TRAINING_STEPS.find((s) => s.producesModels);
    const t: TaskSpec = {
        taskInfo: { name: step.name },
        componentRef: { name: componentName(step) },
        // Every run must read fresh history: with caching on, KFP would reuse yesterday's training because
        // the task's inputs (URL, hours, step) are the same every day.
        cachingOptions: { enableCache: false },
    };
    // The chain (train -> publish -> promote) plus the producer of any artifact the step reads: KFP needs
    // every task whose output a task consumes listed in its dependentTasks (the SDK compiler adds them too).
    const after = new Set<string>(previous !== undefined ? [previous.name] : []);
    if (step.consumesModels && producer !== undefined) after.add(producer.name);
    if (after.size > 0) t.dependentTasks = [...after].sort();
    const inputs: TaskSpec["inputs"] = {};
    if (step.parameters.length > 0) inputs.parameters = Object.fromEntries(step.parameters.map((p) => [p, { componentInputParameter: p }]));
    if (step.consumesModels && producer !== undefined)
        inputs.artifacts = {
            [MODELS_ARTIFACT.name]: { taskOutputArtifact: { producerTask: producer.name, outputArtifactKey: MODELS_ARTIFACT.name } },
        };
    if (inputs.parameters !== undefined || inputs.artifacts !== undefined) t.inputs = inputs;
    return t;
}

function platformConfig(s: TrainingSettings, step: TrainingStep): Record<string, unknown> {
    // Laid out as kfp-kubernetes 2.17.0 writes it (json_format.MessageToDict: int64 as strings, the
    // deprecated secretName next to secretNameParameter for older backends).
    const config: Record<string, unknown> = {};
    if (s.credentialsSecret !== undefined && step.usesObjectStore)
        config.secretAsEnv = [
            {
                secretName: s.credentialsSecret,
                keyToEnv: [
                    { secretKey: CREDENTIAL_KEYS.accessKey, envVar: CREDENTIAL_KEYS.accessKey },
                    { secretKey: CREDENTIAL_KEYS.secretKey, envVar: CREDENTIAL_KEYS.secretKey },
                ],
                optional: false,
                secretNameParameter: { runtimeValue: { constant: s.credentialsSecret } },
            },
        ];
    config.podMetadata = { labels: stepLabels(s.pipelineName, step.name) };
    config.activeDeadlineSeconds = String(step.deadlineSeconds);
    config.securityContext = { runAsUser: String(STEP_USER), runAsGroup: String(STEP_USER), runAsNonRoot: true };
    return config;
}

/** Builds the pipeline IR from the settings. Pure and deterministic (same settings, same bytes). */
export function buildPipelineIr(s: TrainingSettings): PipelineIr {
    const defaults = parameterDefaults(s);
    const env = stepEnvironment(s);
    const tasks: Record<string, TaskSpec> = {};
    const components: Record<string, ComponentSpec> = {};
    const executors: Record<string, { container: ContainerSpec }> = {};
    const platform: Record<string, Record<string, unknown>> = {};
    TRAINING_STEPS.forEach((step, i) => {
        tasks[step.name] = task(step, TRAINING_STEPS[i - 1]);
        components[componentName(step)] = component(step);
        executors[executorLabel(step)] = {
            container: {
                image: s.image,
                command: [...DETECTOR_COMMAND],
                args: step.args(IR_BINDING),
                env: env.map((e) => ({ ...e })),
                resources: {
                    resourceCpuLimit: step.resources.cpuLimit,
                    resourceCpuRequest: step.resources.cpuRequest,
                    resourceMemoryLimit: step.resources.memoryLimit,
                    resourceMemoryRequest: step.resources.memoryRequest,
                },
            },
        };
        platform[executorLabel(step)] = platformConfig(s, step);
    });
    const rootParameters = Object.fromEntries(
        (Object.keys(PIPELINE_PARAMETERS) as StepParameter[]).map((p) => [
            p,
            {
                parameterType: PIPELINE_PARAMETERS[p].type,
                defaultValue: defaults[p],
                isOptional: true,
                description: PIPELINE_PARAMETERS[p].description,
            },
        ]),
    );
    return {
        pipelineSpec: {
            pipelineInfo: {
                name: s.pipelineName,
                description:
                    "Trains the node-metric anomaly models from Prometheus, publishes them to the model store and MLflow, and promotes them when they pass the guard.",
            },
            root: { inputDefinitions: { parameters: rootParameters }, dag: { tasks } },
            components,
            deploymentSpec: { executors },
            schemaVersion: SCHEMA_VERSION,
            sdkVersion: SDK_VERSION,
        },
        platformSpec: { platforms: { kubernetes: { deploymentSpec: { executors: platform } } } },
    };
}

/** JSON with object keys sorted at every level, for hashing. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object")
        return `{${Object.keys(value)
            .sort()
            .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    return JSON.stringify(value);
}

/** SHA-256 (hex) of the IR's canonical JSON: any change to the pipeline or platform spec changes it. */
export function irDigest(ir: PipelineIr): string {
    return createHash("sha256")
        .update(canonicalJson({ pipelineSpec: ir.pipelineSpec, platformSpec: ir.platformSpec }))
        .digest("hex");
}

/** The pipeline version name for an IR: `<pipeline>-<first 12 hex digits of its digest>`. */
export function versionName(ir: PipelineIr): string {
    return `${ir.pipelineSpec.pipelineInfo.name}-${irDigest(ir).slice(0, 12)}`;
}

const TYPE_NAMES: Record<ParameterType, string> = {
    STRING: "str",
    NUMBER_INTEGER: "int",
    NUMBER_DOUBLE: "float",
    BOOLEAN: "bool",
    LIST: "list",
    STRUCT: "dict",
    TASK_FINAL_STATUS: "PipelineTaskFinalStatus",
};

/**
 * The IR as the multi-document YAML the SDK compiles and KFP's upload endpoint takes: the pipeline spec,
 * then `---` and the platform spec. The comment header follows the SDK's (the SDK reads `# Description:`
 * on line 3 back as the component description).
 */
export function pipelineYaml(ir: PipelineIr): string {
    const spec = ir.pipelineSpec;
    const params = spec.root.inputDefinitions?.parameters ?? {};
    const header = [
        "# PIPELINE DEFINITION",
        `# Name: ${spec.pipelineInfo?.name ?? ""}`,
        `# Description: ${spec.pipelineInfo?.description ?? ""}`,
        "# Inputs:",
        ...Object.entries(params).map(
            ([name, p]) =>
                `#    ${name}: ${TYPE_NAMES[p.parameterType]}${p.defaultValue === undefined ? "" : ` [Default: ${JSON.stringify(p.defaultValue)}]`}`,
        ),
    ];
    const opts = { lineWidth: 0, sortMapEntries: true, aliasDuplicateObjects: false } as const;
    return `${header.join("\n")}\n${stringify(spec, opts)}---\n${stringify(ir.platformSpec, opts)}`;
}
