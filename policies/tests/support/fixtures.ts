// Compliant fixtures: each test starts from one of these and changes one thing.
import { WORKLOAD_TYPES, WorkloadKind } from "../../lib/k8s";

export type Props = Record<string, unknown>;

// Mutations reach deep into JSON fixtures; one loose alias keeps them readable (`p.spec.template...`).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** A deep copy of `props` with `change` applied: the "fixture plus one change" of every test. */
export function mutate<T extends object>(props: T, change: (copy: Loose) => void): T {
    const copy = structuredClone(props);
    change(copy);
    return copy;
}

export function compliantContainer(name = "app"): Props {
    return {
        name,
        image: "ghcr.io/aiops/detector:0.1.0",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
        livenessProbe: { httpGet: { path: "/health", port: 8080 } },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
        env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "detector", key: "token" } } },
        ],
    };
}

export function compliantPodSpec(): Props {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 },
        initContainers: [compliantContainer("migrate")],
        containers: [compliantContainer("app")],
        volumes: [{ name: "tmp", emptyDir: {} }],
    };
}

const labels = { "app.kubernetes.io/name": "detector", "app.kubernetes.io/part-of": "aiops" };

/** A compliant object of the kind, as @pulumi/kubernetes records its inputs. */
export function workloadProps(kind: WorkloadKind, podSpec: Props = compliantPodSpec()): Props {
    // A fresh copy, so no two fixtures share the labels object.
    return structuredClone(buildWorkload(kind, podSpec));
}

function buildWorkload(kind: WorkloadKind, podSpec: Props): Props {
    const apiVersion = WORKLOAD_TYPES[kind].split(":")[1];
    const metadata = { name: "detector", namespace: "aiops", labels };
    const template = { metadata: { labels }, spec: podSpec };
    switch (kind) {
        case "Pod":
            return { apiVersion, kind, metadata, spec: podSpec };
        case "Job":
            return { apiVersion, kind, metadata, spec: { template: { ...template, spec: { ...podSpec, restartPolicy: "Never" } } } };
        case "CronJob":
            return {
                apiVersion,
                kind,
                metadata,
                spec: {
                    schedule: "*/5 * * * *",
                    jobTemplate: { spec: { template: { ...template, spec: { ...podSpec, restartPolicy: "OnFailure" } } } },
                },
            };
        default:
            return { apiVersion, kind, metadata, spec: { selector: { matchLabels: labels }, template } };
    }
}

export const ALL_KINDS = Object.keys(WORKLOAD_TYPES) as WorkloadKind[];

/** Where the pod spec sits in each kind, for mutations that reach into it. */
export function podSpecOf(kind: WorkloadKind, props: Loose): Loose {
    const p = props;
    switch (kind) {
        case "Pod":
            return p.spec;
        case "CronJob":
            return p.spec.jobTemplate.spec.template.spec;
        default:
            return p.spec.template.spec;
    }
}

export function compliantService(): Props {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "detector", namespace: "aiops" },
        spec: { type: "ClusterIP", ports: [{ port: 80 }] },
    };
}

export function compliantHelmRelease(): Props {
    return {
        chart: "kube-prometheus-stack",
        version: "79.5.0",
        namespace: "monitoring",
        repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
    };
}

export function compliantApplication(): Props {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: "detector", namespace: "argocd" },
        spec: {
            project: "default",
            source: { repoURL: "https://github.com/aiops/platform.git", path: "deploy", targetRevision: "v1.4.2" },
            destination: { server: "https://kubernetes.default.svc", namespace: "aiops" },
            syncPolicy: { automated: { selfHeal: true, prune: true } },
        },
    };
}

export function compliantEksComponent(): Props {
    return {
        endpointPublicAccess: false,
        endpointPrivateAccess: true,
        encryptionConfigKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abcd",
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
        skipDefaultNodeGroup: true,
        privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
        publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
        vpcId: "vpc-1",
    };
}

export function compliantAwsEksCluster(): Props {
    return {
        roleArn: "arn:aws:iam::123456789012:role/eks",
        vpcConfig: {
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
            publicAccessCidrs: ["203.0.113.0/24"],
            subnetIds: ["subnet-priv-a"],
        },
        encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/abcd" } },
        enabledClusterLogTypes: ["api", "audit", "authenticator", "scheduler"],
    };
}

export function compliantGcpInstance(): Props {
    return {
        machineType: "e2-standard-4",
        zone: "europe-west1-b",
        bootDisk: { initializeParams: { image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64" } },
        networkInterfaces: [{ network: "default" }],
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        serviceAccount: { email: "k3d-node@aiops-hybrid.iam.gserviceaccount.com", scopes: ["cloud-platform"] },
    };
}

export function compliantFirewall(): Props {
    return {
        network: "default",
        direction: "INGRESS",
        sourceRanges: ["35.235.240.0/20"],
        allows: [
            { protocol: "tcp", ports: ["22", "6443"] },
            { protocol: "tcp", ports: ["443"] },
        ],
    };
}

const GiB = 2 ** 30;

export function compliantCapacityPlan(): Props {
    return {
        cluster: "homelab",
        nodes: [
            { name: "pi-1", arch: "arm64", cpu: 4, memory: 8 * GiB },
            { name: "nuc-1", arch: "amd64", cpu: 8, memory: 32 * GiB },
        ],
        requests: [
            { service: "prometheus", cpu: 1, memory: 4 * GiB },
            { service: "kubeflow-pipelines", cpu: 2, memory: 6 * GiB },
            { service: "detector", cpu: 0.5, memory: 1 * GiB },
        ],
    };
}
