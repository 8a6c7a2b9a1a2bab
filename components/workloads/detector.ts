// The anomaly detector, served by KServe as an InferenceService with a custom OIP (v2) predictor. The
// model comes from the object store: KServe's storage-initializer downloads STORAGE_URI into /mnt/models.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Footprint } from "../platform/footprint";
import { PLATFORM_NAMESPACES, platformNamespace } from "../platform/namespace";
import type { ObjectStore } from "../platform/object-store/types";
import { Profile, Size, footprint, resources, size } from "../platform/sizing";
import { workloadImage } from "./images";
import { handDown } from "../delivery";
import { TRAINING_HINT_ENV } from "@aiops/contract";
import { SERVING_MODEL_PATH } from "./training";
import { restrictedPodSecurity, restrictedContainerSecurity } from "./security";

/** workloads/detector at the pinned release; multi-arch, so the predictor carries no arch pin. */
export const DETECTOR_IMAGE = workloadImage("detector");
export const DETECTOR_NAMESPACE = "aiops-serving";
export const DETECTOR_NAME = "anomaly-detector";
export const DETECTOR_PORT = 8080;
export const DETECTOR_S3_SECRET = "anomaly-detector-s3";
/** NodePort the hybrid edge publishes the predictor on (its tailnet address only, see K3dCluster). */
export const DETECTOR_TAILNET_NODE_PORT = 30080;

export const DETECTOR_SIZES: Record<Profile, { server: Size; minReplicas: number; maxReplicas: number }> = {
    lean: { server: size("50m", "128Mi", "500m", "256Mi"), minReplicas: 1, maxReplicas: 2 },
    standard: { server: size("100m", "256Mi", "1", "512Mi"), minReplicas: 2, maxReplicas: 4 },
};

/** Requests of the always-on predictor replicas. Pure. */
export function detectorFootprint(profile: Profile): Footprint[] {
    const s = DETECTOR_SIZES[profile];
    return [footprint("aiops/anomaly-detector", [s.server], s.minReplicas)];
}

/** Service URL of the predictor in Standard mode (`<isvc>-predictor.<ns>`), what the MCP tool calls. */
export function predictorUrl(name = DETECTOR_NAME, namespace = DETECTOR_NAMESPACE): string {
    return `http://${name}-predictor.${namespace}.svc.cluster.local`;
}

/** KServe's S3 annotations (pkg/credentials/s3), read from the Secret and the ServiceAccount. */
export function kserveS3Annotations(store: Pick<ObjectStore, "endpoint" | "useHttps" | "region" | "inCluster">): Record<string, string> {
    return {
        "serving.kserve.io/s3-endpoint": store.endpoint,
        "serving.kserve.io/s3-usehttps": store.useHttps ? "1" : "0",
        "serving.kserve.io/s3-region": store.region,
        // In-cluster stores answer path-style only (no wildcard DNS for bucket subdomains).
        ...(store.inCluster ? { "serving.kserve.io/s3-usevirtualbucket": "false" } : {}),
    };
}

export interface InferenceServiceArgs {
    /** InferenceService name; KServe names the predictor Service `<name>-predictor`. */
    readonly name: string;
    readonly namespace: string;
    /** ServiceAccount carrying the S3 Secret or the workload-identity annotations. */
    readonly serviceAccountName: string;
    /** s3://<models bucket>/<path> */
    readonly storageUri: pulumi.Input<string>;
    /** Sizing: replicas and requests/limits from DETECTOR_SIZES. */
    readonly profile: Profile;
    /** Predictor image. Default DETECTOR_IMAGE. */
    readonly image?: string;
    /** When the first training runs (MODEL_TRAINING_HINT), appended to "no model trained yet". Default none. */
    readonly trainingHint?: string;
}

/** The InferenceService object. Pure, validated against the KServe v0.20 CRD in tests. */
export function detectorInferenceService(args: InferenceServiceArgs): Record<string, unknown> {
    const sizes = DETECTOR_SIZES[args.profile];
    const probe = (path: string, period: number) => ({ httpGet: { path, port: DETECTOR_PORT }, periodSeconds: period, timeoutSeconds: 3 });
    return {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: {
            name: args.name,
            namespace: args.namespace,
            annotations: {
                // Plain Deployment + Service + HPA: no Knative, no Istio (KServe >= 0.16 name).
                "serving.kserve.io/deploymentMode": "Standard",
                "serving.kserve.io/autoscalerClass": "hpa",
                // No prometheus.kserve.io/port|path: KServe v0.20 reads them only for queue-proxy metric
                // aggregation (pkg/webhook/admission/pod/metrics_aggregate_injector.go), which needs Knative
                // and is off in the chart (metricsaggregator.enableMetricAggregation: 'false'). The PodMonitor
                // below is what scrapes the predictor.
            },
            labels: { "app.kubernetes.io/name": args.name, "app.kubernetes.io/part-of": "aiops-mlops-platform" },
        },
        spec: {
            predictor: {
                serviceAccountName: args.serviceAccountName,
                minReplicas: sizes.minReplicas,
                maxReplicas: sizes.maxReplicas,
                scaleMetric: "cpu",
                scaleTarget: 70,
                securityContext: restrictedPodSecurity(65532, { fsGroup: true }),
                containers: [
                    {
                        // The name is what makes KServe inject the storage-initializer for STORAGE_URI.
                        name: "kserve-container",
                        image: args.image ?? DETECTOR_IMAGE,
                        args: ["serve", "--model-dir", "/mnt/models", "--port", String(DETECTOR_PORT)],
                        // No MODEL_NAME: the serving copy holds all four models (node-cpu.json ... node-network.json),
                        // each served under its own name; an override would make the set a load failure.
                        env: [
                            { name: "STORAGE_URI", value: args.storageUri },
                            // KServe v0.20 takes a custom predictor's protocol from this variable on its first
                            // container (CustomPredictor.GetProtocol in pkg/apis/serving/v1beta1/predictor_custom.go,
                            // constants.CustomSpecProtocolEnvVarKey) and assumes v1 without it; the detector speaks
                            // the Open Inference Protocol (v2), which is what predict paths and InferenceGraphs use.
                            { name: "PROTOCOL", value: "v2" },
                            ...(args.trainingHint !== undefined ? [{ name: TRAINING_HINT_ENV, value: args.trainingHint }] : []),
                        ],
                        ports: [{ name: "http", containerPort: DETECTOR_PORT, protocol: "TCP" }],
                        startupProbe: { ...probe("/v2/health/live", 5), failureThreshold: 24 },
                        livenessProbe: probe("/v2/health/live", 20),
                        readinessProbe: probe("/v2/health/ready", 10),
                        resources: resources(sizes.server),
                        securityContext: restrictedContainerSecurity(),
                    },
                ],
            },
        },
    };
}

/** PodMonitor for the predictor pods: the Prometheus operator scrapes them directly (no KServe annotations needed). */
export function detectorPodMonitor(name: string, namespace: string, labels: Record<string, string>): Record<string, unknown> {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name, namespace, labels },
        spec: {
            selector: { matchLabels: { "serving.kserve.io/inferenceservice": name } },
            podMetricsEndpoints: [{ portNumber: DETECTOR_PORT, path: "/metrics", interval: "30s" }],
        },
    };
}

export interface AnomalyDetectorArgs {
    /** Sizing: replicas and requests/limits from DETECTOR_SIZES. */
    readonly profile: Profile;
    /** Where the model lives; the store grants the predictor's ServiceAccount read access. */
    readonly objectStore: ObjectStore;
    /** Model path inside the models bucket. Default SERVING_MODEL_PATH (`anomaly-detector/current`, the trainer's serving copy). */
    readonly modelPath?: string;
    /** When the first training runs (DetectorTraining.hint), for the "no model trained yet" answers. Default none. */
    readonly trainingHint?: string;
    /** Labels Prometheus' PodMonitor selector wants. Default none. */
    readonly monitorLabels?: Record<string, string>;
    /** Create the PodMonitor: only where the Prometheus operator runs (not on the hybrid edge). Default true. */
    readonly podMonitor?: boolean;
    /** Registry path of this project's images. Default ghcr.io/aiops-mlops. */
    readonly imageRepository?: string;
    /**
     * Also publish the predictor on a NodePort that the serving host maps on this tailnet address, for
     * callers on another cluster (hybrid: the MCP tool on the control cluster). Default: in-cluster only.
     */
    readonly tailnet?: { readonly address: string; readonly nodePort: number };
}

/** A NodePort Service in front of the predictor pods, for callers outside the serving cluster. Pure. */
export function detectorNodePortService(nodePort: number, name = DETECTOR_NAME, namespace = DETECTOR_NAMESPACE): Record<string, unknown> {
    return {
        metadata: { name: `${name}-tailnet`, namespace, labels: { "app.kubernetes.io/part-of": "aiops-mlops-platform" } },
        spec: {
            type: "NodePort",
            // KServe labels every predictor pod of an InferenceService with its name and component.
            selector: { "serving.kserve.io/inferenceservice": name, component: "predictor" },
            ports: [{ name: "http", port: DETECTOR_PORT, targetPort: DETECTOR_PORT, nodePort, protocol: "TCP" }],
        },
    };
}

/** Place it with the serving cluster's provider (hybrid: the edge). */
export class AnomalyDetector extends pulumi.ComponentResource {
    readonly name = DETECTOR_NAME;
    readonly namespace = DETECTOR_NAMESPACE;
    /** Where callers reach the predictor: its in-cluster Service, or the tailnet NodePort when published. */
    readonly url: string;
    readonly storageUri: pulumi.Output<string>;
    /** The Secret with the store's keys the predictor reads with (undefined with workload identity); the edge's ModelRoller reuses it. */
    readonly credentialsSecret: string | undefined;
    readonly inferenceService: k8s.apiextensions.CustomResource;

    constructor(name: string, args: AnomalyDetectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:workloads:AnomalyDetector", name, {}, opts);
        const store = args.objectStore;
        // Callers: the MCP tool, pipeline steps that score (kubeflow) and, on k3s, traefik (kube-system) for
        // KServe's Ingress; on the hybrid edge the MCP tool comes over the tailnet NodePort, from outside the
        // pod network, so the predictor's port is open there (k3d maps it on the tailnet address only).
        const ns = platformNamespace(
            `${name}-ns`,
            DETECTOR_NAMESPACE,
            "restricted",
            { parent: this },
            {
                fromNamespaces: [PLATFORM_NAMESPACES.mcpTool, PLATFORM_NAMESPACES.kubeflow, PLATFORM_NAMESPACES.kubeSystem],
                openPorts: args.tailnet ? [DETECTOR_PORT] : [],
            },
        );
        const annotations = kserveS3Annotations(store);
        const grant = store.grantAccess(
            `${name}-s3`,
            { namespace: DETECTOR_NAMESPACE, secretName: DETECTOR_S3_SECRET, annotations, serviceAccount: DETECTOR_NAME },
            { parent: this, dependsOn: [ns] },
        );
        this.credentialsSecret = grant.secretName;
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: {
                    name: DETECTOR_NAME,
                    namespace: DETECTOR_NAMESPACE,
                    annotations: grant.serviceAccountAnnotations.apply((a) => ({ ...annotations, ...a })),
                },
                secrets: grant.secretName ? [{ name: grant.secretName }] : [],
                automountServiceAccountToken: false,
            },
            { parent: this, dependsOn: [ns] },
        );
        this.storageUri = pulumi.interpolate`s3://${store.buckets.models}/${args.modelPath ?? SERVING_MODEL_PATH}`;
        this.inferenceService = new k8s.apiextensions.CustomResource(
            name,
            detectorInferenceService({
                name: DETECTOR_NAME,
                namespace: DETECTOR_NAMESPACE,
                serviceAccountName: DETECTOR_NAME,
                storageUri: this.storageUri,
                profile: args.profile,
                image: workloadImage("detector", args.imageRepository),
                trainingHint: args.trainingHint,
            }) as k8s.apiextensions.CustomResourceArgs,
            { parent: this, dependsOn: handDown(opts?.dependsOn, [sa, ...(grant.secret ? [grant.secret] : [])]) },
        );
        if (args.podMonitor ?? true)
            new k8s.apiextensions.CustomResource(
                `${name}-podmonitor`,
                detectorPodMonitor(DETECTOR_NAME, DETECTOR_NAMESPACE, args.monitorLabels ?? {}) as k8s.apiextensions.CustomResourceArgs,
                {
                    parent: this,
                    dependsOn: handDown(opts?.dependsOn, [ns]),
                },
            );
        this.url = args.tailnet ? `http://${args.tailnet.address}:${args.tailnet.nodePort}` : predictorUrl();
        if (args.tailnet) {
            new k8s.core.v1.Service(`${name}-tailnet`, detectorNodePortService(args.tailnet.nodePort) as k8s.core.v1.ServiceArgs, {
                parent: this,
                dependsOn: handDown(opts?.dependsOn, [ns]),
            });
        }
        this.registerOutputs({ url: this.url, storageUri: this.storageUri });
    }
}
