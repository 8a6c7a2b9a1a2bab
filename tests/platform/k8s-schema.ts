// Validates rendered Kubernetes objects: built-in kinds against the Kubernetes API schemas
// (kubernetes-models), custom resources against the upstream CRDs' openAPIV3Schema (ajv 8).
// A kind known to neither is an error, never a silent pass.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";

export interface SchemaProblem {
    readonly object: string;
    readonly message: string;
}

interface CrdVersion {
    name: string;
    served: boolean;
    schema?: { openAPIV3Schema?: Record<string, unknown> };
}
interface Crd {
    kind: string;
    spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

/** Keywords of the Kubernetes structural-schema dialect; accepted, not enforced (CEL rules need a cluster). */
const K8S_KEYWORDS = [
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

export class SchemaRegistry {
    private readonly ajv: Ajv;
    private readonly crds = new Map<string, Record<string, unknown>>();
    private readonly compiled = new Map<string, ValidateFunction>();

    constructor(crdRoot: string) {
        this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, code: { regExp: goRegExp } });
        addFormats(this.ajv);
        for (const keyword of K8S_KEYWORDS) this.ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
        // Kubernetes formats ajv-formats does not know.
        this.ajv.addFormat("int-or-string", true);
        for (const file of listYaml(crdRoot)) {
            for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
                const crd = doc.toJS() as Crd | null;
                if (crd?.kind !== "CustomResourceDefinition") continue;
                for (const v of crd.spec.versions) {
                    const schema = v.schema?.openAPIV3Schema;
                    if (v.served && schema) this.crds.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, schema);
                }
            }
        }
    }

    /** "group/version/Kind" keys of the CRDs loaded. */
    customKinds(): string[] {
        return [...this.crds.keys()].sort();
    }

    validate(obj: Record<string, unknown>): SchemaProblem[] {
        const apiVersion = String(obj.apiVersion ?? "");
        const kind = String(obj.kind ?? "");
        const meta = (obj.metadata ?? {}) as Record<string, unknown>;
        const label = `${apiVersion} ${kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "?"}`;
        const problems: SchemaProblem[] = [];
        const builtIn = builtInModel(apiVersion, kind);
        if (builtIn) {
            try {
                new builtIn(obj).validate();
            } catch (e) {
                problems.push({ object: label, message: (e as Error).message });
            }
            return problems;
        }
        const key = apiVersion.includes("/") ? `${apiVersion}/${kind}` : "";
        const schema = this.crds.get(key);
        if (!schema) {
            return [
                {
                    object: label,
                    message: `unknown kind: no Kubernetes API model and no served CRD version for '${apiVersion}, Kind=${kind}' (add its CRD to shared/reference/crds)`,
                },
            ];
        }
        let check = this.compiled.get(key);
        if (!check) {
            check = this.ajv.compile(schema);
            this.compiled.set(key, check);
        }
        if (!check(obj)) {
            for (const err of check.errors ?? [])
                problems.push({
                    object: label,
                    message: `${err.instancePath || "/"} ${err.message ?? "is invalid"}${err.params ? ` ${JSON.stringify(err.params)}` : ""}`,
                });
        }
        // The CRD schemas leave metadata open; check it against the real ObjectMeta.
        const { ObjectMeta } = require("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta");
        try {
            new ObjectMeta(meta).validate();
        } catch (e) {
            problems.push({ object: label, message: `metadata: ${(e as Error).message}` });
        }
        if (typeof meta.name !== "string" || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(meta.name)) {
            problems.push({ object: label, message: `metadata.name must be a DNS subdomain; got ${JSON.stringify(meta.name)}` });
        }
        return problems;
    }
}

type Model = new (data: unknown) => { validate(): void };

/** kubernetes-models/<group>/<version>/<Kind> ("v1" is the core group), or undefined when there is none. */
export function builtInModel(apiVersion: string, kind: string): Model | undefined {
    if (!/^[a-zA-Z0-9.]+(\/[a-zA-Z0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
    const modulePath = `kubernetes-models/${apiVersion}/${kind}`;
    try {
        const mod = require(modulePath) as Record<string, unknown>;
        const model = mod[kind];
        return typeof model === "function" ? (model as Model) : undefined;
    } catch {
        return undefined;
    }
}

function listYaml(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return listYaml(full);
        return /\.ya?ml$/.test(e.name) ? [full] : [];
    });
}

/**
 * CRD patterns are Go (RE2) regular expressions; the Prometheus Operator's use inline flags such as
 * `^(?i)(abort|warn)?$`, which JavaScript rejects. Inline flags become RegExp flags.
 */
export const goRegExp = Object.assign(goPattern, { code: "goRegExp" });

function goPattern(pattern: string, flags: string): RegExp {
    let extra = "";
    const source = pattern.replace(/\(\?([imsU]+)\)/g, (_, f: string) => {
        extra += f.replace(/[^ims]/g, "");
        return "";
    });
    return new RegExp(source, [...new Set((flags + extra).split(""))].join(""));
}
