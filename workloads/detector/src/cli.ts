#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { loadModelFile, scoreSeries, trainModel, TrainOptions } from "./model";
import { fetchSeries } from "./prometheus";
import { readCsvSeries, Point } from "./series";
import { exitAfterStdout } from "./exit";
import type { ParseArgsConfig } from "node:util";
import { Io, numberFlag, parseFlags, parseTime, positiveInt, trainingOptions, UsageError } from "./flags";
import { buildServer } from "./server";
import { TRAINING_HINT_ENV } from "@aiops/contract";

export { numberFlag, parseFlags, parseTime, trainingOptions, UsageError };
export type { Io };

export const USAGE = `usage:
  detector train --csv FILE --name NAME --out MODEL.json [training options]
  detector train --prometheus URL --query PROMQL --hours H --name NAME --out MODEL.json [--step S] [--end T] [training options]
  detector score --model MODEL.json --csv FILE          (prints CSV timestamp,value,score,label)
  detector serve [--model-dir DIR] [--port N] [--host ADDR] [--model-name NAME] [--drift-window N]
  detector pipeline register|compile ...                (KFP training pipeline; detector pipeline --help)
  detector train-all | publish | promote | rollback | bootstrap | run | roll ...   (the trainer: detector help trainer)

Prometheus options: --step S is the resolution in seconds (default 10; long ranges are read in several
  query_range calls, each under Prometheus's 11,000-point limit); --end T is unix seconds or ISO 8601 (default now).

training options:
  --features seed|default   feature set (default: default)
  --contamination X|auto    share of training points flagged, 0 < X <= 0.5 (default: the model's default)
  --trees N                 number of trees (default 100)
  --max-samples N           subsample per tree (default 256)
  --seed S                  random seed (default 42)

serve reads MODEL_DIR (default /mnt/models), PORT (default 8080), HOST (default 0.0.0.0), MODEL_NAME,
MODEL_TRAINING_HINT (appended to "no model trained yet") and LOG_LEVEL (default info) from the environment;
flags win. SIGHUP reloads the models, SIGTERM stops.`;

/** The trainer's commands, loaded on demand so `serve` never loads the S3 SDK. */
const TRAINER_COMMANDS = new Set(["train-all", "publish", "promote", "rollback", "bootstrap", "run", "roll"]);

const processIo: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
};

const TRAIN_FLAGS = {
    csv: { type: "string" },
    prometheus: { type: "string" },
    query: { type: "string" },
    hours: { type: "string" },
    step: { type: "string" },
    end: { type: "string" },
    name: { type: "string" },
    out: { type: "string" },
    features: { type: "string" },
    contamination: { type: "string" },
    trees: { type: "string" },
    "max-samples": { type: "string" },
    seed: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const SCORE_FLAGS = { model: { type: "string" }, csv: { type: "string" } } as const satisfies ParseArgsConfig["options"];

const SERVE_FLAGS = {
    "model-dir": { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "model-name": { type: "string" },
    "drift-window": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/**
 * Runs one command. Resolves to the exit code for train/score; for serve it resolves once the server
 * listens and the process keeps running until SIGTERM/SIGINT.
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
    const [command, ...rest] = argv;
    // Loaded on demand: the pipeline compiler pulls in the yaml library (~8 MiB of RSS) that serve never uses.
    if (command === "pipeline") return (await import("./pipeline/cli")).pipelineCommand(rest, io);
    const trainer = TRAINER_COMMANDS.has(command) || (command === "help" && rest[0] === "trainer");
    const usage = trainer ? (await import("./training/commands")).TRAINER_USAGE : USAGE;
    if (rest.includes("--help") || rest.includes("-h") || (command === "help" && trainer)) {
        io.out(`${usage}\n`);
        return 0;
    }
    try {
        if (trainer) return await (await import("./training/commands")).runTrainerCommand(command, rest, io);
        switch (command) {
            case "train":
                return await train(rest, io);
            case "score":
                return score(rest, io);
            case "serve":
                return await serve(rest, io);
            case "help":
            case "--help":
            case "-h":
                io.out(`${USAGE}\n`);
                return 0;
            case undefined:
                throw new UsageError("missing command: train, score or serve");
            default:
                throw new UsageError(`unknown command '${command}'; expected train, score or serve`);
        }
    } catch (err) {
        if (err instanceof UsageError) {
            io.err(`detector: ${err.message}\n\n${usage}\n`);
            return 2;
        }
        io.err(`detector ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}

function required(command: string, values: Record<string, unknown>, flag: string): string {
    const v = values[flag];
    if (typeof v !== "string" || v === "") throw new UsageError(`${command}: --${flag} is required`);
    return v;
}

export function parseTrainFlags(args: string[]): {
    source: { csv: string } | { prometheus: string; query: string; hours: number; step?: number; end?: number };
    out: string;
    options: TrainOptions;
} {
    const v = parseFlags("train", args, TRAIN_FLAGS);
    const name = required("train", v, "name");
    const out = required("train", v, "out");
    if ((v.csv === undefined) === (v.prometheus === undefined)) {
        throw new UsageError("train: give exactly one of --csv FILE or --prometheus URL");
    }
    if (v.csv !== undefined) {
        for (const flag of ["query", "hours", "step", "end"] as const) {
            if (v[flag] !== undefined) throw new UsageError(`train: --${flag} only applies with --prometheus`);
        }
    }
    const options: TrainOptions = { name, ...trainingOptions("train", v) };
    if (v.prometheus !== undefined) {
        const query = required("train", v, "query");
        const hours = numberFlag("train", "hours", required("train", v, "hours"), (n) => n > 0, "a positive number of hours") as number;
        const step = numberFlag("train", "step", v.step, (n) => n > 0, "a positive number of seconds");
        const end = v.end === undefined ? undefined : parseTime(v.end);
        return {
            source: {
                prometheus: v.prometheus,
                query,
                hours,
                ...(step === undefined ? {} : { step }),
                ...(end === undefined ? {} : { end }),
            },
            out,
            options,
        };
    }
    return { source: { csv: v.csv as string }, out, options };
}

async function train(args: string[], io: Io): Promise<number> {
    const { source, out, options } = parseTrainFlags(args);
    let points: Point[];
    if ("csv" in source) {
        points = readCsvSeries(readText(source.csv, "--csv"));
    } else {
        points = await fetchSeries({
            url: source.prometheus,
            query: source.query,
            hours: source.hours,
            step: source.step,
            end: source.end,
        });
        io.err(`fetched ${points.length} points from Prometheus at ${source.prometheus}\n`);
    }
    const started = Date.now();
    const model = trainModel(points, options);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(model)}\n`);
    io.err(
        `trained model '${model.name}' on ${points.length} points (features ${model.featureSet}, ${model.params.trees} trees) in ${Date.now() - started} ms; wrote ${out}\n`,
    );
    return 0;
}

function score(args: string[], io: Io): number {
    const v = parseFlags("score", args, SCORE_FLAGS);
    const modelPath = required("score", v, "model");
    const csv = required("score", v, "csv");
    const model = loadModelFile(modelPath);
    const points = readCsvSeries(readText(csv, "--csv"));
    const lines = ["timestamp,value,score,label"];
    for (const p of scoreSeries(model, points)) lines.push(`${formatTimestamp(p.timestamp)},${p.value},${p.score},${p.label}`);
    io.out(`${lines.join("\n")}\n`);
    return 0;
}

/** NAB's "YYYY-MM-DD HH:MM:SS" (UTC), so the output lines up with the input CSV and NAB's labels. */
export function formatTimestamp(t: number): string {
    const iso = new Date(t * 1000).toISOString();
    const fraction = iso.slice(19, 23) === ".000" ? "" : iso.slice(19, 23);
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}`;
}

function readText(path: string, flag: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch (err) {
        throw new Error(`cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
}

async function serve(args: string[], io: Io): Promise<number> {
    const v = parseFlags("serve", args, SERVE_FLAGS);
    const portText = v.port ?? io.env.PORT ?? "8080";
    const port = numberFlag(
        "serve",
        "port",
        portText,
        (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
        "a port number 0-65535",
    ) as number;
    const driftWindow = numberFlag("serve", "drift-window", v["drift-window"], positiveInt, "a positive integer");
    const server = buildServer({
        modelDir: v["model-dir"] ?? io.env.MODEL_DIR ?? "/mnt/models",
        modelName: v["model-name"] ?? (io.env.MODEL_NAME || undefined),
        trainingHint: io.env[TRAINING_HINT_ENV],
        driftWindow,
        logger: { level: io.env.LOG_LEVEL ?? "info" },
    });
    const { app } = server;
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, "shutting down");
        app.close().then(
            () => exitAfterStdout(0),
            (err: unknown) => {
                app.log.error({ err }, "shutdown failed");
                exitAfterStdout(1);
            },
        );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
        app.log.info("SIGHUP: reloading models");
        server.reload();
    });
    await app.listen({ port, host: v.host ?? io.env.HOST ?? "0.0.0.0" });
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            // serve keeps the event loop alive; train and score end here.
            if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
        },
        (err: unknown) => {
            process.stderr.write(`detector: ${String(err)}\n`);
            process.exitCode = 1;
        },
    );
}
