/**
 * A strict proto3-JSON shape check derived mechanically from the reference protos of KFP 2.17.0
 * (`pipeline_spec.proto`, `kubernetes_executor_config.proto` in ../shared/reference/kfp/): every key must be
 * a field of its message (by JSON or proto name), scalars must have their JSON kind, enums must name a value,
 * oneofs hold one member, maps and repeated fields have the right container. This is what KFP's API server
 * does on upload with protojson.Unmarshal (DiscardUnknown false, backend/src/apiserver/template/v2_template.go)
 * and what the driver does with each platform executor config, so an IR that passes here parses there.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as protobuf from "protobufjs";

export const KFP_REFERENCE = join(__dirname, "..", "..", "..", "..", "..", "shared", "reference", "kfp");

// pipeline_spec.proto imports google/rpc/status.proto, which protobufjs does not bundle: its shape, from
// googleapis google/rpc/status.proto.
const RPC_STATUS = `syntax = "proto3"; package google.rpc; import "google/protobuf/any.proto";
message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }`;

let cached: protobuf.Root | undefined;

/** The KFP IR protos, parsed once. */
export function kfpProtos(): protobuf.Root {
    if (cached !== undefined) return cached;
    const root = new protobuf.Root();
    const loaded = new Set<string>();
    const load = (name: string, source: string) => {
        if (loaded.has(name)) return;
        loaded.add(name);
        const parsed = protobuf.parse(source, root, { keepCase: true });
        for (const imp of parsed.imports ?? []) {
            const common = protobuf.common.get(imp);
            if (common) {
                if (!loaded.has(imp)) root.addJSON(common.nested as protobuf.INamespace["nested"] & object);
                loaded.add(imp);
            } else if (imp === "google/rpc/status.proto") load(imp, RPC_STATUS);
            else load(imp, readFileSync(join(KFP_REFERENCE, imp), "utf8"));
        }
    };
    load("kubernetes_executor_config.proto", readFileSync(join(KFP_REFERENCE, "kubernetes_executor_config.proto"), "utf8"));
    root.resolveAll();
    cached = root;
    return root;
}

const INT32 = new Set(["int32", "sint32", "sfixed32", "uint32", "fixed32"]);
const INT64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);

function kind(v: unknown): string {
    return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function checkScalar(type: string, v: unknown, path: string, problems: string[]): void {
    if (INT32.has(type) || INT64.has(type)) {
        const ok =
            (typeof v === "number" && Number.isInteger(v)) ||
            (typeof v === "string" && /^-?\d+$/.test(v) && (INT64.has(type) || Math.abs(Number(v)) < 2 ** 32));
        if (!ok)
            problems.push(
                `${path}: ${type} expects an integer (number${INT64.has(type) ? " or string" : ""}); got ${kind(v)} ${JSON.stringify(v)}`,
            );
        if (type.startsWith("uint") && Number(v) < 0) problems.push(`${path}: ${type} cannot be negative`);
    } else if (type === "double" || type === "float") {
        if (!(typeof v === "number" || (typeof v === "string" && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(v))))
            problems.push(`${path}: ${type} expects a number; got ${kind(v)}`);
    } else if (type === "bool") {
        if (typeof v !== "boolean") problems.push(`${path}: bool expects true/false; got ${kind(v)} ${JSON.stringify(v)}`);
    } else if (type === "string") {
        if (typeof v !== "string") problems.push(`${path}: string expects a string; got ${kind(v)} ${JSON.stringify(v)}`);
    } else if (type === "bytes") {
        if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) problems.push(`${path}: bytes expects base64; got ${kind(v)}`);
    } else problems.push(`${path}: unknown scalar type ${type}`);
}

function checkValue(field: protobuf.Field, v: unknown, path: string, problems: string[]): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) {
        if (typeof v === "string") {
            if (!(v in resolved.values))
                problems.push(`${path}: '${v}' is not a value of enum ${resolved.name} (${Object.keys(resolved.values).join(", ")})`);
        } else if (!(typeof v === "number" && Number.isInteger(v)))
            problems.push(`${path}: enum ${resolved.name} expects a name; got ${kind(v)}`);
    } else if (resolved instanceof protobuf.Type) {
        checkMessage(resolved, v, path, problems);
    } else {
        checkScalar(field.type, v, path, problems);
    }
}

/** Checks `value` as the proto3 JSON form of `type`; pushes one message per problem, with its JSON path. */
export function checkMessage(type: protobuf.Type, value: unknown, path: string, problems: string[]): void {
    switch (type.fullName) {
        case ".google.protobuf.Value":
            return; // any JSON
        case ".google.protobuf.Struct":
            if (kind(value) !== "object") problems.push(`${path}: google.protobuf.Struct expects an object; got ${kind(value)}`);
            return;
        case ".google.protobuf.ListValue":
            if (!Array.isArray(value)) problems.push(`${path}: google.protobuf.ListValue expects an array; got ${kind(value)}`);
            return;
        case ".google.protobuf.Duration":
            if (typeof value !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(value))
                problems.push(`${path}: Duration expects "<seconds>s"; got ${JSON.stringify(value)}`);
            return;
        case ".google.protobuf.Timestamp":
            if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
                problems.push(`${path}: Timestamp expects RFC 3339; got ${JSON.stringify(value)}`);
            return;
    }
    if (kind(value) !== "object") {
        problems.push(`${path}: message ${type.name} expects an object; got ${kind(value)}`);
        return;
    }
    const byName = new Map<string, protobuf.Field>();
    for (const f of type.fieldsArray) {
        byName.set(f.name, f);
        byName.set(protobuf.util.camelCase(f.name), f);
    }
    const seen = new Map<protobuf.Field, string>();
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const field = byName.get(key);
        const at = `${path}.${key}`;
        if (field === undefined) {
            problems.push(
                `${at}: unknown field of ${type.name} (fields: ${type.fieldsArray.map((f) => protobuf.util.camelCase(f.name)).join(", ")})`,
            );
            continue;
        }
        if (seen.has(field)) problems.push(`${at}: field '${field.name}' given twice (also as '${seen.get(field)}')`);
        seen.set(field, key);
        if (v === null) continue; // protojson: null means the default
        field.resolve();
        if (field instanceof protobuf.MapField) {
            if (kind(v) !== "object") problems.push(`${at}: map expects an object; got ${kind(v)}`);
            else
                for (const [k, item] of Object.entries(v as Record<string, unknown>))
                    checkValue(field, item, `${at}[${JSON.stringify(k)}]`, problems);
        } else if (field.repeated) {
            if (!Array.isArray(v)) problems.push(`${at}: repeated field expects an array; got ${kind(v)}`);
            else v.forEach((item, i) => checkValue(field, item, `${at}[${i}]`, problems));
        } else checkValue(field, v, at, problems);
    }
    for (const oneof of type.oneofsArray) {
        const set = oneof.fieldsArray.filter((f) => seen.has(f) && (value as Record<string, unknown>)[seen.get(f) as string] !== null);
        if (set.length > 1)
            problems.push(
                `${path}: oneof '${oneof.name}' of ${type.name} has ${set.length} members set (${set.map((f) => f.name).join(", ")})`,
            );
    }
}

/** Problems of `value` as the JSON form of the message `typeName` (e.g. "ml_pipelines.PipelineSpec"). */
export function protoShapeProblems(typeName: string, value: unknown, path = typeName.split(".").pop() as string): string[] {
    const problems: string[] = [];
    checkMessage(kfpProtos().lookupType(typeName), value, path, problems);
    return problems;
}

/**
 * The whole IR: the pipeline spec; its deploymentSpec, which PipelineSpec types as a bare Struct (so neither
 * the SDK's load nor the upload looks inside) and KFP's compiler later reads as PipelineDeploymentConfig with
 * DiscardUnknown (backend/src/v2/compiler/visitor.go GetDeploymentConfig, 2.17.0), silently dropping a
 * misspelt field; the platform spec; and each Kubernetes executor config (a Struct in PlatformSpec, read as
 * KubernetesExecutorConfig by the compiler, backend/src/v2/compiler/argocompiler/container.go).
 */
export function irShapeProblems(ir: { pipelineSpec: unknown; platformSpec?: unknown }): string[] {
    const problems = protoShapeProblems("ml_pipelines.PipelineSpec", ir.pipelineSpec, "pipelineSpec");
    const deployment = (ir.pipelineSpec as { deploymentSpec?: unknown } | null)?.deploymentSpec;
    if (deployment !== undefined)
        problems.push(...protoShapeProblems("ml_pipelines.PipelineDeploymentConfig", deployment, "pipelineSpec.deploymentSpec"));
    if (ir.platformSpec !== undefined) {
        problems.push(...protoShapeProblems("ml_pipelines.PlatformSpec", ir.platformSpec, "platformSpec"));
        const executors = (ir.platformSpec as { platforms?: { kubernetes?: { deploymentSpec?: { executors?: Record<string, unknown> } } } })
            .platforms?.kubernetes?.deploymentSpec?.executors;
        for (const [label, config] of Object.entries(executors ?? {}))
            problems.push(
                ...protoShapeProblems(
                    "kfp_kubernetes.KubernetesExecutorConfig",
                    config,
                    `platforms.kubernetes.deploymentSpec.executors.${label}`,
                ),
            );
    }
    return problems;
}
