// Where Kubeflow Pipelines is off, the same training runs as a Kubernetes CronJob: the pipeline's three
// steps, with the same commands and the same environment, as two init containers (train, publish) and one
// container (promote) of one pod, which run in order and stop at the first failure. The model set passes
// from train to publish through an emptyDir instead of a KFP artifact. Pure: the Pulumi side wraps the spec
// in a CronJob resource and adds name, namespace and labels.
import { CREDENTIAL_KEYS, stepEnvironment, TrainingSettings } from "./settings";
import { parameterDefaults } from "./ir";
import { DETECTOR_COMMAND, STEP_USER, StepBinding, stepLabels, TRAINING_STEPS, TrainingStep } from "./steps";

/** Where the model set lives inside the CronJob's pod (an emptyDir). */
export const CRONJOB_MODELS_DIR = "/work/models";
const MODELS_VOLUME = "models";
const TMP_VOLUME = "tmp";

/** The concrete values the steps' args take in the CronJob: the pipeline parameters' defaults. */
export function cronJobBinding(s: TrainingSettings): StepBinding {
    const d = parameterDefaults(s);
    return {
        parameters: {
            prometheus_url: String(d.prometheus_url),
            training_hours: String(d.training_hours),
            training_step_seconds: String(d.training_step_seconds),
        },
        modelsOut: CRONJOB_MODELS_DIR,
        modelsIn: CRONJOB_MODELS_DIR,
    };
}

export interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
}

function container(s: TrainingSettings, step: TrainingStep): Record<string, unknown> {
    const env: EnvVar[] = stepEnvironment(s);
    if (s.credentialsSecret !== undefined && step.usesObjectStore)
        for (const key of [CREDENTIAL_KEYS.accessKey, CREDENTIAL_KEYS.secretKey])
            env.push({ name: key, valueFrom: { secretKeyRef: { name: s.credentialsSecret, key, optional: false } } });
    const mounts = [{ name: TMP_VOLUME, mountPath: "/tmp" }];
    if (step.producesModels || step.consumesModels) mounts.push({ name: MODELS_VOLUME, mountPath: CRONJOB_MODELS_DIR });
    return {
        name: step.name,
        image: s.image,
        imagePullPolicy: "IfNotPresent",
        command: [...DETECTOR_COMMAND],
        args: step.args(cronJobBinding(s)),
        env,
        resources: {
            requests: { cpu: step.resources.cpuRequest, memory: step.resources.memoryRequest },
            limits: { cpu: step.resources.cpuLimit, memory: step.resources.memoryLimit },
        },
        // Run-to-completion containers get no probes (a liveness probe could only kill a long training);
        // the Job's activeDeadlineSeconds bounds them instead.
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: STEP_USER,
            runAsGroup: STEP_USER,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: mounts,
    };
}

/**
 * The `spec` of a batch/v1 CronJob that runs the training on the configured schedule. Mirrors the recurring
 * run: one run at a time (Forbid ~ max_concurrency 1), a missed run is started late only within an hour
 * and never replayed (~ no_catchup), times in UTC (KFP's cronScheduleTimezone default), paused = suspended.
 */
export function cronJobSpec(s: TrainingSettings): Record<string, unknown> {
    const steps = TRAINING_STEPS.map((step) => container(s, step));
    const last = steps.length - 1;
    const deadline = TRAINING_STEPS.reduce((sum, step) => sum + step.deadlineSeconds, 0);
    return {
        schedule: s.schedule.kubernetes,
        timeZone: "Etc/UTC",
        suspend: !s.scheduleEnabled,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
            metadata: { labels: stepLabels(s.pipelineName, "train") },
            spec: {
                // A failed training is retried once; the next day's run starts fresh anyway.
                backoffLimit: 1,
                activeDeadlineSeconds: deadline,
                ttlSecondsAfterFinished: 3 * 86400,
                template: {
                    metadata: { labels: { ...stepLabels(s.pipelineName, "train"), "app.kubernetes.io/component": "training" } },
                    spec: {
                        serviceAccountName: s.serviceAccount,
                        restartPolicy: "Never",
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: STEP_USER,
                            runAsGroup: STEP_USER,
                            fsGroup: STEP_USER,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        initContainers: steps.slice(0, last),
                        containers: steps.slice(last),
                        volumes: [
                            { name: MODELS_VOLUME, emptyDir: { sizeLimit: "256Mi" } },
                            { name: TMP_VOLUME, emptyDir: { sizeLimit: "64Mi" } },
                        ],
                    },
                },
            },
        },
    };
}
