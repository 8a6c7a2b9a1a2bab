// `detector pipeline register|compile`: the in-cluster registration Job's command, and a way to look at the
// IR it would upload. Self-contained (own usage and exit codes) so the main CLI only dispatches to it.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildPipelineIr, irDigest, pipelineYaml, versionName } from "./ir";
import { KfpClient } from "./kfp-client";
import { registerPipeline } from "./register";
import { settingsFromEnv, SettingsOverrides } from "./settings";
import { assertValidPipelineIr } from "./validate";

export const PIPELINE_USAGE = `usage:
  detector pipeline register --kfp URL [--namespace NS] [--wait SECONDS] [--request-timeout SECONDS] [settings]
  detector pipeline compile [--out FILE] [settings]

register makes Kubeflow Pipelines hold the training pipeline, a version named after the IR's hash, the
experiment and exactly one recurring run; a second run with the same settings changes nothing. It waits
for KFP's API (default 300 s) and exits 1 with a message naming KFP and the URL when it does not answer.
compile prints the pipeline IR (multi-document YAML, as KFP's upload takes it).

settings (flags win over env):
  --image IMAGE             DETECTOR_IMAGE, the detector image the steps run (required, pinned)
  --schedule CRON           TRAINING_SCHEDULE, 5 fields or 6 with seconds first (default '0 2 * * *', UTC)
  --paused                  TRAINING_SCHEDULE_PAUSED=true: register the recurring run disabled
  --service-account NAME    PIPELINE_SERVICE_ACCOUNT (default pipeline-runner)
  --pipeline-name NAME      PIPELINE_NAME (default aiops-detector-training)
  --experiment NAME         PIPELINE_EXPERIMENT (default aiops-detector)
  --object-store-secret N   OBJECT_STORE_SECRET, the Secret in KFP's namespace with the steps' store keys
  env only: PROMETHEUS_URL, MLFLOW_TRACKING_URI, MODEL_STORE_URI, INFERENCE_SERVICE (required);
  S3_ENDPOINT_URL, S3_FORCE_PATH_STYLE, AWS_REGION, OBJECT_STORE_SECRET, TRAINING_HOURS (24),
  TRAINING_STEP_SECONDS (60), PROMOTION_MIN_FLAG_RATE, PROMOTION_MAX_FLAG_RATE; the steps get them as env.
KFP: --kfp URL (KFP_API_URL), --namespace (KFP_NAMESPACE, multi-user installs only), --wait (KFP_WAIT_SECONDS).`;

export interface PipelineIo {
    out: (text: string) => void;
    err: (text: string) => void;
    env: NodeJS.ProcessEnv;
}

const SETTINGS_FLAGS = {
    image: { type: "string" },
    schedule: { type: "string" },
    paused: { type: "boolean" },
    "service-account": { type: "string" },
    "pipeline-name": { type: "string" },
    experiment: { type: "string" },
    "object-store-secret": { type: "string" },
} as const;

class Usage extends Error {}

function flags<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], options: T) {
    try {
        return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
    } catch (err) {
        throw new Usage((err as Error).message.split("\n")[0]);
    }
}

function overrides(v: Record<string, string | boolean | undefined>): SettingsOverrides {
    const o: Record<string, unknown> = {
        image: v.image,
        schedule: v.schedule,
        serviceAccount: v["service-account"],
        pipelineName: v["pipeline-name"],
        experiment: v.experiment,
        credentialsSecret: v["object-store-secret"],
        paused: v.paused === true ? true : undefined,
    };
    return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as SettingsOverrides;
}

function seconds(flag: string, text: string | undefined, fallback: number): number {
    if (text === undefined || text === "") return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Usage(`${flag} must be a positive number of seconds; got '${text}'`);
    return n;
}

async function register(args: string[], io: PipelineIo): Promise<number> {
    const v = flags(args, {
        ...SETTINGS_FLAGS,
        kfp: { type: "string" },
        namespace: { type: "string" },
        wait: { type: "string" },
        "request-timeout": { type: "string" },
    } as const);
    const kfp = v.kfp ?? io.env.KFP_API_URL;
    if (kfp === undefined || kfp === "")
        throw new Usage("register: --kfp URL (or KFP_API_URL) is required, e.g. http://ml-pipeline.kubeflow.svc.cluster.local:8888");
    const waitMs = seconds("--wait", v.wait ?? io.env.KFP_WAIT_SECONDS, 300) * 1000;
    const requestTimeoutMs = seconds("--request-timeout", v["request-timeout"], 30) * 1000;
    const settings = settingsFromEnv(io.env, overrides(v));
    const log = (line: string) => io.err(`${line}\n`);
    const client = new KfpClient({ baseUrl: kfp, waitMs, requestTimeoutMs, log });
    const namespace = v.namespace ?? (io.env.KFP_NAMESPACE || undefined);
    const result = await registerPipeline({ settings, client, namespace, log });
    log(result.changes.length === 0 ? "nothing to change: KFP already holds this configuration" : `changed: ${result.changes.join("; ")}`);
    io.out(`${JSON.stringify(result)}\n`);
    return 0;
}

function compile(args: string[], io: PipelineIo): number {
    const v = flags(args, { ...SETTINGS_FLAGS, out: { type: "string" } } as const);
    const ir = buildPipelineIr(settingsFromEnv(io.env, overrides(v)));
    assertValidPipelineIr(ir);
    const yaml = pipelineYaml(ir);
    if (v.out !== undefined) {
        writeFileSync(v.out, yaml);
        io.err(`wrote ${v.out} (version ${versionName(ir)}, sha256 ${irDigest(ir)})\n`);
    } else io.out(yaml);
    return 0;
}

/** `detector pipeline ...`: resolves to the exit code (0 done, 1 failed, 2 bad command line). */
export async function pipelineCommand(argv: string[], io: PipelineIo): Promise<number> {
    const [sub, ...rest] = argv;
    try {
        if (sub === undefined || sub === "help" || rest.includes("--help") || rest.includes("-h")) {
            io.out(`${PIPELINE_USAGE}\n`);
            return sub === undefined ? 2 : 0;
        }
        if (sub === "register") return await register(rest, io);
        if (sub === "compile") return compile(rest, io);
        throw new Usage(`unknown pipeline command '${sub}'; expected register or compile`);
    } catch (err) {
        if (err instanceof Usage) {
            io.err(`detector pipeline: ${err.message}\n\n${PIPELINE_USAGE}\n`);
            return 2;
        }
        io.err(`detector pipeline ${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}
