// The offline "what would `pulumi up` declare" view: the resource graph as JSON, or every Kubernetes
// object as multi-document YAML. The JSON shape is a contract that reviewers' tools read: keep it stable.
import { stringify } from "yaml";
import { redactSecrets } from "./recorder";
import { StackRun, runStack } from "./run";
import type { ConfigOverrides } from "./stack-config";

export interface RenderedResource {
    type: string;
    name: string;
    parent: string | null;
    provider: string | null;
    inputs: Record<string, unknown>;
}

export interface RenderResult {
    project: string;
    stack: string;
    resources: RenderedResource[];
    outputs: Record<string, unknown>;
}

export async function renderStack(stack: string, overrides: ConfigOverrides = {}): Promise<RenderResult> {
    return toRenderResult(await runStack(stack, overrides));
}

export function toRenderResult(run: StackRun): RenderResult {
    const outputs: Record<string, unknown> = {};
    for (const [key, out] of Object.entries(run.outputs)) outputs[key] = out.secret ? "[secret]" : redactSecrets(out.value);
    return {
        project: run.project,
        stack: run.stack,
        resources: run.registrations.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parent,
            provider: r.provider,
            inputs: redactSecrets(r.inputs) as Record<string, unknown>,
        })),
        outputs,
    };
}

/** Types under `kubernetes:` that are not API objects: providers, Helm/YAML/kustomize wrappers. */
const NOT_OBJECTS = /^kubernetes:(helm\.sh|yaml|kustomize)\//;

/** Every Kubernetes object the stack declares, in declaration order, as kubectl would read them. */
export function kubernetesObjects(result: RenderResult): Record<string, unknown>[] {
    return result.resources
        .filter(
            (r) =>
                r.type.startsWith("kubernetes:") &&
                !NOT_OBJECTS.test(r.type) &&
                typeof r.inputs.apiVersion === "string" &&
                typeof r.inputs.kind === "string",
        )
        .map((r) => toManifest(r));
}

function toManifest(r: RenderedResource): Record<string, unknown> {
    const { apiVersion, kind, metadata, ...rest } = r.inputs as Record<string, unknown> & { metadata?: Record<string, unknown> };
    // The provider auto-names objects without metadata.name from the Pulumi name; show that name.
    const meta = { ...(metadata ?? {}), name: metadata?.name ?? r.name };
    const body: Record<string, unknown> = { apiVersion, kind, metadata: meta, ...rest };
    if (kind === "Secret" && typeof body.data === "object" && body.data !== null) {
        // Redacted values are not base64; show them as stringData so the document stays valid.
        const data = { ...(body.data as Record<string, unknown>) };
        const stringData = { ...((body.stringData as Record<string, unknown>) ?? {}) };
        for (const [k, v] of Object.entries(data))
            if (v === "[secret]") {
                stringData[k] = v;
                delete data[k];
            }
        body.data = Object.keys(data).length > 0 ? data : undefined;
        body.stringData = Object.keys(stringData).length > 0 ? stringData : undefined;
    }
    return JSON.parse(JSON.stringify(body));
}

export function toYaml(result: RenderResult): string {
    return kubernetesObjects(result)
        .map((o) => `---\n${stringify(o, { lineWidth: 0 })}`)
        .join("");
}
