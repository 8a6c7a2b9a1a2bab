import { expect } from "chai";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { WORKLOAD_TYPES, WorkloadKind } from "../../lib/k8s";
import { runResourcePolicy } from "../../offline/evaluate";
import { k8sWorkloadCapsResourceRequests } from "../../rules/k8s-workload-caps-resource-requests";
import { k8sWorkloadDisallowsHostAccess } from "../../rules/k8s-workload-disallows-host-access";
import { k8sWorkloadDisallowsPlaintextCredentials } from "../../rules/k8s-workload-disallows-plaintext-credentials";
import { k8sWorkloadDisallowsPrivilegeEscalation } from "../../rules/k8s-workload-disallows-privilege-escalation";
import { k8sWorkloadDisallowsPrivilegedContainers } from "../../rules/k8s-workload-disallows-privileged-containers";
import { k8sWorkloadRequiresDroppedCapabilities } from "../../rules/k8s-workload-requires-dropped-capabilities";
import { k8sWorkloadRequiresNonRoot } from "../../rules/k8s-workload-requires-non-root";
import { k8sWorkloadRequiresPinnedImage } from "../../rules/k8s-workload-requires-pinned-image";
import { k8sWorkloadRequiresProbes } from "../../rules/k8s-workload-requires-probes";
import { k8sWorkloadRequiresReadOnlyRootFilesystem } from "../../rules/k8s-workload-requires-read-only-root-filesystem";
import { k8sWorkloadRequiresResources } from "../../rules/k8s-workload-requires-resources";
import { k8sWorkloadRequiresStandardLabels } from "../../rules/k8s-workload-requires-standard-labels";
import { ALL_KINDS, Loose, mutate, podSpecOf, Props, workloadProps } from "../support/fixtures";

/** One change to the compliant pod spec (`spec`) or object (`obj`), and what it must produce. */
interface Case {
    readonly title: string;
    readonly change: (spec: Loose, obj: Loose) => void;
    /** The single expected violation; undefined when the change must still pass. */
    readonly violation?: RegExp;
    readonly config?: Props;
    readonly kinds?: readonly WorkloadKind[];
}

const LONG_RUNNING: WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "Pod"];
const app = (spec: Loose) => spec.containers[0];
const init = (spec: Loose) => spec.initContainers[0];

const tables: [ResourceValidationPolicy, Case[]][] = [
    [
        k8sWorkloadRequiresResources,
        [
            {
                title: "a container without a memory limit",
                change: (s) => delete app(s).resources.limits.memory,
                violation: /container 'app' .* has no resources\.limits\.memory; set cpu and memory/,
            },
            {
                title: "an init container without a cpu request",
                change: (s) => delete init(s).resources.requests.cpu,
                violation: /init container 'migrate' .* has no resources\.requests\.cpu/,
            },
            {
                title: "a container without resources",
                change: (s) => delete app(s).resources,
                violation: /requests\.cpu, resources\.requests\.memory, resources\.limits\.memory, resources\.limits\.cpu/,
            },
            { title: "a missing cpu limit", change: (s) => delete app(s).resources.limits.cpu, violation: /has no resources\.limits\.cpu/ },
            {
                title: "a missing cpu limit when requireCpuLimit is false",
                change: (s) => delete app(s).resources.limits.cpu,
                config: { requireCpuLimit: false },
            },
        ],
    ],
    [
        k8sWorkloadRequiresPinnedImage,
        [
            {
                title: "an untagged image",
                change: (s) => (app(s).image = "ghcr.io/aiops/detector"),
                violation: /uses untagged image 'ghcr.io\/aiops\/detector' .*; pin the image/,
            },
            {
                title: "a :latest image",
                change: (s) => (init(s).image = "busybox:latest"),
                violation: /init container 'migrate' .* mutable tag :latest/,
            },
            {
                title: "a registry port without a tag",
                change: (s) => (app(s).image = "localhost:5000/detector"),
                violation: /untagged image 'localhost:5000\/detector'/,
            },
            { title: "no image", change: (s) => delete app(s).image, violation: /has no image/ },
            { title: "a digest-pinned image", change: (s) => (app(s).image = `ghcr.io/aiops/detector@sha256:${"a".repeat(64)}`) },
            { title: "a tagged image on a registry with a port", change: (s) => (app(s).image = "localhost:5000/detector:1.0.0") },
        ],
    ],
    [
        k8sWorkloadRequiresProbes,
        [
            {
                title: "a missing readiness probe",
                kinds: LONG_RUNNING,
                change: (s) => delete app(s).readinessProbe,
                violation: /container 'app' .* has no readinessProbe; add both probes/,
            },
            {
                title: "a missing liveness probe",
                kinds: LONG_RUNNING,
                change: (s) => delete app(s).livenessProbe,
                violation: /has no livenessProbe/,
            },
            {
                title: "no probes on a run-to-completion workload",
                kinds: ["Job", "CronJob"],
                change: (s) => {
                    delete app(s).readinessProbe;
                    delete app(s).livenessProbe;
                },
            },
            {
                title: "no probes on a Pod with restartPolicy Never",
                kinds: ["Pod"],
                change: (s) => {
                    s.restartPolicy = "Never";
                    delete app(s).livenessProbe;
                },
            },
            {
                title: "no probes on an init container",
                change: (s) => {
                    delete init(s).readinessProbe;
                    delete init(s).livenessProbe;
                },
            },
        ],
    ],
    [
        k8sWorkloadRequiresNonRoot,
        [
            {
                title: "runAsNonRoot on neither pod nor container",
                change: (s) => {
                    delete s.securityContext.runAsNonRoot;
                    delete app(s).securityContext.runAsNonRoot;
                },
                violation: /container 'app' .* may run as root; set securityContext\.runAsNonRoot: true/,
            },
            {
                title: "a container overriding runAsNonRoot with false",
                change: (s) => (app(s).securityContext.runAsNonRoot = false),
                violation: /container 'app' .* may run as root/,
            },
            {
                title: "a container running as uid 0",
                change: (s) => (init(s).securityContext.runAsUser = 0),
                violation: /init container 'migrate' .* runs as user 0/,
            },
            {
                title: "runAsNonRoot set only on the pod",
                change: (s) => {
                    delete app(s).securityContext.runAsNonRoot;
                    delete init(s).securityContext.runAsNonRoot;
                },
            },
        ],
    ],
    [
        k8sWorkloadDisallowsPrivilegeEscalation,
        [
            {
                title: "allowPrivilegeEscalation: true",
                change: (s) => (app(s).securityContext.allowPrivilegeEscalation = true),
                violation: /container 'app' .* allows privilege escalation; set securityContext\.allowPrivilegeEscalation: false/,
            },
            {
                title: "allowPrivilegeEscalation left unset",
                change: (s) => delete init(s).securityContext.allowPrivilegeEscalation,
                violation: /init container 'migrate'/,
            },
        ],
    ],
    [
        k8sWorkloadDisallowsPrivilegedContainers,
        [
            {
                title: "a privileged container",
                change: (s) => (app(s).securityContext.privileged = true),
                violation: /container 'app' .* is privileged; remove securityContext\.privileged/,
            },
        ],
    ],
    [
        k8sWorkloadRequiresDroppedCapabilities,
        [
            {
                title: "capabilities not dropped",
                change: (s) => delete app(s).securityContext.capabilities,
                violation: /does not drop all capabilities; set securityContext\.capabilities\.drop: \["ALL"\]/,
            },
            {
                title: "a dangerous capability added",
                change: (s) => (app(s).securityContext.capabilities.add = ["SYS_ADMIN"]),
                violation: /adds capabilities SYS_ADMIN; remove them/,
            },
            { title: "an allowed capability added", change: (s) => (app(s).securityContext.capabilities.add = ["CAP_NET_BIND_SERVICE"]) },
            {
                title: "a capability allowed by config",
                change: (s) => (app(s).securityContext.capabilities.add = ["NET_ADMIN"]),
                config: { allowedCapabilities: ["NET_ADMIN"] },
            },
            { title: "drop written in lower case", change: (s) => (app(s).securityContext.capabilities.drop = ["all"]) },
        ],
    ],
    [
        k8sWorkloadDisallowsHostAccess,
        [
            { title: "hostNetwork", change: (s) => (s.hostNetwork = true), violation: /\.hostNetwork is true; remove it/ },
            { title: "hostPID", change: (s) => (s.hostPID = true), violation: /\.hostPID is true/ },
            { title: "hostIPC", change: (s) => (s.hostIPC = true), violation: /\.hostIPC is true/ },
            {
                title: "a hostPath volume",
                change: (s) => s.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } }),
                violation: /volume 'docker' .* mounts hostPath \/var\/run\/docker\.sock; use a PersistentVolumeClaim/,
            },
            {
                title: "a hostPath on the allowed list",
                change: (s) => s.volumes.push({ name: "proc", hostPath: { path: "/proc" } }),
                config: { allowedHostPaths: ["/proc"] },
            },
        ],
    ],
    [
        k8sWorkloadDisallowsPlaintextCredentials,
        [
            {
                title: "a literal password",
                change: (s) => app(s).env.push({ name: "DB_PASSWORD", value: "hunter2" }),
                violation: /container 'app' .* sets DB_PASSWORD to a literal value; move it into a Secret/,
            },
            {
                title: "a literal api key in lower case",
                change: (s) => init(s).env.push({ name: "openai_api_key", value: "sk-123" }),
                violation: /sets openai_api_key/,
            },
            {
                title: "a Pulumi secret as a literal value",
                change: (s) => app(s).env.push({ name: "GRAFANA_ADMIN_PASSWORD", value: "[secret]" }),
                violation: /GRAFANA_ADMIN_PASSWORD/,
            },
            {
                title: "a custom credential pattern",
                change: (s) => app(s).env.push({ name: "DSN", value: "postgres://u:p@db" }),
                config: { credentialNamePatterns: ["DSN"] },
                violation: /sets DSN/,
            },
            {
                title: "a credential from a secretKeyRef",
                change: (s) => app(s).env.push({ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }),
            },
        ],
    ],
    [
        k8sWorkloadRequiresReadOnlyRootFilesystem,
        [
            {
                title: "a writable root filesystem",
                change: (s) => (app(s).securityContext.readOnlyRootFilesystem = false),
                violation: /container 'app' .* has a writable root filesystem; set securityContext\.readOnlyRootFilesystem: true/,
            },
            {
                title: "readOnlyRootFilesystem unset",
                change: (s) => delete init(s).securityContext.readOnlyRootFilesystem,
                violation: /init container 'migrate'/,
            },
        ],
    ],
    [
        k8sWorkloadRequiresStandardLabels,
        [
            {
                title: "a missing part-of label",
                change: (_s, o) => delete o.metadata.labels["app.kubernetes.io/part-of"],
                violation: /metadata\.labels lacks app\.kubernetes\.io\/part-of/,
            },
            {
                title: "no labels",
                change: (_s, o) => delete o.metadata.labels,
                violation: /lacks app\.kubernetes\.io\/name, app\.kubernetes\.io\/part-of/,
            },
        ],
    ],
    [
        k8sWorkloadCapsResourceRequests,
        [
            {
                title: "an oversized cpu request",
                change: (s) => (app(s).resources.requests.cpu = "6"),
                violation: /requests 6 cpu cores, above the 4-core ceiling/,
            },
            {
                title: "an oversized memory request",
                change: (s) => (init(s).resources.requests.memory = "20Gi"),
                violation: /init container 'migrate' .* requests 20\.0 GiB of memory, above the 16 GiB ceiling/,
            },
            {
                title: "a large request under a raised ceiling",
                change: (s) => (app(s).resources.requests.cpu = "6000m"),
                config: { maxCpuCores: 8 },
            },
        ],
    ],
];

describe("Kubernetes workload policies", () => {
    for (const [policy, cases] of tables) {
        describe(policy.name, () => {
            for (const kind of ALL_KINDS) {
                it(`passes a compliant ${kind}`, async () => {
                    expect(
                        await runResourcePolicy(policy, { type: WORKLOAD_TYPES[kind], name: "detector", props: workloadProps(kind) }),
                    ).to.deep.equal([]);
                });
            }
            for (const c of cases) {
                it(`${c.violation ? "flags" : "accepts"} ${c.title}`, async () => {
                    for (const kind of c.kinds ?? ALL_KINDS) {
                        const props = mutate(workloadProps(kind), (o) => c.change(podSpecOf(kind, o), o));
                        const violations = await runResourcePolicy(
                            policy,
                            { type: WORKLOAD_TYPES[kind], name: "detector", props },
                            c.config,
                        );
                        if (c.violation) {
                            expect(violations, kind).to.have.length(1);
                            expect(violations[0], kind).to.match(c.violation);
                        } else {
                            expect(violations, kind).to.deep.equal([]);
                        }
                    }
                });
            }
            it("ignores the same violating object under another type", async () => {
                const failing = cases.find((c) => c.violation !== undefined)!;
                const props = mutate(workloadProps("Deployment"), (o) => failing.change(podSpecOf("Deployment", o), o));
                expect(await runResourcePolicy(policy, { type: WORKLOAD_TYPES.Deployment, name: "d", props })).to.have.length(1);
                expect(await runResourcePolicy(policy, { type: "kubernetes:apps/v1:ReplicaSet", name: "d", props })).to.deep.equal([]);
            });
        });
    }
});
