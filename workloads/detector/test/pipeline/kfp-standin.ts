/**
 * A stand-in for the Kubeflow Pipelines API server, version 2.17.0, implementing only the v2beta1 endpoints
 * `detector pipeline register` calls. Everything about the wire comes from the release's own swagger
 * (../shared/reference/kfp/kfp_api_single_file.swagger.json, backend/api/v2beta1/swagger at tag 2.17.0):
 * routes and their query parameters are looked up there (an undocumented route is a 404, an undocumented
 * query parameter a 400), every JSON request body is validated with ajv against the operation's body schema
 * with unknown fields refused (the server's protojson DiscardUnknown: false, common/utils.go
 * CustomMarshaler), and every response is validated against the operation's 200 schema before it is sent.
 * Behaviour copied from the server's source at 2.17.0:
 * - errors: grpc-gateway's googleRpcStatus {code, message}; the multipart upload handlers answer
 *   {error_message, error_details} (server/pipeline_upload_server.go writeErrorToResponse), 409 on a
 *   duplicate name;
 * - upload: YAML documents checked as template/v2_template.go NewV2SpecTemplate does (schemaVersion 2.1.0,
 *   pipelineInfo.name, root, strict protojson of the pipeline and platform documents) and the pipeline name
 *   rule of common/utils.go;
 * - recurring runs: max_concurrency 1..10 and cron parsed by robfig/cron v1.2.0 cron.Parse (six fields
 *   seconds first, or five read as "second minute hour day month") in server/api_converter.go toModelJob;
 *   runtime parameters checked as v2_template.go validatePipelineJobInputs; an empty service account stored
 *   as pipeline-runner (template.go setDefaultServiceAccount);
 * - list filters: JSON v2beta1 Filter, keys from the model field maps (model/pipeline.go, ...).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { KFP_REFERENCE, protoShapeProblems } from "./proto-shape";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsyaml: { loadAll(text: string): unknown[] } = require("js-yaml");

export const SWAGGER_FILE = join(KFP_REFERENCE, "kfp_api_single_file.swagger.json");

type Json = Record<string, unknown>;
interface Operation {
    operationId: string;
    parameters?: { name: string; in: string; required?: boolean; schema?: Json }[];
    responses: Record<string, { schema?: Json }>;
}

export interface RecordedRequest {
    readonly method: string;
    readonly path: string;
    readonly query: Record<string, string>;
    readonly body?: unknown;
    readonly operationId?: string;
}

/** Deep copy of a swagger schema with additionalProperties: false on every object that lists properties. */
function strict(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(strict);
    if (schema === null || typeof schema !== "object") return schema;
    const out: Json = {};
    for (const [k, v] of Object.entries(schema as Json))
        out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strict(s)])) : strict(v);
    if (out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
}

/** robfig/cron v1.2.0 cron.Parse: 5 or 6 fields, seconds first, day of week optional; returns the value sets. */
export function robfigV1Parse(spec: string): {
    second: number[];
    minute: number[];
    hour: number[];
    dom: number[];
    month: number[];
    dow: number[];
} {
    const fields = spec.trim().split(/\s+/);
    if (spec.trim() === "") throw new Error("Empty spec string");
    if (fields.length < 5 || fields.length > 6) throw new Error(`Expected 5 to 6 fields, found ${fields.length}: ${spec}`);
    if (fields.length === 5) fields.push("*");
    const bounds: [number, number, string[]?][] = [
        [0, 59],
        [0, 59],
        [0, 23],
        [1, 31],
        [1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]],
        [0, 6, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]],
    ];
    const sets = fields.map((field, i) => {
        const [min, max, names] = bounds[i];
        const values = new Set<number>();
        for (const part of field.split(",")) {
            const [range, stepText] = part.split("/");
            const num = (t: string) => {
                const n = names?.indexOf(t.toLowerCase()) ?? -1;
                if (n >= 0) return n + (i === 4 ? 1 : 0);
                if (!/^\d+$/.test(t)) throw new Error(`Failed to parse int from ${t}`);
                return Number(t);
            };
            let lo: number;
            let hi: number;
            if (range === "*" || range === "?") [lo, hi] = [min, max];
            else {
                const [a, b] = range.split("-");
                lo = num(a);
                hi = b === undefined ? (stepText === undefined ? lo : max) : num(b);
            }
            const step = stepText === undefined ? 1 : num(stepText);
            if (lo < min) throw new Error(`Beginning of range (${lo}) below minimum (${min}): ${part}`);
            if (hi > max) throw new Error(`End of range (${hi}) above maximum (${max}): ${part}`);
            if (lo > hi) throw new Error(`Beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
            if (step === 0) throw new Error(`Step of range should be a positive number: ${part}`);
            for (let v = lo; v <= hi; v += step) values.add(v);
        }
        return [...values].sort((a, b) => a - b);
    });
    return { second: sets[0], minute: sets[1], hour: sets[2], dom: sets[3], month: sets[4], dow: sets[5] };
}

const FILTER_KEYS: Record<string, string[]> = {
    pipelines: ["pipeline_id", "name", "display_name", "created_at", "description", "namespace"],
    versions: ["pipeline_version_id", "name", "display_name", "created_at", "status", "description", "pipeline_spec"],
    experiments: [
        "experiment_id",
        "name",
        "display_name",
        "created_at",
        "last_run_created_at",
        "description",
        "namespace",
        "storage_state",
    ],
    recurringruns: ["recurring_run_id", "name", "display_name", "created_at", "updated_at", "description"],
};

class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly upload = false,
    ) {
        super(message);
    }
}

/** gRPC codes grpc-gateway maps to these HTTP statuses. */
const GRPC_CODE: Record<number, number> = { 400: 3, 404: 5, 409: 6, 500: 13, 503: 14 };

export class KfpStandIn {
    readonly requests: RecordedRequest[] = [];
    readonly pipelines: Json[] = [];
    readonly versions: (Json & { spec: Json; platform?: Json })[] = [];
    readonly experiments: Json[] = [];
    readonly recurringRuns: Json[] = [];
    /** Injected failures for the next matching requests: [operationId, status, message]. */
    readonly failures: { operationId: string; status: number; message: string }[] = [];
    /** List operations whose next call answers as if nothing existed (a race with another client). */
    readonly hiddenLists = new Set<string>();
    /** Largest page the list endpoints return (small values exercise paging). */
    maxPageSize = 100;
    private server: Server | undefined;
    private readonly swagger: { paths: Record<string, Record<string, Operation>>; definitions: Json };
    private readonly routes: { method: string; pattern: RegExp; names: string[]; op: Operation }[] = [];
    private readonly ajv = new Ajv({ strict: false, allErrors: true });
    private readonly validators = new Map<string, ValidateFunction>();
    private clock = Date.parse("2026-11-24T00:00:00Z");

    constructor() {
        this.swagger = JSON.parse(readFileSync(SWAGGER_FILE, "utf8"));
        addFormats(this.ajv);
        for (const f of ["int32", "int64", "byte"]) this.ajv.addFormat(f, true);
        this.ajv.addSchema({ $id: "kfp", definitions: strict(this.swagger.definitions) as Json });
        for (const [path, ops] of Object.entries(this.swagger.paths))
            for (const [method, op] of Object.entries(ops)) {
                const names: string[] = [];
                const source = path
                    .replace(/[.*+?^$()|[\]\\:]/g, "\\$&")
                    .replace(/\{([^}]+)\}/g, (_, n: string) => (names.push(n), "([^/]+)"));
                this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), names, op });
            }
    }

    /** The swagger's version string (what the stand-in copies). */
    get swaggerVersion(): string {
        return (this.swagger as unknown as { info: { version: string } }).info.version;
    }

    private validator(schema: Json): ValidateFunction {
        const key = JSON.stringify(schema);
        let v = this.validators.get(key);
        if (v === undefined) {
            const rewritten = JSON.parse(JSON.stringify(strict(schema)).replace(/"#\/definitions\//g, '"kfp#/definitions/'));
            v = this.ajv.compile(rewritten);
            this.validators.set(key, v);
        }
        return v;
    }

    /** Validates a value against a schema of the swagger (strict); returns the errors, empty when valid. */
    schemaErrors(schema: Json, value: unknown): string[] {
        const v = this.validator(schema);
        return v(value)
            ? []
            : (v.errors ?? []).map(
                  (e) =>
                      `${e.instancePath || "(body)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` '${e.params.additionalProperty}'` : ""}`,
              );
    }

    async listen(port = 0): Promise<string> {
        this.server = createServer((req, res) => void this.handle(req, res));
        await new Promise<void>((resolve, reject) => {
            this.server?.once("error", reject);
            this.server?.listen(port, "127.0.0.1", () => resolve());
        });
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async close(): Promise<void> {
        const s = this.server;
        this.server = undefined;
        if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
    }

    /** Requests other than GET (from the `since`-th request on), as "METHOD path". */
    mutations(since = 0): string[] {
        return this.requests
            .slice(since)
            .filter((r) => r.method !== "GET")
            .map((r) => `${r.method} ${r.path}`);
    }

    private now(): string {
        this.clock += 1000;
        return new Date(this.clock).toISOString().replace(".000Z", "Z");
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://stand-in");
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks);
        const query = Object.fromEntries(url.searchParams);
        const route = this.routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
        const record: { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] } = {
            method: req.method ?? "",
            path: url.pathname,
            query,
            operationId: route?.op.operationId,
        };
        this.requests.push(record);
        let upload = false;
        try {
            if (route === undefined) throw new HttpError(404, `Not Found: ${req.method} ${url.pathname} is not in the 2.17.0 swagger`);
            const op = route.op;
            upload = op.operationId.startsWith("Upload");
            const pathParams = Object.fromEntries(
                route.names.map((n, i) => [n, decodeURIComponent(route.pattern.exec(url.pathname)?.[i + 1] ?? "")]),
            );
            const allowed = new Set((op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name));
            for (const q of Object.keys(query))
                if (!allowed.has(q)) throw new HttpError(400, `unknown query parameter '${q}' for ${op.operationId}`, upload);
            let body: unknown;
            const bodyParam = (op.parameters ?? []).find((p) => p.in === "body");
            if (bodyParam?.schema !== undefined) {
                try {
                    body = JSON.parse(raw.toString("utf8") || "{}");
                } catch {
                    throw new HttpError(400, "invalid character in request body: not JSON");
                }
                record.body = body;
                const errors = this.schemaErrors(bodyParam.schema, body);
                if (errors.length > 0) throw new HttpError(400, `proto: invalid ${op.operationId} request: ${errors.join("; ")}`);
            }
            const injected = this.failures.findIndex((f) => f.operationId === op.operationId);
            if (injected >= 0) {
                const [f] = this.failures.splice(injected, 1);
                throw new HttpError(f.status, f.message, upload);
            }
            let answer = this.dispatch(op.operationId, pathParams, query, body, req, raw);
            if (this.hiddenLists.delete(op.operationId)) answer = { total_size: 0 };
            const schema = op.responses["200"]?.schema;
            if (schema !== undefined) {
                const errors = this.schemaErrors(schema, answer);
                if (errors.length > 0)
                    throw new Error(`stand-in bug: ${op.operationId} response does not fit the swagger: ${errors.join("; ")}`);
            }
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        } catch (err) {
            const status = err instanceof HttpError ? err.status : 500;
            const message = err instanceof Error ? err.message : String(err);
            const body =
                err instanceof HttpError && (err.upload || upload)
                    ? { error_message: message, error_details: message }
                    : { code: GRPC_CODE[status] ?? 2, message, details: [] };
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        }
    }

    private page<T extends Json>(items: T[], query: Record<string, string>, field: string, kind: keyof typeof FILTER_KEYS): Json {
        let selected = items;
        if (query.filter !== undefined) {
            let filter: unknown;
            try {
                filter = JSON.parse(query.filter);
            } catch {
                throw new HttpError(400, `Invalid input error: failed to parse valid filter from "${query.filter}"`);
            }
            const errors = this.schemaErrors({ $ref: "#/definitions/v2beta1Filter" }, filter);
            if (errors.length > 0) throw new HttpError(400, `Invalid input error: failed to parse valid filter: ${errors.join("; ")}`);
            for (const p of (filter as { predicates?: Json[] }).predicates ?? []) {
                const key = p.key as string;
                if (!FILTER_KEYS[kind].includes(key)) throw new HttpError(400, `Invalid input error: unknown filter key '${key}'`);
                if (p.operation !== "EQUALS" || typeof p.string_value !== "string")
                    throw new HttpError(400, "stand-in implements only EQUALS string_value predicates");
                selected = selected.filter(
                    (item) => item[key === "name" && kind === "recurringruns" ? "display_name" : key] === p.string_value,
                );
            }
        }
        const size = Math.min(Number(query.page_size ?? 20) || 20, this.maxPageSize);
        const start = Number(query.page_token ?? 0);
        const pageItems = selected.slice(start, start + size).map((i) => this.visible(i));
        const next = start + size < selected.length ? String(start + size) : undefined;
        return { [field]: pageItems, total_size: selected.length, ...(next !== undefined ? { next_page_token: next } : {}) };
    }

    /** An item as the API shows it (internal fields stripped). */
    private visible(item: Json): Json {
        const { spec: _spec, platform: _platform, ...rest } = item;
        return rest;
    }

    private namespaceOf(query: Record<string, string>, body?: Json): string | undefined {
        return (body?.namespace as string | undefined) ?? query.namespace;
    }

    private dispatch(
        opId: string,
        path: Record<string, string>,
        query: Record<string, string>,
        body: unknown,
        req: IncomingMessage,
        raw: Buffer,
    ): unknown {
        const b = (body ?? {}) as Json;
        switch (opId) {
            case "HealthzService_GetHealthz":
                return { multi_user: false, pipeline_store: "database" };
            case "PipelineService_ListPipelines":
                return this.page(
                    this.pipelines.filter((p) => p.namespace === this.namespaceOf(query)),
                    query,
                    "pipelines",
                    "pipelines",
                );
            case "PipelineService_CreatePipeline": {
                if (typeof b.name !== "string" || b.name === "")
                    throw new HttpError(400, "Invalid input error: pipeline's name cannot be empty");
                if (this.pipelines.some((p) => p.name === b.name && p.namespace === b.namespace))
                    throw new HttpError(409, `Already exist error: Failed to create a new pipeline. The name ${b.name} already exists`);
                const p = {
                    pipeline_id: randomUUID(),
                    name: b.name,
                    display_name: b.display_name ?? b.name,
                    description: b.description ?? "",
                    created_at: this.now(),
                    ...(b.namespace !== undefined ? { namespace: b.namespace } : {}),
                };
                this.pipelines.push(p);
                return p;
            }
            case "PipelineService_ListPipelineVersions":
                if (!this.pipelines.some((p) => p.pipeline_id === path.pipeline_id))
                    throw new HttpError(404, `Pipeline ${path.pipeline_id} not found`);
                return this.page(
                    this.versions.filter((v) => v.pipeline_id === path.pipeline_id),
                    query,
                    "pipeline_versions",
                    "versions",
                );
            case "UploadPipelineVersion":
                return this.uploadVersion(query, req, raw);
            case "ExperimentService_ListExperiments":
                return this.page(
                    this.experiments.filter((e) => e.namespace === this.namespaceOf(query)),
                    query,
                    "experiments",
                    "experiments",
                );
            case "ExperimentService_CreateExperiment": {
                if (typeof b.display_name !== "string" || b.display_name === "")
                    throw new HttpError(400, "Invalid input error: Experiment name is empty");
                if (this.experiments.some((e) => e.display_name === b.display_name && e.namespace === b.namespace))
                    throw new HttpError(409, `Already exist error: experiment ${b.display_name}`);
                const e = {
                    experiment_id: randomUUID(),
                    display_name: b.display_name,
                    description: b.description ?? "",
                    created_at: this.now(),
                    storage_state: "AVAILABLE",
                    ...(b.namespace !== undefined ? { namespace: b.namespace } : {}),
                };
                this.experiments.push(e);
                return e;
            }
            case "ExperimentService_UnarchiveExperiment": {
                const e = this.experiments.find((x) => x.experiment_id === path.experiment_id);
                if (e === undefined) throw new HttpError(404, `Experiment ${path.experiment_id} not found`);
                e.storage_state = "AVAILABLE";
                return {};
            }
            case "RecurringRunService_ListRecurringRuns":
                return this.page(
                    this.recurringRuns.filter((r) => query.experiment_id === undefined || r.experiment_id === query.experiment_id),
                    query,
                    "recurringRuns",
                    "recurringruns",
                );
            case "RecurringRunService_CreateRecurringRun":
                return this.createRecurringRun(b);
            case "RecurringRunService_DeleteRecurringRun": {
                const i = this.recurringRuns.findIndex((r) => r.recurring_run_id === path.recurring_run_id);
                if (i < 0) throw new HttpError(404, `Job ${path.recurring_run_id} not found`);
                this.recurringRuns.splice(i, 1);
                return {};
            }
            case "RecurringRunService_EnableRecurringRun":
            case "RecurringRunService_DisableRecurringRun": {
                const r = this.recurringRuns.find((x) => x.recurring_run_id === path.recurring_run_id);
                if (r === undefined) throw new HttpError(404, `Job ${path.recurring_run_id} not found`);
                const enable = opId.endsWith("EnableRecurringRun");
                r.status = enable ? "ENABLED" : "DISABLED";
                r.mode = enable ? "ENABLE" : "DISABLE";
                return {};
            }
            default:
                throw new HttpError(501, `stand-in does not implement ${opId}`);
        }
    }

    private uploadVersion(query: Record<string, string>, req: IncomingMessage, raw: Buffer): Json {
        const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers["content-type"] ?? "");
        if (boundary === null) throw new HttpError(400, "Failed to create a pipeline version", true);
        const file = parseMultipart(raw, boundary[1] ?? boundary[2]).find((p) => p.name === "uploadfile");
        if (file === undefined) throw new HttpError(400, "Failed to create a pipeline version", true);
        if (!/\.(ya?ml|json)$/.test(file.filename ?? "")) throw new HttpError(400, "Failed to create a pipeline version", true);
        const pipelineId = query.pipelineid;
        if (pipelineId === undefined || !this.pipelines.some((p) => p.pipeline_id === pipelineId))
            throw new HttpError(400, "Failed to create a pipeline version", true);
        const docs = (() => {
            try {
                return jsyaml.loadAll(file.content).filter((d) => d !== null && d !== undefined) as Json[];
            } catch (err) {
                throw new HttpError(400, `Invalid input error: unable to decode yaml document: ${(err as Error).message}`, true);
            }
        })();
        const specs = docs.filter((d) => d.pipelineInfo !== undefined || d.root !== undefined);
        const platforms = docs.filter((d) => (d.platforms as Json | undefined)?.kubernetes !== undefined);
        if (specs.length !== 1)
            throw new HttpError(
                400,
                `Invalid input error: ${specs.length === 0 ? "no pipeline spec is provided" : "multiple pipeline specs provided"}`,
                true,
            );
        if (platforms.length > 1) throw new HttpError(400, "Invalid input error: multiple platform specs provided", true);
        const [spec] = specs;
        // At upload the server parses both documents strictly, but deploymentSpec and each executor's
        // Kubernetes config are google.protobuf.Struct there (checked only when a run is compiled).
        const shape = [
            ...protoShapeProblems("ml_pipelines.PipelineSpec", spec, "pipelineSpec"),
            ...(platforms[0] !== undefined ? protoShapeProblems("ml_pipelines.PlatformSpec", platforms[0], "platformSpec") : []),
        ];
        if (shape.length > 0) throw new HttpError(400, `Invalid input error: invalid v2 pipeline spec: ${shape.join("; ")}`, true);
        if (spec.schemaVersion !== "2.1.0")
            throw new HttpError(
                400,
                `Invalid input error: KFP only supports schema version 2.1.0, but the pipeline spec has version ${spec.schemaVersion}`,
                true,
            );
        const name = (spec.pipelineInfo as Json | undefined)?.name as string | undefined;
        if (name === undefined || !/^[a-z0-9][a-z0-9-]{0,127}$/.test(name))
            throw new HttpError(
                400,
                "Invalid input error: pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
                true,
            );
        const versionName = query.name ?? query.display_name ?? file.filename;
        if (this.versions.some((v) => v.pipeline_id === pipelineId && v.name === versionName))
            throw new HttpError(409, "Failed to create a pipeline version", true);
        const v = {
            pipeline_id: pipelineId,
            pipeline_version_id: randomUUID(),
            name: versionName,
            display_name: query.display_name ?? versionName,
            description: query.description ?? "",
            created_at: this.now(),
            spec,
            ...(platforms[0] !== undefined ? { platform: platforms[0] } : {}),
        };
        this.versions.push(v);
        return this.visible(v);
    }

    private createRecurringRun(b: Json): Json {
        if (typeof b.display_name !== "string" || b.display_name === "")
            throw new HttpError(500, "Internal error: Recurring run's name cannot be empty");
        const maxConcurrency = Number(b.max_concurrency ?? 0);
        if (maxConcurrency < 1 || maxConcurrency > 10)
            throw new HttpError(
                400,
                `Invalid input error: Max concurrency of a recurring run must be at least 1 and at most 10. Received ${maxConcurrency}`,
            );
        const cron = ((b.trigger as Json | undefined)?.cron_schedule as Json | undefined)?.cron as string | undefined;
        if (cron !== undefined) {
            try {
                robfigV1Parse(cron);
            } catch (err) {
                throw new HttpError(
                    400,
                    `Invalid input error: Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). Error: ${(err as Error).message}`,
                );
            }
        }
        const ref = (b.pipeline_version_reference ?? {}) as Json;
        const version = this.versions.find((v) => v.pipeline_version_id === ref.pipeline_version_id && v.pipeline_id === ref.pipeline_id);
        if (version === undefined) throw new HttpError(404, `Pipeline version ${ref.pipeline_version_id} not found`);
        if (b.experiment_id !== undefined && !this.experiments.some((e) => e.experiment_id === b.experiment_id))
            throw new HttpError(404, `Experiment ${b.experiment_id} not found`);
        const params = (((b.runtime_config as Json | undefined)?.parameters ?? {}) as Json) ?? {};
        const declared =
            ((((version.spec.root as Json).inputDefinitions as Json | undefined)?.parameters ?? {}) as Record<string, Json>) ?? {};
        for (const [name, def] of Object.entries(declared)) {
            const v = params[name];
            if (v === undefined) {
                if (def.isOptional !== true && def.defaultValue === undefined)
                    throw new HttpError(
                        400,
                        `Invalid input error: parameter ${name} is not optional, yet has neither default value nor user provided value`,
                    );
                continue;
            }
            const kind = def.parameterType;
            const ok =
                ((kind === "NUMBER_INTEGER" || kind === "NUMBER_DOUBLE") && typeof v === "number") ||
                (kind === "STRING" && typeof v === "string") ||
                (kind === "BOOLEAN" && typeof v === "boolean") ||
                (kind === "LIST" && Array.isArray(v)) ||
                (kind === "STRUCT" && v !== null && typeof v === "object" && !Array.isArray(v));
            if (!ok)
                throw new HttpError(
                    400,
                    `Invalid input error: input parameter ${name} requires type ${kind}, but the parameter value is not of that type`,
                );
        }
        const extra = Object.keys(params).filter((p) => declared[p] === undefined);
        if (extra.length > 0)
            throw new HttpError(400, `Invalid input error: parameter(s) provided are not required by pipeline: ${extra.join(", ")}`);
        const enabled = b.mode === "ENABLE";
        const at = this.now();
        const run: Json = {
            ...b,
            recurring_run_id: randomUUID(),
            service_account: typeof b.service_account === "string" && b.service_account !== "" ? b.service_account : "pipeline-runner",
            max_concurrency: String(maxConcurrency),
            status: enabled ? "ENABLED" : "DISABLED",
            mode: enabled ? "ENABLE" : "DISABLE",
            created_at: at,
            updated_at: at,
        };
        this.recurringRuns.push(run);
        return run;
    }
}

/** Parts of a multipart/form-data body (enough for one uploaded file). */
export function parseMultipart(raw: Buffer, boundary: string): { name?: string; filename?: string; content: string }[] {
    const text = raw.toString("latin1");
    return text
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => {
            const [head, ...rest] = part.replace(/^\r\n/, "").split("\r\n\r\n");
            const body = rest.join("\r\n\r\n").replace(/\r\n$/, "");
            return {
                name: /name="([^"]*)"/.exec(head)?.[1],
                filename: /filename="([^"]*)"/.exec(head)?.[1],
                content: Buffer.from(body, "latin1").toString("utf8"),
            };
        });
}
