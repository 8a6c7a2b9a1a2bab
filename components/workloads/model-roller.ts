// The edge's model roller (hybrid): the detector's InferenceService runs on the k3d edge while the trainer
// runs on the control cluster, whose pods cannot reach the edge's API server, so a promotion there only
// writes the serving copy. This CronJob runs next to the InferenceService every few minutes, reads the
// champion's version from the serving copy's manifest (`<store>/current/manifest.json`) with the
// predictor's own store credentials and, when it differs from the predictor's version annotation, sets it
// with the trainer's roll (`detector roll`: workloads/detector/src/training/roll.ts -> kube.ts). Its
// ServiceAccount may get and patch exactly that one InferenceService and nothing else.
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { TRAINER_COMMANDS, TRAINER_ENV } from "@aiops/contract";
import { CREDENTIAL_KEYS } from "../../workloads/detector/src/pipeline/settings";
import { PART_OF_LABEL } from "../platform/namespace";
import type { ObjectStore } from "../platform/object-store/types";
import { resources, size } from "../platform/sizing";
import { workloadImage } from "./images";
import { handDown } from "../delivery";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";
import { inferenceServiceRbac } from "./training";

export const MODEL_ROLLER_NAME = "anomaly-detector-roller";
/** Every 5 minutes: a promotion on the control cluster reaches the edge predictor within ~5 min plus its rollout. */
export const MODEL_ROLLER_SCHEDULE = "*/5 * * * *";
/** One store GET and one or two API calls in Node: small, with room for the S3 SDK. */
export const MODEL_ROLLER_SIZE = size("20m", "96Mi", "200m", "192Mi");
export const MODEL_ROLLER_NODE_OPTIONS = "--max-old-space-size=96";

export interface ModelRollerArgs {
    /** The InferenceService to roll (the detector's); the roller runs in its namespace. */
    readonly inferenceService: { readonly namespace: string; readonly name: string };
    /** The model store prefix the trainer writes (DetectorTraining.modelStoreUri, `s3://<models>/anomaly-detector`). */
    readonly modelStoreUri: pulumi.Input<string>;
    /** Endpoint, region and addressing of the store the predictor reads. */
    readonly store: Pick<ObjectStore, "kind" | "endpointUrl" | "region" | "inCluster">;
    /**
     * The Secret with the store's keys the predictor already uses (AnomalyDetector.credentialsSecret), in the
     * InferenceService's namespace: read access is all the roller needs. Required: workload identity (IRSA)
     * is tied to the predictor's ServiceAccount, and no stack with IRSA serves on a second cluster.
     */
    readonly credentialsSecret: string | undefined;
    /** Cron, 5 fields, UTC. Default MODEL_ROLLER_SCHEDULE. */
    readonly schedule?: string;
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
}

/** Every problem with the arguments, each naming the argument and the fix. Pure. */
export function validateModelRollerArgs(args: Pick<ModelRollerArgs, "credentialsSecret" | "schedule">): string[] {
    const problems: string[] = [];
    if (args.credentialsSecret === undefined)
        problems.push(
            "credentialsSecret is required: pass AnomalyDetector.credentialsSecret (a key-based store: GCS HMAC, MinIO, SeaweedFS); a store with workload identity (s3/IRSA) needs the roller's ServiceAccount in the role's trust",
        );
    if (args.schedule !== undefined && args.schedule.trim().split(/\s+/).length !== 5)
        problems.push(`schedule must be a 5-field cron expression such as '*/5 * * * *'; got '${args.schedule}'`);
    return problems;
}

function labels(component: string): Record<string, string> {
    return { "app.kubernetes.io/name": MODEL_ROLLER_NAME, "app.kubernetes.io/component": component, ...PART_OF_LABEL };
}

/** The roller's environment (TRAINER_ENV names, as `detector roll` reads them). Pure. */
export function modelRollerEnv(
    a: Pick<ModelRollerArgs, "inferenceService" | "modelStoreUri" | "store" | "credentialsSecret">,
): k8sInput.core.v1.EnvVar[] {
    const env: k8sInput.core.v1.EnvVar[] = [
        { name: TRAINER_ENV.modelStoreUri, value: a.modelStoreUri },
        { name: TRAINER_ENV.inferenceService, value: `${a.inferenceService.namespace}/${a.inferenceService.name}` },
    ];
    // Same store settings as the trainer (training.ts trainerEnv): GCS interop, MinIO and SeaweedFS need the endpoint.
    if (a.store.kind !== "s3") env.push({ name: TRAINER_ENV.s3EndpointUrl, value: a.store.endpointUrl });
    if (a.store.inCluster) env.push({ name: TRAINER_ENV.s3ForcePathStyle, value: "true" });
    env.push({ name: TRAINER_ENV.awsRegion, value: a.store.region });
    if (a.credentialsSecret !== undefined)
        for (const key of [CREDENTIAL_KEYS.accessKey, CREDENTIAL_KEYS.secretKey])
            env.push({ name: key, valueFrom: { secretKeyRef: { name: a.credentialsSecret, key } } });
    env.push({ name: "NODE_OPTIONS", value: MODEL_ROLLER_NODE_OPTIONS });
    return env;
}

/** The CronJob spec: one `detector roll` at a time, short-lived, never piling up. Pure. */
export function modelRollerCronJobSpec(a: {
    image: string;
    schedule: string;
    env: k8sInput.core.v1.EnvVar[];
}): k8sInput.batch.v1.CronJobSpec {
    return {
        schedule: a.schedule,
        // A slow run (store or API server down) must not overlap the next one.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 120,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
            spec: {
                backoffLimit: 1,
                activeDeadlineSeconds: 240,
                ttlSecondsAfterFinished: 3600,
                template: {
                    metadata: { labels: labels("model-roller") },
                    spec: {
                        serviceAccountName: MODEL_ROLLER_NAME,
                        // `detector roll` GETs and PATCHes the InferenceService with the pod's own token.
                        automountServiceAccountToken: true,
                        restartPolicy: "Never",
                        securityContext: restrictedPodSecurity(65532, { fsGroup: true }),
                        containers: [
                            {
                                name: "roller",
                                image: a.image,
                                // The image's ENTRYPOINT ends in `serve`: the command replaces it.
                                command: ["node", "dist/cli.js", TRAINER_COMMANDS.roll],
                                env: a.env,
                                resources: resources(MODEL_ROLLER_SIZE),
                                securityContext: restrictedContainerSecurity(),
                            },
                        ],
                    },
                },
            },
        },
    };
}

/** Role and binding: get and patch on exactly the one InferenceService, for the roller's account. Pure. */
export function modelRollerRbac(inferenceService: { namespace: string; name: string }): {
    role: k8sInput.rbac.v1.Role;
    binding: k8sInput.rbac.v1.RoleBinding;
} {
    // roll.ts: one GET (the current annotation) and, when it differs, one JSON merge patch.
    return inferenceServiceRbac({
        name: MODEL_ROLLER_NAME,
        labels: labels("model-roller"),
        inferenceService,
        verbs: ["get", "patch"],
        subjects: [{ name: MODEL_ROLLER_NAME, namespace: inferenceService.namespace }],
    });
}

/** Place it with the serving cluster's provider (hybrid: the edge), after the AnomalyDetector. */
export class ModelRoller extends pulumi.ComponentResource {
    readonly schedule: string;

    constructor(name: string, args: ModelRollerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:ModelRoller", name, {}, opts);
        const problems = validateModelRollerArgs(args);
        if (problems.length > 0) throw new Error(`ModelRoller '${name}':\n  - ${problems.join("\n  - ")}`);
        this.schedule = args.schedule ?? MODEL_ROLLER_SCHEDULE;
        const namespace = args.inferenceService.namespace;
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: MODEL_ROLLER_NAME, namespace, labels: labels("model-roller") },
                // Only the roller's pod mounts the token (set on the pod).
                automountServiceAccountToken: false,
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, []) },
        );
        const rbac = modelRollerRbac(args.inferenceService);
        const role = new k8s.rbac.v1.Role(`${name}-role`, rbac.role, { parent: this, dependsOn: handDown(opts?.dependsOn, []) });
        const binding = new k8s.rbac.v1.RoleBinding(`${name}-binding`, rbac.binding, { parent: this, dependsOn: [role, sa] });
        new k8s.batch.v1.CronJob(
            `${name}-cronjob`,
            {
                metadata: { name: MODEL_ROLLER_NAME, namespace, labels: labels("model-roller") },
                spec: modelRollerCronJobSpec({
                    image: workloadImage("detector", args.imageRepository),
                    schedule: this.schedule,
                    env: modelRollerEnv(args),
                }),
            },
            { parent: this, dependsOn: handDown(opts?.dependsOn, [sa, binding]) },
        );
        this.registerOutputs({ schedule: this.schedule });
    }
}
