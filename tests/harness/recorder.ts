// A recording mock runtime: every registration is kept with its type, name, parent, provider,
// dependencies and inputs, exactly as the engine would receive them.
import * as pulumi from "@pulumi/pulumi";
import { MOCK_INVOKES, MOCK_STATE } from "./mock-state";

export interface Registration {
    type: string;
    name: string;
    urn: string;
    /** "type::name" of the parent, or null for top-level resources. */
    parent: string | null;
    /** "type::name" of the explicit provider, or null for the default one. */
    provider: string | null;
    dependsOn: string[];
    custom: boolean;
    /** Inputs as the engine sees them; secrets stay wrapped (see `unwrapSecrets`/`redactSecrets`). */
    inputs: Record<string, unknown>;
    /** Provider map for components (`providers:` option), "package" -> "type::name". */
    options: {
        protect: boolean;
        ignoreChanges: string[];
        deleteBeforeReplace: boolean;
        replaceOnChanges: string[];
        retainOnDelete: boolean;
    };
}

export interface Invocation {
    token: string;
    inputs: Record<string, unknown>;
}

/** The signature Pulumi uses to mark a secret value in serialized properties. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** "urn:pulumi:stack::project::a$b$type::name" (or a provider reference "<urn>::<id>") -> "type::name". */
export function shortRef(urnOrRef: string): string {
    const parts = urnOrRef.split("::");
    const qualifiedType = parts[2] ?? "";
    const type = qualifiedType.split("$").pop() ?? qualifiedType;
    return `${type}::${parts[3] ?? ""}`;
}

export class Recorder {
    readonly registrations: Registration[] = [];
    readonly invocations: Invocation[] = [];
    /** Invokes nobody mocked; the runtime swallows the error's text, so it is kept and printed here. */
    readonly unmocked: string[] = [];

    /** Installs the mocks for one program run. Call before running the program. */
    async install(project: string, stack: string): Promise<void> {
        const mocks: pulumi.runtime.Mocks = {
            newResource: (args) => {
                const extra = MOCK_STATE[args.type]?.(args) ?? {};
                return { id: args.id || `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
            call: (args) => {
                this.invocations.push({ token: args.token, inputs: args.inputs });
                const answer = MOCK_INVOKES[args.token];
                if (!answer) {
                    const message = `unmocked invoke '${args.token}' with ${JSON.stringify(args.inputs)}: add it to tests/harness/mock-state.ts`;
                    this.unmocked.push(message);
                    process.stderr.write(`${message}\n`);
                    throw new Error(message);
                }
                return answer(args.inputs);
            },
        };
        await pulumi.runtime.setMocks(mocks, project, stack, false);
        const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) =>
            register(req, (err, resp) => {
                if (!err && resp) this.record(req, resp.getUrn());
                callback(err, resp);
            });
        // Component methods (e.g. eks.Cluster.getKubeconfig) go through monitor.call, which the mock lacks.
        monitor.call = async (req, callback) => {
            try {
                const token = req.getTok();
                const inputs = pulumi.runtime.deserializeProperties(req.getArgs());
                const result = await mocks.call({ token, inputs, provider: req.getProvider() });
                const providerPb = require("@pulumi/pulumi/proto/provider_pb");
                const structPb = require("google-protobuf/google/protobuf/struct_pb");
                const resp = new providerPb.CallResponse();
                resp.setReturn(structPb.Struct.fromJavaScript(await pulumi.runtime.serializeProperties("call", result)));
                callback(null, resp);
            } catch (e) {
                callback(e as Error, undefined);
            }
        };
    }

    private record(req: RegisterRequest, urn: string): void {
        const parent = req.getParent();
        const provider = req.getProvider();
        this.registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn,
            parent: parent && !parent.includes("::pulumi:pulumi:Stack::") ? shortRef(parent) : null,
            provider: provider ? shortRef(provider) : null,
            dependsOn: req.getDependenciesList().map(shortRef),
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
            options: {
                protect: !!req.getProtect(),
                ignoreChanges: req.getIgnorechangesList(),
                deleteBeforeReplace: !!req.getDeletebeforereplace(),
                replaceOnChanges: req.getReplaceonchangesList(),
                retainOnDelete: !!req.getRetainondelete(),
            },
        });
    }
}

/** Deep copy with secrets replaced by their plain values (for assertions). */
export function unwrapSecrets(value: unknown): unknown {
    return mapValues(value, (v) => (isSecretEnvelope(v) ? { replace: unwrapSecrets(v.value) } : undefined));
}

/** Deep copy with every secret replaced by "[secret]" and resource references by "type::name". */
export function redactSecrets(value: unknown): unknown {
    return mapValues(value, (v) => (isSecretEnvelope(v) ? { replace: "[secret]" } : undefined));
}

/** True when the value, or anything inside it, is a secret. */
export function containsSecret(value: unknown): boolean {
    let found = false;
    mapValues(value, (v) => {
        if (isSecretEnvelope(v)) found = true;
        return undefined;
    });
    return found;
}

function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function mapValues(value: unknown, visit: (v: unknown) => { replace: unknown } | undefined): unknown {
    const hit = visit(value);
    if (hit) return hit.replace;
    if (pulumi.Resource.isInstance(value)) {
        const r = value as unknown as { __pulumiType?: string; __name?: string };
        return `${r.__pulumiType}::${r.__name}`;
    }
    if (Array.isArray(value)) return value.map((v) => mapValues(v, visit));
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = mapValues(v, visit);
        return out;
    }
    return value;
}

// The parts of the gRPC monitor and request objects the recorder touches.
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getCustom(): boolean;
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
    getDependenciesList(): string[];
    getProtect(): boolean | undefined;
    getIgnorechangesList(): string[];
    getDeletebeforereplace(): boolean;
    getReplaceonchangesList(): string[];
    getRetainondelete(): boolean | undefined;
}
interface MonitorLike {
    registerResource(req: RegisterRequest, cb: (err: Error | null, resp?: { getUrn(): string }) => void): void;
    call(
        req: { getTok(): string; getArgs(): Parameters<typeof pulumi.runtime.deserializeProperties>[0]; getProvider(): string },
        cb: (err: Error | null, resp?: unknown) => void,
    ): Promise<void>;
}
