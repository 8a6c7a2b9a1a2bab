/** Settings of the training pipeline as the platform's in-cluster defaults would set them. */
import { settingsFromEnv, TrainingSettings } from "../../src/pipeline/settings";

export function platformEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
        DETECTOR_IMAGE: "ghcr.io/acme/aiops-detector:0.1.0",
        PROMETHEUS_URL: "http://kps-prometheus.monitoring.svc.cluster.local:9090",
        MLFLOW_TRACKING_URI: "http://mlflow.mlflow.svc.cluster.local:5000",
        MODEL_STORE_URI: "s3://models/anomaly-detector",
        S3_ENDPOINT_URL: "http://object-store.object-store.svc.cluster.local:9000",
        S3_FORCE_PATH_STYLE: "true",
        AWS_REGION: "us-east-1",
        INFERENCE_SERVICE: "models/anomaly-detector",
        OBJECT_STORE_SECRET: "object-store-credentials",
        PROMOTION_MIN_FLAG_RATE: "0.001",
        PROMOTION_MAX_FLAG_RATE: "0.05",
        ...extra,
    };
}

export function platformSettings(extra: Record<string, string | undefined> = {}): TrainingSettings {
    return settingsFromEnv(platformEnv(extra));
}
