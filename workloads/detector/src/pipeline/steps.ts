// The training loop's steps, once: the KFP pipeline IR (ir.ts) and the CronJob fallback (cronjob.ts) are
// both rendered from this table, so the same commands run with the same environment wherever KFP is off.
//
// Why three steps and not one `detector run`: an operator looking at a run in the KFP UI sees at a glance
// whether training failed (too little Prometheus history), publishing failed (object store or MLflow down)
// or promotion refused the candidate, and KFP's "Retry" re-runs only the failed step. The trained files
// cross from `train` to `publish` as one small KFP artifact (the only channel between two pods short of a
// shared volume); `publish` then writes the versioned copy to the model store and MLflow, and `promote`
// works from there, so nothing else moves through KFP's artifact store. In the CronJob the same three
// commands run as two init containers and one container of one pod, sharing an emptyDir.

import { TRAINER_COMMANDS } from "@aiops/contract";

/** The detector image's entrypoint for every step (a link to dist/cli.js on PATH, see the Dockerfile). */
export const DETECTOR_COMMAND: readonly string[] = ["detector"];

/** Pipeline parameters (root inputs) a step may read through its args. */
export type StepParameter = "prometheus_url" | "training_hours" | "training_step_seconds";

/** What a step's args refer to: KFP placeholders in the IR, concrete values in the CronJob. */
export interface StepBinding {
    readonly parameters: Readonly<Record<StepParameter, string>>;
    /** Directory the training step writes the model set into. */
    readonly modelsOut: string;
    /** Directory the publish step reads the model set from. */
    readonly modelsIn: string;
}

/** Requests and limits, Kubernetes quantities. */
export interface StepResources {
    readonly cpuRequest: string;
    readonly memoryRequest: string;
    readonly cpuLimit: string;
    readonly memoryLimit: string;
}

export interface TrainingStep {
    /** Task and container name; the component is `comp-<name>`, the executor `exec-<name>`. */
    readonly name: "train" | "publish" | "promote";
    /** Shown in the KFP UI's task details and the docs. */
    readonly description: string;
    /** Root parameters the args use. */
    readonly parameters: readonly StepParameter[];
    /** Writes the model set (KFP output artifact `models`). */
    readonly producesModels: boolean;
    /** Reads the model set (KFP input artifact `models`). */
    readonly consumesModels: boolean;
    /** Reads or writes the model store, so it gets the object-store keys (least privilege otherwise). */
    readonly usesObjectStore: boolean;
    readonly args: (b: StepBinding) => string[];
    readonly resources: StepResources;
    /** Pod activeDeadlineSeconds: a hung step fails instead of blocking the next day's run. */
    readonly deadlineSeconds: number;
}

/** The artifact that carries the model set between `train` and `publish`. */
export const MODELS_ARTIFACT = { name: "models", schemaTitle: "system.Model", schemaVersion: "0.0.1" } as const;

export const TRAINING_STEPS: readonly TrainingStep[] = [
    {
        name: "train",
        description: "Trains one model per node metric on every node-exporter instance's history (detector train-all).",
        parameters: ["prometheus_url", "training_hours", "training_step_seconds"],
        producesModels: true,
        consumesModels: false,
        usesObjectStore: false,
        args: (b) => [
            TRAINER_COMMANDS.trainAll,
            "--prometheus",
            b.parameters.prometheus_url,
            "--hours",
            b.parameters.training_hours,
            "--step",
            b.parameters.training_step_seconds,
            "--out-dir",
            b.modelsOut,
        ],
        // Four forests of 100 trees over a week at 10 s per instance (the trainer measured ~424 MB peak with a
        // 320 MB old space for 10 instances): 1 GiB leaves room.
        resources: { cpuRequest: "100m", memoryRequest: "256Mi", cpuLimit: "1", memoryLimit: "1Gi" },
        deadlineSeconds: 1800,
    },
    {
        name: "publish",
        description: "Uploads the model set under a versioned key and records the run and model versions in MLflow (detector publish).",
        parameters: [],
        producesModels: false,
        consumesModels: true,
        usesObjectStore: true,
        args: (b) => [TRAINER_COMMANDS.publish, "--dir", b.modelsIn],
        resources: { cpuRequest: "50m", memoryRequest: "128Mi", cpuLimit: "500m", memoryLimit: "512Mi" },
        deadlineSeconds: 600,
    },
    {
        name: "promote",
        description:
            "Promotes the candidate when its held-back flag rate is within bounds and no worse than the champion's (detector promote).",
        parameters: [],
        producesModels: false,
        // `promote --dir` reads the candidate's version from the set's manifest (the trainer needs --dir or --version).
        consumesModels: true,
        usesObjectStore: true,
        args: (b) => [TRAINER_COMMANDS.promote, "--dir", b.modelsIn],
        resources: { cpuRequest: "50m", memoryRequest: "128Mi", cpuLimit: "500m", memoryLimit: "512Mi" },
        deadlineSeconds: 900,
    },
];

/** uid/gid of the detector image's user (Dockerfile `USER 65532:65532`). */
export const STEP_USER = 65532;

/** Labels on every step pod, so NetworkPolicies and `kubectl get pods -l` can select them. */
export function stepLabels(pipelineName: string, step: TrainingStep["name"]): Record<string, string> {
    return {
        "app.kubernetes.io/name": pipelineName,
        "app.kubernetes.io/component": step,
        "app.kubernetes.io/part-of": "aiops",
    };
}
