// Checks of a pipeline IR that neither the kfp SDK (2.17.0) nor KFP's API server make at upload time, so a
// broken IR would otherwise fail only when a run starts (or, for a placeholder in an env value, run with the
// literal text). What the SDK's `load_component_from_text` does check: the YAML has one or two documents,
// `pipelineInfo.name`, `root`, `components` and `deploymentSpec.executors` exist, root parameter types are
// known, and the whole spec parses strictly as the PipelineSpec proto (json_format.ParseDict). What the API
// server adds (backend/src/apiserver/template/v2_template.go, common/utils.go): schemaVersion 2.1.0, a
// pipeline name matching ^[a-z0-9][a-z0-9-]{0,127}$, a root component, strict protojson of both documents.
// Neither resolves references between tasks, components and executors, nor looks at the DAG or the
// placeholders; this module does.
import type { ComponentSpec, ParameterType, PipelineIr } from "./ir";
import { SCHEMA_VERSION } from "./ir";
import { PIPELINE_NAME_PATTERN } from "./settings";

const PARAMETER_TYPES: readonly ParameterType[] = [
    "STRING",
    "NUMBER_INTEGER",
    "NUMBER_DOUBLE",
    "BOOLEAN",
    "LIST",
    "STRUCT",
    "TASK_FINAL_STATUS",
];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Kubernetes resource quantity (apimachinery resource.Quantity, decimal and binary suffixes). */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;
const PLACEHOLDER = /\{\{\$[^}]*\}\}/g;
const KNOWN_PLACEHOLDER =
    /^\{\{\$\.(inputs\.parameters\['([^']+)'\]|inputs\.artifacts\['([^']+)'\]\.(path|uri)|outputs\.artifacts\['([^']+)'\]\.(path|uri)|outputs\.parameters\['([^']+)'\]\.output_file)\}\}$/;

/** Whether a JSON value fits a parameter type, the way the API server checks runtime values. */
export function valueMatchesType(type: ParameterType, value: unknown): boolean {
    switch (type) {
        case "STRING":
            return typeof value === "string";
        case "NUMBER_INTEGER":
            return typeof value === "number" && Number.isInteger(value);
        case "NUMBER_DOUBLE":
            return typeof value === "number" && Number.isFinite(value);
        case "BOOLEAN":
            return typeof value === "boolean";
        case "LIST":
            return Array.isArray(value);
        case "STRUCT":
            return value !== null && typeof value === "object" && !Array.isArray(value);
        default:
            return false;
    }
}

function checkPlaceholders(problems: string[], where: string, text: string, comp: ComponentSpec): void {
    for (const ph of text.match(PLACEHOLDER) ?? []) {
        const m = KNOWN_PLACEHOLDER.exec(ph);
        if (m === null) {
            problems.push(`${where}: unknown placeholder ${ph}`);
            continue;
        }
        const [, , inParam, inArtifact, , outArtifact, , outParam] = m;
        if (inParam !== undefined && comp.inputDefinitions?.parameters?.[inParam] === undefined)
            problems.push(`${where}: ${ph} refers to input parameter '${inParam}', which the component does not declare`);
        if (inArtifact !== undefined && comp.inputDefinitions?.artifacts?.[inArtifact] === undefined)
            problems.push(`${where}: ${ph} refers to input artifact '${inArtifact}', which the component does not declare`);
        if (outArtifact !== undefined && comp.outputDefinitions?.artifacts?.[outArtifact] === undefined)
            problems.push(`${where}: ${ph} refers to output artifact '${outArtifact}', which the component does not declare`);
        if (outParam !== undefined && comp.outputDefinitions?.parameters?.[outParam] === undefined)
            problems.push(`${where}: ${ph} refers to output parameter '${outParam}', which the component does not declare`);
    }
}

/** Every problem of the IR, as messages that name the path; empty when it is sound. */
export function validatePipelineIr(ir: PipelineIr): string[] {
    const problems: string[] = [];
    const spec = ir.pipelineSpec;
    if (spec.schemaVersion !== SCHEMA_VERSION)
        problems.push(`schemaVersion must be ${SCHEMA_VERSION} (the only one KFP 2.17 runs); got '${spec.schemaVersion}'`);
    const name = spec.pipelineInfo?.name ?? "";
    if (!PIPELINE_NAME_PATTERN.test(name)) problems.push(`pipelineInfo.name must match ${PIPELINE_NAME_PATTERN.source}; got '${name}'`);

    const components = spec.components ?? {};
    const executors = spec.deploymentSpec?.executors ?? {};
    const rootParams = spec.root?.inputDefinitions?.parameters ?? {};
    for (const [p, def] of Object.entries(rootParams)) {
        if (!PARAMETER_TYPES.includes(def.parameterType))
            problems.push(`root input '${p}' has unknown parameterType '${def.parameterType}'`);
        else if (def.defaultValue !== undefined && !valueMatchesType(def.parameterType, def.defaultValue))
            problems.push(`root input '${p}' is ${def.parameterType} but its defaultValue is ${JSON.stringify(def.defaultValue)}`);
    }

    const tasks = spec.root?.dag?.tasks ?? {};
    if (Object.keys(tasks).length === 0) problems.push("root.dag.tasks is empty");
    const usedComponents = new Set<string>();
    for (const [taskName, t] of Object.entries(tasks)) {
        const where = `root.dag.tasks.${taskName}`;
        if (t.taskInfo?.name === undefined || t.taskInfo.name === "") problems.push(`${where}.taskInfo.name is missing`);
        const compName = t.componentRef?.name;
        const comp = compName === undefined ? undefined : components[compName];
        if (comp === undefined) {
            problems.push(`${where}.componentRef.name '${compName}' is not in components`);
            continue;
        }
        usedComponents.add(compName as string);
        for (const dep of t.dependentTasks ?? []) {
            if (dep === taskName) problems.push(`${where} depends on itself`);
            else if (tasks[dep] === undefined) problems.push(`${where}.dependentTasks names '${dep}', which is not a task`);
        }
        const declaredParams = comp.inputDefinitions?.parameters ?? {};
        for (const [p, source] of Object.entries(t.inputs?.parameters ?? {})) {
            if (declaredParams[p] === undefined) problems.push(`${where}.inputs.parameters.${p} is not an input of ${compName}`);
            const rootName = source.componentInputParameter;
            if (rootName !== undefined) {
                if (rootParams[rootName] === undefined)
                    problems.push(`${where}.inputs.parameters.${p} reads root input '${rootName}', which does not exist`);
                else if (declaredParams[p] !== undefined && rootParams[rootName].parameterType !== declaredParams[p].parameterType)
                    problems.push(
                        `${where}.inputs.parameters.${p}: root input '${rootName}' is ${rootParams[rootName].parameterType} but ${compName} takes ${declaredParams[p].parameterType}`,
                    );
            } else if (source.runtimeValue === undefined) problems.push(`${where}.inputs.parameters.${p} has no source`);
        }
        for (const [p, def] of Object.entries(declaredParams))
            if (t.inputs?.parameters?.[p] === undefined && def.isOptional !== true && def.defaultValue === undefined)
                problems.push(`${where} does not supply required input parameter '${p}' of ${compName}`);
        const declaredArtifacts = comp.inputDefinitions?.artifacts ?? {};
        for (const [a, source] of Object.entries(t.inputs?.artifacts ?? {})) {
            if (declaredArtifacts[a] === undefined) problems.push(`${where}.inputs.artifacts.${a} is not an input of ${compName}`);
            const out = source.taskOutputArtifact;
            if (out === undefined) {
                problems.push(`${where}.inputs.artifacts.${a} has no taskOutputArtifact`);
                continue;
            }
            const producer = tasks[out.producerTask];
            const produced =
                producer === undefined
                    ? undefined
                    : components[producer.componentRef?.name]?.outputDefinitions?.artifacts?.[out.outputArtifactKey];
            if (producer === undefined)
                problems.push(`${where}.inputs.artifacts.${a} comes from task '${out.producerTask}', which does not exist`);
            else if (produced === undefined)
                problems.push(
                    `${where}.inputs.artifacts.${a}: task '${out.producerTask}' has no output artifact '${out.outputArtifactKey}'`,
                );
            else if (
                declaredArtifacts[a] !== undefined &&
                produced.artifactType.schemaTitle !== declaredArtifacts[a].artifactType.schemaTitle
            )
                problems.push(
                    `${where}.inputs.artifacts.${a} is ${declaredArtifacts[a].artifactType.schemaTitle} but '${out.producerTask}' produces ${produced.artifactType.schemaTitle}`,
                );
            // KFP orders tasks only by dependentTasks; a consumer must name its producer.
            if (producer !== undefined && !(t.dependentTasks ?? []).includes(out.producerTask))
                problems.push(`${where} reads an artifact of '${out.producerTask}' but does not list it in dependentTasks`);
        }
        for (const a of Object.keys(declaredArtifacts))
            if (t.inputs?.artifacts?.[a] === undefined) problems.push(`${where} does not supply input artifact '${a}' of ${compName}`);
    }
    const cycle = findCycle(Object.fromEntries(Object.entries(tasks).map(([n, t]) => [n, t.dependentTasks ?? []])));
    if (cycle !== undefined) problems.push(`root.dag.tasks has a dependency cycle: ${cycle.join(" -> ")}`);

    const usedExecutors = new Set<string>();
    for (const [compName, comp] of Object.entries(components)) {
        if (!usedComponents.has(compName)) problems.push(`components.${compName} is not used by any task`);
        if (comp.executorLabel === undefined) {
            if (comp.dag === undefined) problems.push(`components.${compName} has neither executorLabel nor dag`);
            continue;
        }
        const exec = executors[comp.executorLabel];
        if (exec === undefined) {
            problems.push(`components.${compName}.executorLabel '${comp.executorLabel}' is not in deploymentSpec.executors`);
            continue;
        }
        usedExecutors.add(comp.executorLabel);
        const where = `deploymentSpec.executors.${comp.executorLabel}.container`;
        const c = exec.container;
        if (c === undefined || typeof c.image !== "string" || c.image === "") {
            problems.push(`${where}.image is missing`);
            continue;
        }
        if ((c.command ?? []).length === 0) problems.push(`${where}.command is empty (the image's entrypoint would run instead)`);
        [...(c.command ?? []), ...(c.args ?? [])].forEach((arg) => checkPlaceholders(problems, where, arg, comp));
        const seen = new Set<string>();
        for (const e of c.env ?? []) {
            if (!ENV_NAME.test(e.name)) problems.push(`${where}.env: '${e.name}' is not a valid variable name`);
            if (seen.has(e.name)) problems.push(`${where}.env: '${e.name}' is set twice`);
            seen.add(e.name);
            // The driver copies env values verbatim (backend/src/v2/driver/driver.go initPodSpecPatch): a
            // placeholder there would reach the program as literal text.
            if (e.value.includes("{{$"))
                problems.push(`${where}.env.${e.name} holds a placeholder, which KFP does not resolve in env; pass it as an arg`);
        }
        for (const [k, q] of Object.entries(c.resources ?? {}))
            if (!QUANTITY.test(q)) problems.push(`${where}.resources.${k} '${q}' is not a Kubernetes quantity`);
    }
    for (const label of Object.keys(executors))
        if (!usedExecutors.has(label)) problems.push(`deploymentSpec.executors.${label} is not used by any component`);

    const platform = ir.platformSpec?.platforms?.kubernetes?.deploymentSpec?.executors ?? {};
    for (const [label, config] of Object.entries(platform)) {
        const where = `platforms.kubernetes.deploymentSpec.executors.${label}`;
        if (executors[label] === undefined) problems.push(`${where} configures an executor that does not exist`);
        const containerEnv = new Set((executors[label]?.container?.env ?? []).map((e) => e.name));
        for (const [i, s] of ((config.secretAsEnv ?? []) as Record<string, unknown>[]).entries()) {
            const nameParam = s.secretNameParameter as
                { runtimeValue?: { constant?: unknown }; componentInputParameter?: string } | undefined;
            const secretName = nameParam?.runtimeValue?.constant ?? s.secretName;
            if (nameParam?.componentInputParameter !== undefined) {
                if (rootParams[nameParam.componentInputParameter] === undefined)
                    problems.push(
                        `${where}.secretAsEnv[${i}] reads the secret name from root input '${nameParam.componentInputParameter}', which does not exist`,
                    );
            } else if (typeof secretName !== "string" || secretName === "") problems.push(`${where}.secretAsEnv[${i}] names no secret`);
            const keyToEnv = (s.keyToEnv ?? []) as { secretKey?: string; envVar?: string }[];
            if (keyToEnv.length === 0) problems.push(`${where}.secretAsEnv[${i}].keyToEnv is empty`);
            for (const k of keyToEnv) {
                if (!ENV_NAME.test(k.envVar ?? "")) problems.push(`${where}.secretAsEnv[${i}]: '${k.envVar}' is not a valid variable name`);
                if (containerEnv.has(k.envVar ?? ""))
                    problems.push(`${where}.secretAsEnv[${i}]: ${k.envVar} is also set in the container env`);
            }
        }
    }
    return problems;
}

/**
 * The API server's check of a run's or recurring run's runtime parameters against the root inputs
 * (validatePipelineJobInputs in backend/src/apiserver/template/v2_template.go, 2.17.0): known names only,
 * JSON kinds matching the parameter types, required inputs present. Done before the POST, so a mistake is
 * reported with the parameter's name instead of a 400 from KFP.
 */
export function validateRuntimeParameters(ir: PipelineIr, parameters: Readonly<Record<string, unknown>>): string[] {
    const problems: string[] = [];
    const declared = ir.pipelineSpec.root?.inputDefinitions?.parameters ?? {};
    for (const [name, def] of Object.entries(declared)) {
        const v = parameters[name];
        if (v === undefined) {
            if (def.isOptional !== true && def.defaultValue === undefined)
                problems.push(`parameter ${name} is required and has no default`);
        } else if (!valueMatchesType(def.parameterType, v)) {
            problems.push(`parameter ${name} must be ${def.parameterType}; got ${JSON.stringify(v)}`);
        }
    }
    for (const name of Object.keys(parameters))
        if (declared[name] === undefined) problems.push(`parameter ${name} is not an input of the pipeline`);
    return problems;
}

/** A dependency cycle in task -> dependencies, or undefined. */
export function findCycle(graph: Readonly<Record<string, readonly string[]>>): string[] | undefined {
    const state = new Map<string, "visiting" | "done">();
    const path: string[] = [];
    const visit = (n: string): string[] | undefined => {
        if (state.get(n) === "done") return undefined;
        if (state.get(n) === "visiting") return [...path.slice(path.indexOf(n)), n];
        state.set(n, "visiting");
        path.push(n);
        for (const d of graph[n] ?? []) {
            if (graph[d] === undefined) continue;
            const c = visit(d);
            if (c !== undefined) return c;
        }
        path.pop();
        state.set(n, "done");
        return undefined;
    };
    for (const n of Object.keys(graph)) {
        const c = visit(n);
        if (c !== undefined) return c;
    }
    return undefined;
}

/** Throws one error listing every problem of the IR. */
export function assertValidPipelineIr(ir: PipelineIr): void {
    const problems = validatePipelineIr(ir);
    if (problems.length > 0) throw new Error(`pipeline IR is invalid:\n  - ${problems.join("\n  - ")}`);
}
