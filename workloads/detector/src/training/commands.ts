/**
 * The trainer's commands: train-all, publish, promote, rollback, bootstrap, run, and roll (the edge's model
 * roller). Settings come from flags,
 * then from the environment (TRAINER_ENV in @aiops/contract), then defaults. Logs go to stderr, one JSON
 * summary line to stdout (for pipeline steps). Exit codes: 0 success (including "kept the champion"),
 * 1 failure (the message names the dependency and its URL), 2 bad command line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MLFLOW_EXPERIMENT, TRAINER_DEFAULTS, TRAINER_ENV } from "@aiops/contract";
import { numberFlag, parseFlags, parseTime, trainingOptions, UsageError, type Io } from "../flags";
import { PrometheusError } from "../prometheus";
import { parseInferenceServiceRef, type InferenceServiceRef, type KubeOptions } from "./kube";
import { MlflowClient, type MlflowOptions } from "./mlflow";
import { bootstrap, DEFAULT_BOUNDS, promote, type Bounds } from "./promote";
import { publish, readSetDir } from "./publish";
import { rollFromStore } from "./roll";
import { createS3Store, parseStoreUri, type ModelStore, type StoreOptions } from "./store";
import { defaultMinPoints, duration, fetchHistory, InsufficientHistoryError, trainFetched, type TrainAllOptions } from "./train-all";

export const TRAINER_USAGE = `trainer commands (flags win over the environment variables in brackets):
  detector train-all --prometheus URL [--hours H] --out-dir DIR [--end T] [--step S] [--holdout F] [--min-points N] [training options]
  detector publish --dir DIR [--store s3://BUCKET/PREFIX] [--mlflow URL] [--experiment NAME]
  detector promote (--version V | --dir DIR) [--force] [--min-flag-rate X] [--max-flag-rate Y] [--tolerance Z]
                   [--store URI] [--mlflow URL] [--experiment NAME] [--inference-service NS/NAME]
  detector rollback --version V [--store URI] [--mlflow URL] [--experiment NAME] [--inference-service NS/NAME]
  detector bootstrap [--store URI]
  detector roll [--store URI] [--inference-service NS/NAME]   (roll the predictor to the store's champion if it differs)
  detector run [--wait-for-history 1h] [--wait-timeout D] [--work-dir DIR] [train-all, publish and promote flags]

  --prometheus [PROMETHEUS_URL]  --hours [TRAINING_HOURS, 168]  --step [TRAINING_STEP_SECONDS, 10]
  --holdout [TRAINING_HOLDOUT_FRACTION, 0.1]  --min-points [TRAINING_MIN_POINTS, lookback + 60]
  --store [MODEL_STORE_URI] with S3_ENDPOINT_URL, S3_FORCE_PATH_STYLE, AWS_REGION and AWS credentials or IRSA
  --mlflow [MLFLOW_TRACKING_URI]  --experiment [MLFLOW_EXPERIMENT_NAME, anomaly-detector]
  --inference-service [INFERENCE_SERVICE]  --min-flag-rate [PROMOTION_MIN_FLAG_RATE, 0]
  --max-flag-rate [PROMOTION_MAX_FLAG_RATE, 0.1]  --tolerance [PROMOTION_TOLERANCE, 0]
  --wait-for-history [HISTORY_WAIT, 1h]  --wait-timeout [HISTORY_WAIT_TIMEOUT, history + 2h]`;

const TRAINING_FLAGS = {
    features: { type: "string" },
    contamination: { type: "string" },
    trees: { type: "string" },
    "max-samples": { type: "string" },
    seed: { type: "string" },
} as const;
const TRAIN_ALL_FLAGS = {
    prometheus: { type: "string" },
    hours: { type: "string" },
    "out-dir": { type: "string" },
    end: { type: "string" },
    step: { type: "string" },
    holdout: { type: "string" },
    "min-points": { type: "string" },
    ...TRAINING_FLAGS,
} as const;
const STORE_MLFLOW_FLAGS = { store: { type: "string" }, mlflow: { type: "string" }, experiment: { type: "string" } } as const;
const GUARD_FLAGS = {
    "min-flag-rate": { type: "string" },
    "max-flag-rate": { type: "string" },
    tolerance: { type: "string" },
    "inference-service": { type: "string" },
} as const;
const PUBLISH_FLAGS = { dir: { type: "string" }, ...STORE_MLFLOW_FLAGS } as const;
const PROMOTE_FLAGS = {
    version: { type: "string" },
    dir: { type: "string" },
    force: { type: "boolean" },
    ...STORE_MLFLOW_FLAGS,
    ...GUARD_FLAGS,
} as const;
const ROLLBACK_FLAGS = { version: { type: "string" }, ...STORE_MLFLOW_FLAGS, "inference-service": { type: "string" } } as const;
const BOOTSTRAP_FLAGS = { store: { type: "string" } } as const;
const ROLL_FLAGS = { store: { type: "string" }, "inference-service": { type: "string" } } as const;
const RUN_FLAGS = {
    ...TRAIN_ALL_FLAGS,
    ...STORE_MLFLOW_FLAGS,
    ...GUARD_FLAGS,
    "work-dir": { type: "string" },
    "wait-for-history": { type: "string" },
    "wait-timeout": { type: "string" },
} as const;

/** Test seams: the Kubernetes service-account location, sleeping, the clock. */
export interface TrainerDeps {
    kube?: KubeOptions;
    sleep?: (ms: number) => Promise<void>;
    now?: () => number;
}

export type Values = Record<string, string | boolean | undefined>;

/** A flag's value, else the environment variable's (empty counts as unset). */
function setting(v: Values, flag: string, env: NodeJS.ProcessEnv, name: string): string | undefined {
    const f = v[flag];
    if (typeof f === "string" && f !== "") return f;
    const e = env[name];
    return e === undefined || e === "" ? undefined : e;
}

function requiredSetting(command: string, v: Values, flag: string, env: NodeJS.ProcessEnv, name: string): string {
    const s = setting(v, flag, env, name);
    if (s === undefined) throw new UsageError(`${command}: --${flag} (or ${name}) is required`);
    return s;
}

/** A number from a flag or its variable; the message names whichever was used. */
function numberSetting(
    command: string,
    v: Values,
    flag: string,
    env: NodeJS.ProcessEnv,
    name: string,
    check: (n: number) => boolean,
    what: string,
): number | undefined {
    const fromFlag = typeof v[flag] === "string" && v[flag] !== "";
    const text = setting(v, flag, env, name);
    if (text === undefined) return undefined;
    if (fromFlag) return numberFlag(command, flag, text, check, what);
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`${command}: ${name} must be ${what}; got '${text}'`);
    return n;
}

/** "1h", "90m", "45s", "1h30m", "2d" or plain seconds, to seconds. */
export function parseDuration(text: string, what: string): number {
    const t = text.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
    const re = /(\d+(?:\.\d+)?)(d|h|m|s)/g;
    let total = 0;
    let consumed = 0;
    for (const m of t.matchAll(re)) {
        total += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as "d" | "h" | "m" | "s"];
        consumed += m[0].length;
    }
    if (t === "" || consumed !== t.length)
        throw new UsageError(`${what} must be a duration such as 1h, 90m, 1h30m or seconds; got '${text}'`);
    return total;
}

const fraction = (lo: number, hi: number) => (n: number) => n >= lo && n <= hi;

export function trainAllOptions(
    command: string,
    v: Values,
    env: NodeJS.ProcessEnv,
    outDir: string,
    log: (l: string) => void,
): TrainAllOptions {
    const prometheus = requiredSetting(command, v, "prometheus", env, TRAINER_ENV.prometheusUrl);
    if (!/^https?:\/\/[^/]/.test(prometheus))
        throw new UsageError(`${command}: the Prometheus URL must start with http:// or https://; got '${prometheus}'`);
    const train = trainingOptions(command, v as Record<string, string | undefined>);
    const hours =
        numberSetting(command, v, "hours", env, TRAINER_ENV.trainingHours, (n) => n > 0, "a positive number of hours") ??
        TRAINER_DEFAULTS.trainingHours;
    const step =
        numberSetting(command, v, "step", env, TRAINER_ENV.trainingStepSeconds, (n) => n > 0, "a positive number of seconds") ??
        TRAINER_DEFAULTS.trainingStepSeconds;
    const holdout =
        numberSetting(
            command,
            v,
            "holdout",
            env,
            TRAINER_ENV.holdoutFraction,
            (n) => n > 0 && n < 1,
            "a fraction between 0 and 1 (exclusive)",
        ) ?? 0.1;
    const minPoints = numberSetting(
        command,
        v,
        "min-points",
        env,
        TRAINER_ENV.minPoints,
        (n) => Number.isInteger(n) && n >= 2,
        "an integer >= 2",
    );
    const end = typeof v.end === "string" ? parseTime(v.end, command) : undefined;
    return { prometheus, hours, step, end, outDir, holdoutFraction: holdout, minPoints, train, log };
}

interface Connections {
    store: ModelStore;
    mlflow: MlflowClient;
    experiment: string;
}

/** The store's settings from flags and env, checked (pure: no client is created). */
export function storeOptions(command: string, v: Values, env: NodeJS.ProcessEnv): StoreOptions {
    const uri = requiredSetting(command, v, "store", env, TRAINER_ENV.modelStoreUri);
    const pathStyle = env[TRAINER_ENV.s3ForcePathStyle];
    if (pathStyle !== undefined && pathStyle !== "" && !/^(true|false|1|0)$/i.test(pathStyle)) {
        throw new UsageError(`${command}: ${TRAINER_ENV.s3ForcePathStyle} must be true or false; got '${pathStyle}'`);
    }
    const endpoint = env[TRAINER_ENV.s3EndpointUrl];
    if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) {
        throw new UsageError(`${command}: ${TRAINER_ENV.s3EndpointUrl} must start with http:// or https://; got '${endpoint}'`);
    }
    try {
        parseStoreUri(uri);
    } catch (err) {
        throw new UsageError(`${command}: ${(err as Error).message}`);
    }
    return {
        uri,
        endpoint: endpoint || undefined,
        forcePathStyle: pathStyle === undefined || pathStyle === "" ? undefined : /^(true|1)$/i.test(pathStyle),
        region: env[TRAINER_ENV.awsRegion] || env.AWS_DEFAULT_REGION || undefined,
    };
}

function storeFrom(command: string, v: Values, env: NodeJS.ProcessEnv): ModelStore {
    return createS3Store(storeOptions(command, v, env));
}

/** MLflow's settings from flags and env, checked; MLflow's own client variables give its auth. */
export function mlflowOptions(command: string, v: Values, env: NodeJS.ProcessEnv): { options: MlflowOptions; experiment: string } {
    const url = requiredSetting(command, v, "mlflow", env, TRAINER_ENV.mlflowTrackingUri);
    if (!/^https?:\/\/[^/]/.test(url))
        throw new UsageError(`${command}: the MLflow tracking URI must start with http:// or https://; got '${url}'`);
    return {
        options: {
            url,
            token: env.MLFLOW_TRACKING_TOKEN || undefined,
            username: env.MLFLOW_TRACKING_USERNAME,
            password: env.MLFLOW_TRACKING_PASSWORD,
        },
        experiment: setting(v, "experiment", env, TRAINER_ENV.mlflowExperiment) ?? DEFAULT_MLFLOW_EXPERIMENT,
    };
}

function connections(command: string, v: Values, env: NodeJS.ProcessEnv): Connections {
    const m = mlflowOptions(command, v, env);
    return { store: storeFrom(command, v, env), mlflow: new MlflowClient(m.options), experiment: m.experiment };
}

export function guard(command: string, v: Values, env: NodeJS.ProcessEnv): { bounds: Bounds; inferenceService?: InferenceServiceRef } {
    const bounds: Bounds = {
        minFlagRate:
            numberSetting(command, v, "min-flag-rate", env, TRAINER_ENV.promotionMinFlagRate, fraction(0, 1), "a rate between 0 and 1") ??
            DEFAULT_BOUNDS.minFlagRate,
        maxFlagRate:
            numberSetting(command, v, "max-flag-rate", env, TRAINER_ENV.promotionMaxFlagRate, fraction(0, 1), "a rate between 0 and 1") ??
            DEFAULT_BOUNDS.maxFlagRate,
        tolerance:
            numberSetting(command, v, "tolerance", env, TRAINER_ENV.promotionTolerance, fraction(0, 1), "a rate between 0 and 1") ??
            DEFAULT_BOUNDS.tolerance,
    };
    if (bounds.minFlagRate > bounds.maxFlagRate) {
        throw new UsageError(`${command}: the minimum flag rate (${bounds.minFlagRate}) is above the maximum (${bounds.maxFlagRate})`);
    }
    return { bounds, inferenceService: inferenceServiceFrom(command, v, env) };
}

function inferenceServiceFrom(command: string, v: Values, env: NodeJS.ProcessEnv): InferenceServiceRef | undefined {
    const text = setting(v, "inference-service", env, TRAINER_ENV.inferenceService);
    if (text === undefined) return undefined;
    try {
        return parseInferenceServiceRef(text);
    } catch (err) {
        throw new UsageError(`${command}: ${(err as Error).message}`);
    }
}

function logger(io: Io): (line: string) => void {
    return (line) => io.err(`${new Date().toISOString()} ${line}\n`);
}

/** Runs a trainer command; resolves to its exit code (errors are thrown and turned into codes by main). */
export async function runTrainerCommand(command: string, args: string[], io: Io, deps: TrainerDeps = {}): Promise<number> {
    const env = io.env;
    const log = logger(io);
    // KUBE_SERVICE_ACCOUNT_DIR: another token/CA location (tests, projected tokens); default the in-pod one.
    deps = { ...deps, kube: deps.kube ?? { env, serviceAccountDir: env.KUBE_SERVICE_ACCOUNT_DIR || undefined } };
    switch (command) {
        case "train-all": {
            const v = parseFlags(command, args, TRAIN_ALL_FLAGS);
            const outDir = typeof v["out-dir"] === "string" && v["out-dir"] !== "" ? v["out-dir"] : undefined;
            if (outDir === undefined) throw new UsageError("train-all: --out-dir is required");
            const opts = trainAllOptions(command, v, env, outDir, log);
            const manifest = trainFetched(await fetchHistory({ ...opts, now: deps.now }), opts);
            io.out(
                `${JSON.stringify({ version: manifest.version, outDir, models: manifest.models.map((m) => ({ name: m.name, version: m.version })) })}\n`,
            );
            return 0;
        }
        case "publish": {
            const v = parseFlags(command, args, PUBLISH_FLAGS);
            const dir = typeof v.dir === "string" && v.dir !== "" ? v.dir : undefined;
            if (dir === undefined) throw new UsageError("publish: --dir is required");
            const c = connections(command, v, env);
            const result = await publish(readSetDir(dir), c.store, c.mlflow, c.experiment, log);
            io.out(`${JSON.stringify(result)}\n`);
            return 0;
        }
        case "promote":
        case "rollback": {
            const rollback = command === "rollback";
            const v: Values = rollback ? parseFlags(command, args, ROLLBACK_FLAGS) : parseFlags(command, args, PROMOTE_FLAGS);
            const version = typeof v.version === "string" && v.version !== "" ? v.version : undefined;
            const dir = typeof v.dir === "string" && v.dir !== "" ? v.dir : undefined;
            if (rollback && version === undefined)
                throw new UsageError("rollback: --version is required (a published version, 12 hex digits)");
            if (!rollback && (version === undefined) === (dir === undefined))
                throw new UsageError("promote: give exactly one of --version V or --dir DIR");
            const target = version ?? readSetDir(dir as string).manifest.version;
            if (!/^[0-9a-f]{12}$/.test(target)) throw new UsageError(`${command}: --version must be 12 hex digits; got '${target}'`);
            const c = connections(command, v, env);
            const g = rollback
                ? { bounds: DEFAULT_BOUNDS, inferenceService: inferenceServiceFrom(command, v, env) }
                : guard(command, v, env);
            const result = await promote(c.store, c.mlflow, {
                version: target,
                force: rollback || v.force === true,
                bounds: g.bounds,
                experiment: c.experiment,
                inferenceService: g.inferenceService,
                kube: deps.kube,
                log,
            });
            io.out(`${JSON.stringify(result)}\n`);
            return 0;
        }
        case "bootstrap": {
            const v = parseFlags(command, args, BOOTSTRAP_FLAGS);
            const wrote = await bootstrap(storeFrom(command, v, env), log);
            io.out(`${JSON.stringify({ placeholder: wrote })}\n`);
            return 0;
        }
        case "roll": {
            const v = parseFlags(command, args, ROLL_FLAGS);
            const ref = inferenceServiceFrom(command, v, env);
            if (ref === undefined) throw new UsageError(`roll: --inference-service (or ${TRAINER_ENV.inferenceService}) is required`);
            const result = await rollFromStore(storeFrom(command, v, env), ref, deps.kube, log);
            io.out(`${JSON.stringify(result)}\n`);
            return 0;
        }
        case "run":
            return run(args, io, deps);
        default:
            throw new UsageError(`unknown trainer command '${command}'`);
    }
}

/** Placeholder, wait for history (bounded, logged backoff), train-all, publish, promote. */
async function run(args: string[], io: Io, deps: TrainerDeps): Promise<number> {
    const env = io.env;
    const log = logger(io);
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = deps.now ?? Date.now;
    const v = parseFlags("run", args, RUN_FLAGS);
    const waitText = setting(v, "wait-for-history", env, TRAINER_ENV.historyWait) ?? "1h";
    const history = parseDuration(waitText, `run: --wait-for-history (${TRAINER_ENV.historyWait})`);
    const timeoutText = setting(v, "wait-timeout", env, TRAINER_ENV.historyWaitTimeout);
    const waitTimeout =
        timeoutText === undefined ? history + 7200 : parseDuration(timeoutText, `run: --wait-timeout (${TRAINER_ENV.historyWaitTimeout})`);
    const own = typeof v["work-dir"] !== "string" || v["work-dir"] === "";
    const workDir = own ? mkdtempSync(join(tmpdir(), "detector-run-")) : (v["work-dir"] as string);
    const opts = trainAllOptions("run", v, env, workDir, log);
    // Wait for HISTORY_WAIT as well as the features' minimum.
    const minPoints = Math.max(
        opts.minPoints ?? defaultMinPoints(opts.train),
        Math.ceil(history / (opts.step ?? TRAINER_DEFAULTS.trainingStepSeconds)),
    );
    const c = connections("run", v, env);
    const g = guard("run", v, env);
    try {
        await bootstrap(c.store, log);
        const deadline = now() + waitTimeout * 1000;
        let delay = 30;
        let fetched;
        for (;;) {
            try {
                fetched = await fetchHistory({ ...opts, minPoints, now });
                break;
            } catch (err) {
                const retryable =
                    err instanceof InsufficientHistoryError || (err instanceof PrometheusError && /cannot reach/.test(err.message));
                if (!retryable) throw err;
                const left = (deadline - now()) / 1000;
                if (left <= 0)
                    throw new Error(
                        `gave up waiting for history after ${duration(waitTimeout)} (${TRAINER_ENV.historyWaitTimeout}): ${(err as Error).message}`,
                    );
                const hint = err instanceof InsufficientHistoryError ? err.shortfallSeconds : delay;
                const wait = Math.max(1, Math.min(left, 300, Math.max(delay, hint)));
                log(`waiting ${duration(wait)} for history (${duration(left)} left before giving up): ${(err as Error).message}`);
                await sleep(wait * 1000);
                delay = Math.min(300, delay * 2);
            }
        }
        const manifest = trainFetched(fetched, opts);
        const published = await publish(readSetDir(workDir), c.store, c.mlflow, c.experiment, log);
        const promoted = await promote(c.store, c.mlflow, {
            version: manifest.version,
            bounds: g.bounds,
            experiment: c.experiment,
            inferenceService: g.inferenceService,
            kube: deps.kube,
            log,
        });
        io.out(
            `${JSON.stringify({ version: manifest.version, runId: published.runId, decision: promoted.decision, reasons: promoted.reasons })}\n`,
        );
        return 0;
    } finally {
        if (own) rmSync(workDir, { recursive: true, force: true });
    }
}
