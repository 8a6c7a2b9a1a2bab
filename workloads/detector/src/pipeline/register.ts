// Registers the training pipeline with Kubeflow Pipelines over its v2beta1 REST API, idempotently: every
// object is looked up by a key first and created only when missing, so a second run with the same settings
// sends no POST or DELETE at all.
//
//   pipeline        key: display name (= name = pipelineInfo.name)       POST /pipelines
//   pipeline version key: name `<pipeline>-<12 hex of the IR's SHA-256>` POST /pipelines/upload_version (multipart)
//   experiment      key: display name                                    POST /experiments (+ :unarchive)
//   recurring run   key: display name `<pipeline>-recurring`, any experiment; it is kept when it matches the
//                   desired spec, else a new one is created and the old ones deleted (v2beta1 has no update
//                   for recurring runs); :enable/:disable when only the pause state differs.
//
// The recurring run pins the version of the IR this run built (pipeline_version_reference with an id), so
// a changed IR repoints the schedule and an unchanged one leaves it alone.
import type { KfpClient } from "./kfp-client";
import { KfpError } from "./kfp-client";
import { buildPipelineIr, parameterDefaults, PipelineIr, pipelineYaml, versionName } from "./ir";
import type { TrainingSettings } from "./settings";
import { assertValidPipelineIr, validateRuntimeParameters } from "./validate";

const API = "/apis/v2beta1";
/** Bounds every list walk (100 per page): far more than this pipeline ever has. */
const MAX_PAGES = 20;

interface Pipeline {
    pipeline_id?: string;
    name?: string;
    display_name?: string;
}
interface PipelineVersion {
    pipeline_version_id?: string;
    name?: string;
}
interface Experiment {
    experiment_id?: string;
    display_name?: string;
    storage_state?: string;
}
export interface RecurringRun {
    recurring_run_id?: string;
    display_name?: string;
    description?: string;
    pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
    runtime_config?: { parameters?: Record<string, unknown>; pipeline_root?: string };
    service_account?: string;
    max_concurrency?: string;
    trigger?: { cron_schedule?: { cron?: string }; periodic_schedule?: unknown };
    mode?: "ENABLE" | "DISABLE";
    status?: string;
    no_catchup?: boolean;
    experiment_id?: string;
}

export interface RegisterResult {
    readonly pipelineId: string;
    readonly pipelineVersionId: string;
    readonly versionName: string;
    readonly experimentId: string;
    readonly recurringRunId: string;
    /** What this run changed, in order; empty when everything was already as configured. */
    readonly changes: string[];
}

export interface RegisterOptions {
    readonly settings: TrainingSettings;
    readonly client: KfpClient;
    /** KFP namespace for multi-user installs. Default none (standalone KFP). */
    readonly namespace?: string;
    readonly log?: (line: string) => void;
}

/** A v2beta1 Filter with one EQUALS predicate (backend/api/v2beta1/filter.proto), as the query wants it. */
export function equalsFilter(key: string, value: string): string {
    return JSON.stringify({ predicates: [{ operation: "EQUALS", key, string_value: value }] });
}

/** Pages through a list endpoint; `field` is the array's name in the response. */
async function listAll<T>(client: KfpClient, path: string, field: string, query: Record<string, string | undefined>): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
        const body = await client.get<Record<string, unknown>>(path, { ...query, page_size: 100, page_token: token });
        items.push(...((body[field] as T[] | undefined) ?? []));
        token = typeof body.next_page_token === "string" && body.next_page_token !== "" ? body.next_page_token : undefined;
        if (token === undefined) return items;
    }
    throw new KfpError(
        `KFP API at ${client.baseUrl}: ${path} still has more pages after ${MAX_PAGES} pages (${items.length} items); refusing to list further`,
    );
}

/**
 * Looks an object up by one key (a list call with an EQUALS filter, re-checked here) and creates it only when
 * missing. A 409 on create means another registration created it meanwhile: it is looked up again.
 */
async function ensure<T extends object>(
    client: KfpClient,
    changes: string[],
    o: {
        readonly what: string;
        readonly path: string;
        readonly field: string;
        readonly key: keyof T & string;
        readonly value: string;
        readonly query?: Record<string, string | undefined>;
        readonly create: () => Promise<T>;
    },
): Promise<T> {
    const find = async () =>
        (await listAll<T>(client, o.path, o.field, { ...o.query, filter: equalsFilter(o.key, o.value) })).find(
            (x) => (x as Record<string, unknown>)[o.key] === o.value,
        );
    const found = await find();
    if (found !== undefined) return found;
    try {
        const created = await o.create();
        changes.push(`created ${o.what}`);
        return created;
    } catch (err) {
        if (err instanceof KfpError && err.status === 409) {
            const raced = await find();
            if (raced !== undefined) return raced;
        }
        throw err;
    }
}

function required(value: string | undefined, what: string, client: KfpClient): string {
    if (value === undefined || value === "") throw new KfpError(`KFP API at ${client.baseUrl} returned ${what} without an id`);
    return value;
}

/** The recurring run this configuration wants. */
export function desiredRecurringRun(
    ir: PipelineIr,
    s: TrainingSettings,
    ids: { pipelineId: string; pipelineVersionId: string; experimentId: string },
): RecurringRun {
    return {
        display_name: `${s.pipelineName}-recurring`,
        description: `Trains, publishes and promotes the detector models on schedule '${s.schedule.kfp}' (UTC). Managed by detector pipeline register.`,
        pipeline_version_reference: { pipeline_id: ids.pipelineId, pipeline_version_id: ids.pipelineVersionId },
        runtime_config: { parameters: parameterDefaults(s) },
        service_account: s.serviceAccount,
        max_concurrency: "1",
        trigger: { cron_schedule: { cron: s.schedule.kfp } },
        mode: s.scheduleEnabled ? "ENABLE" : "DISABLE",
        no_catchup: true,
        experiment_id: ids.experimentId,
    };
}

function sameJson(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whether an existing recurring run already is the desired one (the pause state aside, which can be toggled). */
export function matchesDesired(run: RecurringRun, want: RecurringRun): boolean {
    return (
        run.pipeline_version_reference?.pipeline_id === want.pipeline_version_reference?.pipeline_id &&
        run.pipeline_version_reference?.pipeline_version_id === want.pipeline_version_reference?.pipeline_version_id &&
        run.trigger?.cron_schedule?.cron === want.trigger?.cron_schedule?.cron &&
        run.trigger?.periodic_schedule === undefined &&
        String(run.max_concurrency ?? "") === want.max_concurrency &&
        (run.no_catchup ?? false) === want.no_catchup &&
        (run.service_account ?? "") === want.service_account &&
        run.experiment_id === want.experiment_id &&
        (run.runtime_config?.pipeline_root ?? "") === "" &&
        sameJson(run.runtime_config?.parameters ?? {}, want.runtime_config?.parameters ?? {})
    );
}

/** Makes KFP hold exactly the configured pipeline, version, experiment and recurring run. */
export async function registerPipeline(opts: RegisterOptions): Promise<RegisterResult> {
    const { settings: s, client } = opts;
    const log = opts.log ?? (() => {});
    const ns = opts.namespace;
    const changes: string[] = [];

    const ir = buildPipelineIr(s);
    assertValidPipelineIr(ir);
    const params = parameterDefaults(s);
    const paramProblems = validateRuntimeParameters(ir, params);
    if (paramProblems.length > 0) throw new Error(`recurring run parameters do not fit the pipeline: ${paramProblems.join("; ")}`);
    const version = versionName(ir);

    await client.get(`${API}/healthz`);

    const inNamespace = ns !== undefined ? { namespace: ns } : {};
    const pipeline = await ensure<Pipeline>(client, changes, {
        what: `pipeline ${s.pipelineName}`,
        path: `${API}/pipelines`,
        field: "pipelines",
        key: "display_name",
        value: s.pipelineName,
        query: { namespace: ns },
        create: () =>
            client.request<Pipeline>("POST", `${API}/pipelines`, {
                json: {
                    name: s.pipelineName,
                    display_name: s.pipelineName,
                    description: "Detector training (train, publish, promote). Versions are named after the IR's SHA-256.",
                    ...inNamespace,
                },
            }),
    });
    const pipelineId = required(pipeline.pipeline_id, "the pipeline", client);
    log(`pipeline ${s.pipelineName}: ${pipelineId}`);

    const pv = await ensure<PipelineVersion>(client, changes, {
        what: `pipeline version ${version}`,
        path: `${API}/pipelines/${encodeURIComponent(pipelineId)}/versions`,
        field: "pipeline_versions",
        key: "name",
        value: version,
        create: () =>
            client.request<PipelineVersion>("POST", `${API}/pipelines/upload_version`, {
                query: {
                    pipelineid: pipelineId,
                    name: version,
                    display_name: version,
                    description: `Pipeline IR sha256 ${version.slice(-12)}, image ${s.image}`,
                },
                file: { field: "uploadfile", filename: "pipeline.yaml", content: pipelineYaml(ir), type: "application/x-yaml" },
            }),
    });
    const pipelineVersionId = required(pv.pipeline_version_id, "the pipeline version", client);
    log(`pipeline version ${version}: ${pipelineVersionId}`);

    const experiment = await ensure<Experiment>(client, changes, {
        what: `experiment ${s.experiment}`,
        path: `${API}/experiments`,
        field: "experiments",
        key: "display_name",
        value: s.experiment,
        query: { namespace: ns },
        create: () =>
            client.request<Experiment>("POST", `${API}/experiments`, {
                json: { display_name: s.experiment, description: "Detector training runs.", ...inNamespace },
            }),
    });
    const experimentId = required(experiment.experiment_id, "the experiment", client);
    // Archiving an experiment disables its recurring runs; the schedule needs it available.
    if (experiment.storage_state === "ARCHIVED") {
        await client.request("POST", `${API}/experiments/${encodeURIComponent(experimentId)}:unarchive`);
        changes.push(`unarchived experiment ${s.experiment}`);
    }
    log(`experiment ${s.experiment}: ${experimentId}`);

    // Recurring run
    const want = desiredRecurringRun(ir, s, { pipelineId, pipelineVersionId, experimentId });
    const existing = (
        await listAll<RecurringRun>(client, `${API}/recurringruns`, "recurringRuns", {
            filter: equalsFilter("display_name", want.display_name as string),
            namespace: ns,
        })
    ).filter((r) => r.display_name === want.display_name);
    let keep = existing.find((r) => matchesDesired(r, want));
    if (keep === undefined) {
        // Create first, delete after: if the create fails, yesterday's schedule still runs.
        keep = await client.request<RecurringRun>("POST", `${API}/recurringruns`, { json: want });
        changes.push(`created recurring run ${want.display_name} (${s.schedule.kfp}) on version ${version}`);
    } else {
        const enabled = keep.status === "ENABLED" || (keep.status === undefined && keep.mode === "ENABLE");
        if (enabled !== s.scheduleEnabled) {
            const id = required(keep.recurring_run_id, "the recurring run", client);
            await client.request("POST", `${API}/recurringruns/${encodeURIComponent(id)}:${s.scheduleEnabled ? "enable" : "disable"}`);
            changes.push(`${s.scheduleEnabled ? "enabled" : "paused"} recurring run ${want.display_name}`);
        }
    }
    const recurringRunId = required(keep.recurring_run_id, "the recurring run", client);
    for (const old of existing) {
        if (old.recurring_run_id === recurringRunId) continue;
        const id = required(old.recurring_run_id, "a recurring run", client);
        await client.request("DELETE", `${API}/recurringruns/${encodeURIComponent(id)}`);
        changes.push(`deleted outdated recurring run ${id}`);
    }
    log(`recurring run ${want.display_name}: ${recurringRunId} (${s.schedule.kfp}, ${s.scheduleEnabled ? "enabled" : "paused"})`);
    return { pipelineId, pipelineVersionId, versionName: version, experimentId, recurringRunId, changes };
}
