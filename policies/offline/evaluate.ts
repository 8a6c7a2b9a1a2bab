// Runs the pack's policies without the Pulumi CLI: over a rendered graph (the `npm run policy` CLI) or over
// single resources (the tests). It mirrors what @pulumi/policy's analyzer server does per policy: config =
// schema defaults + overrides, notApplicable throws, the pack-level default level is advisory, "remediate"
// reports as mandatory. The difference: props are the recorded inputs, where a value not known yet is null
// (the engine would hand the policy an unknown, and abort it if read).
import {
    EnforcementLevel,
    Policies,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { GraphResource, RenderResult } from "./graph";

export type PolicyDefinition = ResourceValidationPolicy | StackValidationPolicy;
export type PolicyConfigOverrides = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;
export type ReportedLevel = "mandatory" | "advisory";

export interface Violation {
    readonly policy: string;
    readonly level: ReportedLevel;
    /** "<type>::<name>" of the resource, or of the stack for stack-wide findings. */
    readonly resource: string;
    readonly message: string;
}

export interface EvaluationResult {
    /** How many policies ran (disabled ones excluded). */
    readonly policies: number;
    readonly violations: Violation[];
}

export interface StackViolation {
    readonly message: string;
    readonly urn?: string;
}

/** The minimum a test gives for one resource. */
export interface ResourceUnderTest {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    readonly provider?: PolicyProviderResource;
}

export class ConfigError extends Error {}

class NotApplicable extends Error {
    constructor(reason?: string) {
        super(reason ?? "not applicable");
    }
}

const PACK_DEFAULT_LEVEL: EnforcementLevel = "advisory";
const STACK_TYPE = "pulumi:pulumi:Stack";

export function isResourcePolicy(policy: PolicyDefinition): policy is ResourceValidationPolicy {
    return "validateResource" in policy;
}

export function isStackPolicy(policy: PolicyDefinition): policy is StackValidationPolicy {
    return "validateStack" in policy;
}

/** The policy's config: configSchema defaults, overridden by `overrides`, each override type-checked. */
export function configFor(policy: PolicyDefinition, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const properties = policy.configSchema?.properties ?? {};
    const config: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(properties)) {
        if (schema.default !== undefined) {
            config[key] = structuredClone(schema.default);
        }
    }
    for (const [key, value] of Object.entries(overrides)) {
        if (key === "enforcementLevel") {
            continue;
        }
        const schema = properties[key];
        if (schema === undefined) {
            throw new ConfigError(
                `policy ${policy.name} has no config key \`${key}\`; known keys: ${Object.keys(properties).join(", ") || "none"}.`,
            );
        }
        const expected = typeof schema.type === "string" ? schema.type : undefined;
        if (expected !== undefined && !hasJsonType(value, expected)) {
            throw new ConfigError(
                `policy ${policy.name}: config \`${key}\` must be ${expected === "array" || expected === "object" ? "an" : "a"} ${expected}; got ${JSON.stringify(value)}.`,
            );
        }
        config[key] = value;
    }
    for (const key of policy.configSchema?.required ?? []) {
        if (config[key] === undefined) {
            throw new ConfigError(`policy ${policy.name} requires config \`${key}\`.`);
        }
    }
    return config;
}

function hasJsonType(value: unknown, type: string): boolean {
    switch (type) {
        case "array":
            return Array.isArray(value);
        case "object":
            return typeof value === "object" && value !== null && !Array.isArray(value);
        case "integer":
            return Number.isInteger(value);
        case "null":
            return value === null;
        default:
            return typeof value === type;
    }
}

/** The level a policy reports at, after overrides; "disabled" means it does not run. */
export function levelFor(policy: PolicyDefinition, override?: PolicyConfigOverrides[string]): EnforcementLevel {
    const level = typeof override === "string" ? override : override?.enforcementLevel;
    return level ?? policy.enforcementLevel ?? PACK_DEFAULT_LEVEL;
}

function makeOpts(parent?: string): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        ...(parent === undefined ? {} : { parent }),
    };
}

function isTypeOf(type: string) {
    return (cls: unknown): boolean => (cls as { __pulumiType?: string }).__pulumiType === type;
}

/** Violations, plus the reason when the policy declared itself not applicable. */
export interface Outcome<V> {
    readonly violations: V[];
    readonly notApplicable?: string;
}

async function runValidations(
    policy: ResourceValidationPolicy,
    resource: ResourceUnderTest & { urn: string; parent?: string },
    config: Record<string, unknown>,
): Promise<Outcome<string>> {
    const messages: string[] = [];
    let notApplicable: string | undefined;
    const props = resource.props;
    const args: ResourceValidationArgs = {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props,
        opts: makeOpts(resource.parent),
        stackTags: new Map(),
        ...(resource.provider ? { provider: resource.provider } : {}),
        isType: isTypeOf(resource.type),
        asType: ((cls: unknown) => (isTypeOf(resource.type)(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    for (const validate of validations) {
        try {
            await validate(args, (message) => messages.push(message));
        } catch (e) {
            if (!(e instanceof NotApplicable)) {
                throw e;
            }
            notApplicable = e.message;
        }
    }
    return notApplicable === undefined ? { violations: messages } : { violations: messages, notApplicable };
}

/** Runs one resource policy against one resource; returns the violations and any notApplicable reason. */
export async function checkResource(
    policy: ResourceValidationPolicy,
    resource: ResourceUnderTest,
    config: Record<string, unknown> = {},
): Promise<Outcome<string>> {
    const urn = `urn:pulumi:test::test::${resource.type}::${resource.name}`;
    return runValidations(policy, { ...resource, urn }, configFor(policy, config));
}

/** Runs one resource policy against one resource; returns the violation messages. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: ResourceUnderTest,
    config: Record<string, unknown> = {},
): Promise<string[]> {
    return (await checkResource(policy, resource, config)).violations;
}

/** Runs one stack policy against a set of resources; returns the violations and any notApplicable reason. */
export async function checkStack(
    policy: StackValidationPolicy,
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
): Promise<Outcome<StackViolation>> {
    const violations: StackViolation[] = [];
    const effective = configFor(policy, config);
    try {
        await policy.validateStack(
            {
                resources,
                stackTags: new Map(),
                getConfig: <T extends object>() => effective as T,
                notApplicable: (reason?: string): never => {
                    throw new NotApplicable(reason);
                },
            },
            (message, urn) => violations.push(urn === undefined ? { message } : { message, urn }),
        );
    } catch (e) {
        if (!(e instanceof NotApplicable)) {
            throw e;
        }
        return { violations, notApplicable: e.message };
    }
    return { violations };
}

/** Runs one stack policy against a set of resources; returns the violations with the urn they name. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
): Promise<StackViolation[]> {
    return (await checkStack(policy, resources, config)).violations;
}

/** "type::name", the key the render form uses for parent and provider references. */
export function keyOf(r: { type: string; name: string }): string {
    return `${r.type}::${r.name}`;
}

/** The "type::name" a URN names (the last component of a qualified type is the resource's own type). */
export function keyOfUrn(urn: string): string {
    const parts = urn.split("::");
    const qualifiedType = parts[2] ?? "";
    const type = qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1);
    return `${type}::${parts.slice(3).join("::")}`;
}

/**
 * Turns a rendered graph into the PolicyResources the engine would pass to stack policies.
 *
 * URNs carry the parent type chain like real ones. Property dependencies are taken from the graph when it
 * records them; otherwise they are inferred: an input that contains another resource's "type::name" reference,
 * its recorded id or, when ids are not recorded, a mock-style id (`<name>-id`, as tests/harness/recorder.ts
 * returns, or `<name>_id`) depends on that resource.
 */
export function policyResourcesFromGraph(graph: Pick<RenderResult, "project" | "stack" | "resources">): PolicyResource[] {
    const byKey = new Map<string, GraphResource>();
    for (const r of graph.resources) {
        if (!byKey.has(keyOf(r))) {
            byKey.set(keyOf(r), r);
        }
    }
    const urnOf = (r: GraphResource): string => {
        const chain: string[] = [r.type];
        const seen = new Set<string>();
        let parent = r.parent === null ? undefined : byKey.get(r.parent);
        while (parent !== undefined && parent.type !== STACK_TYPE && !seen.has(keyOf(parent))) {
            seen.add(keyOf(parent));
            chain.unshift(parent.type);
            parent = parent.parent === null ? undefined : byKey.get(parent.parent);
        }
        return `urn:pulumi:${graph.stack}::${graph.project}::${chain.join("$")}::${r.name}`;
    };
    const identifiers = new Map<string, GraphResource[]>();
    const addIdentifier = (id: string, r: GraphResource) => identifiers.set(id, [...(identifiers.get(id) ?? []), r]);
    for (const r of graph.resources) {
        // The renderer writes resource references as "type::name"; ids are the mock's (or recorded ones).
        for (const id of [keyOf(r), ...(r.id !== undefined ? [r.id] : [`${r.name}_id`, `${r.name}-id`])]) {
            addIdentifier(id, r);
        }
    }
    const referenced = (value: unknown, self: GraphResource): GraphResource[] => {
        if (typeof value === "string") {
            return (identifiers.get(value) ?? []).filter((r) => r !== self);
        }
        if (Array.isArray(value)) {
            return value.flatMap((v) => referenced(v, self));
        }
        if (typeof value === "object" && value !== null) {
            return Object.values(value).flatMap((v) => referenced(v, self));
        }
        return [];
    };

    const resources = new Map<GraphResource, PolicyResource>();
    for (const r of graph.resources) {
        const urn = urnOf(r);
        const providerEntry = r.provider === null ? undefined : byKey.get(r.provider);
        const provider: PolicyProviderResource | undefined =
            r.provider === null
                ? undefined
                : {
                      type: r.provider.split("::")[0],
                      name: r.provider.split("::").slice(1).join("::"),
                      urn: providerEntry ? urnOf(providerEntry) : `urn:pulumi:${graph.stack}::${graph.project}::${r.provider}`,
                      props: providerEntry?.inputs ?? {},
                  };
        resources.set(r, {
            type: r.type,
            name: r.name,
            urn,
            props: r.inputs,
            opts: makeOpts(r.parent === null ? undefined : byKey.has(r.parent) ? urnOf(byKey.get(r.parent)!) : undefined),
            ...(provider ? { provider } : {}),
            dependencies: [],
            propertyDependencies: {},
            isType: isTypeOf(r.type),
            asType: ((cls: unknown) => (isTypeOf(r.type)(cls) ? r.inputs : undefined)) as PolicyResource["asType"],
        });
    }
    const lookup = (keys: string[]) => keys.flatMap((k) => (byKey.has(k) ? [resources.get(byKey.get(k)!)!] : []));
    for (const [r, resource] of resources) {
        if (r.parent !== null && byKey.has(r.parent)) {
            resource.parent = resources.get(byKey.get(r.parent)!);
        }
        resource.propertyDependencies = r.propertyDependencies
            ? Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, keys]) => [k, lookup(keys)]))
            : Object.fromEntries(
                  Object.entries(r.inputs)
                      .map(([k, v]) => [k, [...new Set(referenced(v, r))].map((dep) => resources.get(dep)!)] as const)
                      .filter(([, deps]) => deps.length > 0),
              );
        resource.dependencies = r.dependencies ? lookup(r.dependencies) : [...new Set(Object.values(resource.propertyDependencies).flat())];
    }
    return [...resources.values()];
}

const LEVEL_ORDER: Record<ReportedLevel, number> = { mandatory: 0, advisory: 1 };

/** Sorted so the output is stable: mandatory first, then by policy, resource and message. */
export function sortViolations(violations: Violation[]): Violation[] {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...violations].sort(
        (a, b) =>
            LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
            cmp(a.policy, b.policy) ||
            cmp(a.resource, b.resource) ||
            cmp(a.message, b.message),
    );
}

/** Evaluates every enabled policy against the graph: resource policies per resource, stack policies once. */
export async function evaluateGraph(
    graph: RenderResult,
    policies: Policies,
    overrides: PolicyConfigOverrides = {},
): Promise<EvaluationResult> {
    const known = new Set(policies.map((p) => p.name));
    const unknown = Object.keys(overrides).filter((name) => !known.has(name) && name !== "all");
    if (unknown.length > 0) {
        throw new ConfigError(`policy config names unknown policies: ${unknown.join(", ")}.`);
    }
    const resources = policyResourcesFromGraph(graph);
    const stackKey = `${STACK_TYPE}::${graph.project}-${graph.stack}`;
    const violations: Violation[] = [];
    let ran = 0;
    for (const policy of policies) {
        const override = overrides[policy.name] ?? overrides.all;
        const level = levelFor(policy, override);
        if (level === "disabled") {
            continue;
        }
        ran += 1;
        const reported: ReportedLevel = level === "advisory" ? "advisory" : "mandatory";
        const config = configFor(policy, typeof override === "object" ? override : {});
        if (isResourcePolicy(policy)) {
            for (const resource of resources) {
                const { violations: messages } = await runValidations(policy, { ...resource, parent: resource.opts.parent }, config);
                messages.forEach((message) =>
                    violations.push({ policy: policy.name, level: reported, resource: keyOf(resource), message }),
                );
            }
        } else {
            for (const v of await runStackPolicy(policy, resources, config)) {
                violations.push({ policy: policy.name, level: reported, resource: v.urn ? keyOfUrn(v.urn) : stackKey, message: v.message });
            }
        }
    }
    return { policies: ran, violations: sortViolations(violations) };
}
