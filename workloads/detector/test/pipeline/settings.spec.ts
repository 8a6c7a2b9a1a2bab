import { expect } from "chai";
import { settingsFromEnv, stepEnvironment } from "../../src/pipeline/settings";
import { platformEnv } from "./fixtures";

describe("training settings from env", () => {
    it("reads every setting, with defaults for the optional ones", () => {
        const minimal = {
            DETECTOR_IMAGE: "registry.local:5000/aiops/detector@sha256:" + "a".repeat(64),
            PROMETHEUS_URL: "http://prometheus:9090",
            MLFLOW_TRACKING_URI: "https://mlflow.example",
            MODEL_STORE_URI: "s3://models/anomaly-detector",
            INFERENCE_SERVICE: "models/anomaly-detector",
        };
        expect(settingsFromEnv(minimal)).to.deep.equal({
            image: minimal.DETECTOR_IMAGE,
            prometheusUrl: "http://prometheus:9090",
            mlflowTrackingUri: "https://mlflow.example",
            modelStoreUri: "s3://models/anomaly-detector",
            s3EndpointUrl: undefined,
            s3ForcePathStyle: undefined,
            awsRegion: undefined,
            credentialsSecret: undefined,
            inferenceService: "models/anomaly-detector",
            trainingHours: 168,
            trainingStepSeconds: 10,
            promotionMinFlagRate: undefined,
            promotionMaxFlagRate: undefined,
            schedule: { kfp: "0 0 2 * * *", kubernetes: "0 2 * * *" },
            scheduleEnabled: true,
            serviceAccount: "pipeline-runner",
            pipelineName: "aiops-detector-training",
            experiment: "aiops-detector",
        });
        const full = settingsFromEnv({
            ...platformEnv(),
            TRAINING_HOURS: "168",
            TRAINING_STEP_SECONDS: "30",
            TRAINING_SCHEDULE: "0 0 3 * * *",
            TRAINING_SCHEDULE_PAUSED: "true",
            PIPELINE_SERVICE_ACCOUNT: "aiops-training",
            PIPELINE_NAME: "nightly",
            PIPELINE_EXPERIMENT: "Detector training",
            S3_FORCE_PATH_STYLE: "false",
        });
        expect(full).to.deep.include({
            trainingHours: 168,
            trainingStepSeconds: 30,
            schedule: { kfp: "0 0 3 * * *", kubernetes: "0 3 * * *" },
            scheduleEnabled: false,
            serviceAccount: "aiops-training",
            pipelineName: "nightly",
            experiment: "Detector training",
            s3ForcePathStyle: false,
            promotionMinFlagRate: 0.001,
            promotionMaxFlagRate: 0.05,
            credentialsSecret: "object-store-credentials",
        });
    });

    it("flags win over env", () => {
        const s = settingsFromEnv(platformEnv({ TRAINING_SCHEDULE: "0 1 * * *" }), {
            image: "ghcr.io/acme/aiops-detector:9.9.9",
            schedule: "0 4 * * *",
            serviceAccount: "sa",
            pipelineName: "p",
            experiment: "e",
            paused: true,
        });
        expect(s).to.deep.include({
            image: "ghcr.io/acme/aiops-detector:9.9.9",
            serviceAccount: "sa",
            pipelineName: "p",
            experiment: "e",
            scheduleEnabled: false,
        });
        expect(s.schedule.kubernetes).to.equal("0 4 * * *");
    });

    it("names every bad or missing setting in one error", () => {
        const env = {
            DETECTOR_IMAGE: "ghcr.io/acme/aiops-detector",
            PROMETHEUS_URL: "prometheus:9090",
            MLFLOW_TRACKING_URI: "",
            MODEL_STORE_URI: "gs://models",
            S3_ENDPOINT_URL: "object-store:9000",
            S3_FORCE_PATH_STYLE: "yes",
            INFERENCE_SERVICE: "anomaly-detector",
            TRAINING_HOURS: "1.5",
            TRAINING_STEP_SECONDS: "0",
            PROMOTION_MIN_FLAG_RATE: "0.2",
            PROMOTION_MAX_FLAG_RATE: "0.1",
            TRAINING_SCHEDULE: "0 2 * *",
            TRAINING_SCHEDULE_PAUSED: "1",
            PIPELINE_SERVICE_ACCOUNT: "Pipeline Runner",
            PIPELINE_NAME: "AIOps_Training",
            PIPELINE_EXPERIMENT: "a+b",
            OBJECT_STORE_SECRET: "Keys!",
        };
        let message = "";
        try {
            settingsFromEnv(env);
        } catch (err) {
            message = (err as Error).message;
        }
        const expected = [
            "invalid training settings:",
            "DETECTOR_IMAGE must be pinned by tag or digest (repo/name:1.2.3 or repo/name@sha256:...); got 'ghcr.io/acme/aiops-detector'",
            "PROMETHEUS_URL must be a http:// or https:// URL; got 'prometheus:9090'",
            "MLFLOW_TRACKING_URI is required: MLflow tracking server, e.g. http://mlflow.mlflow:5000",
            "MODEL_STORE_URI must be a s3:// URL; got 'gs://models'",
            "S3_ENDPOINT_URL must be a http:// or https:// URL; got 'object-store:9000'",
            "INFERENCE_SERVICE must be <namespace>/<name> (e.g. models/anomaly-detector); got 'anomaly-detector'",
            "PROMOTION_MIN_FLAG_RATE (0.2) must not exceed PROMOTION_MAX_FLAG_RATE (0.1)",
            "TRAINING_SCHEDULE: schedule '0 2 * *': expected 5 fields",
            "TRAINING_SCHEDULE_PAUSED must be true or false; got '1'",
            "PIPELINE_SERVICE_ACCOUNT must be a Kubernetes service account name; got 'Pipeline Runner'",
            "PIPELINE_NAME must be lowercase letters, digits and '-', starting with a letter or digit (KFP's rule); got 'AIOps_Training'",
            "PIPELINE_EXPERIMENT must be letters, digits, space, '.', '_' or '-' (at most 100); got 'a+b'",
            "OBJECT_STORE_SECRET must be a Secret name; got 'Keys!'",
            "S3_FORCE_PATH_STYLE must be true or false; got 'yes'",
            "TRAINING_HOURS must be a positive whole number; got '1.5'",
            "TRAINING_STEP_SECONDS must be a positive whole number; got '0'",
        ];
        for (const line of expected) expect(message).to.include(line);
        expect(message.split("\n  - ")).to.have.length(expected.length);
    });

    it("refuses a moving image tag and out-of-range flag rates", () => {
        expect(() => settingsFromEnv(platformEnv({ DETECTOR_IMAGE: "ghcr.io/acme/aiops-detector:latest" }))).to.throw(
            "must not use the moving tag 'latest'",
        );
        expect(() => settingsFromEnv(platformEnv({ PROMOTION_MAX_FLAG_RATE: "1.5" }))).to.throw(
            "PROMOTION_MAX_FLAG_RATE must be a share between 0 and 1 (e.g. 0.05); got '1.5'",
        );
        expect(() => settingsFromEnv(platformEnv({ PROMOTION_MIN_FLAG_RATE: "-0.1" }))).to.throw("PROMOTION_MIN_FLAG_RATE must be a share");
        expect(() => settingsFromEnv(platformEnv({ INFERENCE_SERVICE: "models/anomaly/detector" }))).to.throw(
            "INFERENCE_SERVICE must be <namespace>/<name>",
        );
        expect(() => settingsFromEnv(platformEnv({ DETECTOR_IMAGE: "localhost:5000/detector" }))).to.throw("DETECTOR_IMAGE must be pinned");
        expect(settingsFromEnv(platformEnv({ DETECTOR_IMAGE: "localhost:5000/detector:1.0" })).image).to.equal(
            "localhost:5000/detector:1.0",
        );
        expect(settingsFromEnv(platformEnv({ PROMETHEUS_URL: "  http://p:9090  " })).prometheusUrl).to.equal("http://p:9090");
    });

    it("the steps' env holds the optional settings only when set, in a fixed order", () => {
        expect(stepEnvironment(settingsFromEnv(platformEnv({ S3_FORCE_PATH_STYLE: "false", PROMOTION_MIN_FLAG_RATE: "0" })))).to.deep.equal(
            [
                { name: "PROMETHEUS_URL", value: "http://kps-prometheus.monitoring.svc.cluster.local:9090" },
                { name: "MLFLOW_TRACKING_URI", value: "http://mlflow.mlflow.svc.cluster.local:5000" },
                { name: "MODEL_STORE_URI", value: "s3://models/anomaly-detector" },
                { name: "S3_ENDPOINT_URL", value: "http://object-store.object-store.svc.cluster.local:9000" },
                { name: "S3_FORCE_PATH_STYLE", value: "false" },
                { name: "AWS_REGION", value: "us-east-1" },
                { name: "INFERENCE_SERVICE", value: "models/anomaly-detector" },
                { name: "TRAINING_HOURS", value: "168" },
                { name: "TRAINING_STEP_SECONDS", value: "10" },
                { name: "PROMOTION_MIN_FLAG_RATE", value: "0" },
                { name: "PROMOTION_MAX_FLAG_RATE", value: "0.05" },
            ],
        );
    });
});

describe("training settings: the object-store Secret's name as a flag", () => {
    it("--object-store-secret wins over OBJECT_STORE_SECRET and is checked the same way", () => {
        expect(
            settingsFromEnv(platformEnv({ OBJECT_STORE_SECRET: "from-env" }), { credentialsSecret: "from-flag" }).credentialsSecret,
        ).to.equal("from-flag");
        expect(settingsFromEnv(platformEnv({ OBJECT_STORE_SECRET: undefined }), { credentialsSecret: "k" }).credentialsSecret).to.equal(
            "k",
        );
        expect(() => settingsFromEnv(platformEnv(), { credentialsSecret: "Not_A_Name" })).to.throw(
            /OBJECT_STORE_SECRET must be a Secret name; got 'Not_A_Name'/,
        );
    });
});
