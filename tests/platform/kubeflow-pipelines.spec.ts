// Kubeflow Pipelines: the committed overlays, the amd64 proof, the variant choice, footprints and the
// component in both delivery modes.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { platformSchema } from "../../stacks/config/schema";
import {
    KFP_ARTIFACT_SECRET,
    KubeflowPipelines,
    kfpDelivery,
    kfpFootprint,
    selectKfpVariant,
} from "../../components/platform/kubeflow-pipelines";
import {
    KFP_IMAGES_NOT_DEPLOYED,
    KFP_OVERLAY_ROOT,
    KFP_REMOTE,
    KFP_VARIANTS,
    KFP_WORKLOADS,
    KfpVariant,
    kfpOverlayFiles,
    variantPath,
    workloadsOf,
} from "../../components/platform/kubeflow-pipelines/overlay";
import { IN_CLUSTER_HOST, IN_CLUSTER_STORE, ObjectStore } from "../../components/platform/object-store";
import { totalOf } from "../../components/platform/sizing";
import { fakeCluster, only, plain, pool, runComponents } from "../workloads/support/components";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, runStack } from "../harness";
import { APPLICATION, one, platformRun } from "./runs";

const ROOT = path.resolve(__dirname, "../..", KFP_OVERLAY_ROOT);
type Doc = Record<string, any>;
const readYaml = (rel: string): Doc => parse(fs.readFileSync(path.join(ROOT, rel), "utf8"));
const DEFAULT_AMD64_ONLY = platformSchema.shape.amd64OnlyImages.parse(undefined);

interface Patch {
    target?: { kind?: string; name?: string };
    patch: string;
}

/** Deployments an overlay pins to amd64: names matched by patches that set the arch nodeSelector. */
export function amd64Covered(overlay: Doc, loadComponent: (rel: string) => Doc, deployments: readonly string[]): Set<string> {
    const covered = new Set<string>();
    for (const rel of overlay.components ?? []) {
        const component = loadComponent(rel);
        for (const p of (component.patches ?? []) as Patch[]) {
            const body = parse(p.patch) as Doc;
            if (body?.kind !== "Deployment" || body?.spec?.template?.spec?.nodeSelector?.["kubernetes.io/arch"] !== "amd64") continue;
            if (p.target) {
                if (p.target.kind !== undefined && p.target.kind !== "Deployment") continue;
                const re = p.target.name === undefined ? undefined : new RegExp(`^${p.target.name}$`);
                deployments.filter((d) => re === undefined || re.test(d)).forEach((d) => covered.add(d));
            } else {
                covered.add(body.metadata.name);
            }
        }
    }
    return covered;
}

/** amd64-only images from config whose workloads an overlay leaves unpinned (empty = proven). */
function uncoveredAmd64Images(v: KfpVariant, covered: Set<string>, images: readonly string[]): string[] {
    const problems: string[] = [];
    for (const prefix of images) {
        const users = workloadsOf(v).filter(({ workload }) => workload.images.some((i) => i.startsWith(prefix)));
        if (users.length === 0 && !KFP_IMAGES_NOT_DEPLOYED.includes(prefix))
            problems.push(`${prefix}: no known workload uses it; add it to KFP_WORKLOADS or KFP_IMAGES_NOT_DEPLOYED`);
        for (const { workload } of users)
            if (!covered.has(workload.name)) problems.push(`${prefix}: Deployment ${workload.name} has no amd64 nodeSelector`);
    }
    return problems;
}

function coverageOf(
    v: KfpVariant,
    load = (rel: string) => readYaml(path.join(path.dirname(variantPath(v)), path.basename(variantPath(v)), rel, "kustomization.yaml")),
): Set<string> {
    const overlay = readYaml(`${variantPath(v)}/kustomization.yaml`);
    return amd64Covered(
        overlay,
        load,
        workloadsOf(v).map((w) => w.workload.name),
    );
}

describe("Kubeflow Pipelines overlay", () => {
    it("the committed files are exactly what overlay.ts generates (run write-overlays.ts after editing it)", () => {
        const files = kfpOverlayFiles();
        expect(Object.keys(files)).to.have.length(5 + KFP_VARIANTS.length);
        for (const [rel, content] of Object.entries(files)) {
            const file = path.join(ROOT, rel);
            expect(fs.existsSync(file), `${rel} is missing`).to.equal(true);
            expect(fs.readFileSync(file, "utf8"), `${rel} drifted from overlay.ts`).to.equal(content);
        }
    });

    it("builds on the pinned upstream release as remote bases", () => {
        expect(KFP_REMOTE.platformAgnostic).to.equal("github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=2.17.0");
        for (const v of KFP_VARIANTS)
            expect(readYaml(`${variantPath(v)}/kustomization.yaml`).resources).to.deep.equal([KFP_REMOTE.platformAgnostic]);
        const cluster = readYaml("cluster-scoped/kustomization.yaml");
        expect(cluster.resources).to.deep.equal(["github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=2.17.0"]);
        // Pulumi owns the namespace (Pod Security labels), so the upstream one is dropped.
        expect(parse(cluster.patches[0].patch)).to.include({ $patch: "delete", kind: "Namespace" });
    });

    it("proves every amd64-only image of the config is pinned to amd64 nodes on mixed clusters", () => {
        expect(DEFAULT_AMD64_ONLY)
            .to.include("gcr.io/tfx-oss-public/ml_metadata_store_server")
            .and.to.include("ghcr.io/kubeflow/kfp-metadata-writer");
        const mixed = KFP_VARIANTS.filter((v) => v.arch === "mixed-arch");
        expect(mixed).to.have.length(4);
        for (const v of mixed) {
            const covered = coverageOf(v);
            expect(uncoveredAmd64Images(v, covered, DEFAULT_AMD64_ONLY), variantPath(v)).to.deep.equal([]);
            // Non-vacuous: the two metadata Deployments are among the pinned ones.
            expect([...covered]).to.include.members(["metadata-grpc-deployment", "metadata-writer"]);
        }
    });

    it("leaves placement alone on single-architecture clusters", () => {
        for (const v of KFP_VARIANTS.filter((x) => x.arch === "default")) expect(coverageOf(v).size, variantPath(v)).to.equal(0);
    });

    it("the proof fails when the pin is narrowed to one Deployment, or a new amd64-only image is unknown", () => {
        const v = KFP_VARIANTS.find((x) => x.arch === "mixed-arch" && x.store === "platform-store" && x.profile === "lean")!;
        const narrowed = (rel: string): Doc => {
            const c = readYaml(path.join(path.dirname(variantPath(v)), path.basename(variantPath(v)), rel, "kustomization.yaml"));
            if (!rel.endsWith("amd64-nodes")) return c;
            return { ...c, patches: c.patches.map((p: Patch) => ({ ...p, target: { ...p.target, name: "ml-pipeline" } })) };
        };
        const problems = uncoveredAmd64Images(v, coverageOf(v, narrowed), DEFAULT_AMD64_ONLY);
        expect(problems).to.include(
            "gcr.io/tfx-oss-public/ml_metadata_store_server: Deployment metadata-grpc-deployment has no amd64 nodeSelector",
        );
        expect(problems).to.include("ghcr.io/kubeflow/kfp-metadata-writer: Deployment metadata-writer has no amd64 nodeSelector");
        expect(uncoveredAmd64Images(v, coverageOf(v), ["ghcr.io/example/new-amd64-only"])).to.deep.equal([
            "ghcr.io/example/new-amd64-only: no known workload uses it; add it to KFP_WORKLOADS or KFP_IMAGES_NOT_DEPLOYED",
        ]);
    });

    it("points KFP's S3 clients at the platform's in-cluster store and drops the bundled SeaweedFS", () => {
        const c = readYaml("components/platform-object-store/kustomization.yaml");
        const bodies = (c.patches as Patch[]).map((p) => parse(p.patch) as Doc);
        const deleted = bodies.filter((b) => b.$patch === "delete").map((b) => `${b.kind}/${b.metadata.name}`);
        expect(deleted).to.have.members([
            "Deployment/seaweedfs",
            "PersistentVolumeClaim/seaweedfs-pvc",
            "ServiceAccount/seaweedfs",
            "NetworkPolicy/seaweedfs",
            "Secret/mlpipeline-minio-artifact",
        ]);
        const service = bodies.find((b) => b.kind === "Service")!;
        expect(service.spec).to.deep.equal({ type: "ExternalName", externalName: IN_CLUSTER_HOST, selector: null });
        // KFP dials seaweedfs.kubeflow:9000 with bucket mlpipeline: the store must answer on that port and bucket.
        expect(IN_CLUSTER_STORE.port).to.equal(9000);
        expect(IN_CLUSTER_STORE.buckets.pipelines).to.equal("mlpipeline");
    });

    it("gives every workload requests and limits in both profiles, and turns the visualization server off in lean", () => {
        for (const profile of ["lean", "standard"] as const) {
            const c = readYaml(`components/resources-${profile}/kustomization.yaml`);
            const bodies = (c.patches as Patch[]).map((p) => parse(p.patch) as Doc);
            expect(bodies.map((b) => b.metadata.name)).to.have.members(KFP_WORKLOADS.map((w) => w.name));
            for (const b of bodies) {
                const r = b.spec.template.spec.containers[0].resources;
                expect(r.requests, b.metadata.name).to.have.keys("cpu", "memory");
                expect(r.limits, b.metadata.name).to.have.keys("cpu", "memory");
            }
            const viz = bodies.find((b) => b.metadata.name === "ml-pipeline-visualizationserver")!;
            expect(viz.spec.replicas).to.equal(profile === "lean" ? 0 : undefined);
        }
    });
});

describe("Kubeflow Pipelines variant and footprint", () => {
    const homelabPools = [pool("server-arm", "arm64", { controlPlane: true }), pool("worker-x86", "amd64")];

    it("pins to amd64 only when schedulable pools mix architectures", () => {
        expect(selectKfpVariant({ cluster: { nodePools: homelabPools }, storeInCluster: true, profile: "lean" })).to.deep.equal({
            arch: "default",
            store: "platform-store",
            profile: "lean",
        });
        const untainted = homelabPools.map((p) => ({ ...p, controlPlane: false }));
        expect(selectKfpVariant({ cluster: { nodePools: untainted }, storeInCluster: false, profile: "standard" })).to.deep.equal({
            arch: "mixed-arch",
            store: "bundled-store",
            profile: "standard",
        });
    });

    it("refuses a cluster without a schedulable amd64 pool, naming the pools", () => {
        expect(() => selectKfpVariant({ cluster: { nodePools: [pool("pi", "arm64")] }, storeInCluster: true, profile: "lean" })).to.throw(
            "Kubeflow Pipelines needs a schedulable amd64 node pool (ml_metadata_store_server and kfp-metadata-writer have no arm64 build); got pools pi(arm64)",
        );
    });

    it("counts the lean footprint from the same table the overlays come from", () => {
        const lean = kfpFootprint({ arch: "mixed-arch", store: "platform-store", profile: "lean" }, DEFAULT_AMD64_ONLY);
        expect(lean.map((f) => f.workload)).to.not.include("kubeflow-pipelines/seaweedfs");
        expect(lean.find((f) => f.workload === "kubeflow-pipelines/ml-pipeline-visualizationserver")).to.include({ cpu: 0, memory: 0 });
        expect(lean.every((f) => f.arch === "amd64")).to.equal(true);
        const total = totalOf(lean);
        expect(total.cpu).to.be.closeTo(0.39, 1e-9);
        expect(total.memory).to.equal(1440 * 2 ** 20);
        const single = kfpFootprint({ arch: "default", store: "bundled-store", profile: "standard" }, DEFAULT_AMD64_ONLY);
        expect(single.filter((f) => f.arch === "amd64").map((f) => f.workload)).to.have.members([
            "kubeflow-pipelines/metadata-grpc-deployment",
            "kubeflow-pipelines/metadata-writer",
        ]);
    });
});

function fakeStore(inCluster: boolean): ObjectStore {
    return {
        kind: inCluster ? "minio" : "s3",
        inCluster,
        endpoint: "store:9000",
        endpointUrl: "http://store:9000",
        region: "us-east-1",
        useHttps: false,
        buckets: { pipelines: pulumi.output("mlpipeline"), models: pulumi.output("models"), mlflow: pulumi.output("mlflow") },
        grantAccess: (name, args, opts) => {
            const k8s = require("@pulumi/kubernetes");
            const secret = new k8s.core.v1.Secret(
                name,
                {
                    metadata: { name: args.secretName, namespace: args.namespace },
                    stringData: { [args.accessKeyKey!]: pulumi.secret("ak"), [args.secretKeyKey!]: pulumi.secret("sk") },
                },
                opts,
            );
            return { secretName: args.secretName, secret, serviceAccountAnnotations: pulumi.output<Record<string, string>>({}) };
        },
    };
}

describe("KubeflowPipelines component", () => {
    const gitops = { repoUrl: "https://github.com/acme/platform.git", revision: "v1.2.3" };
    const argocd = { namespace: "argocd", project: "platform", cluster: "in-cluster" };

    it("delivery helm: Pulumi builds the chosen overlay directory, after the CRDs and the artifact Secret", async () => {
        const regs = await runComponents(() => {
            const cluster = fakeCluster("lab", [pool("arm", "arm64"), pool("x86", "amd64")]);
            new KubeflowPipelines(
                "kfp",
                { delivery: "helm", profile: "lean", cluster, objectStore: fakeStore(true), gitops },
                { provider: cluster.provider },
            );
        });
        const dirs = regs.filter((r) => r.type === "kubernetes:kustomize/v2:Directory");
        expect(dirs.map((d) => d.inputs.directory)).to.have.members([
            `${KFP_OVERLAY_ROOT}/cluster-scoped`,
            `${KFP_OVERLAY_ROOT}/overlays/mixed-arch/platform-store/lean`,
        ]);
        const main = dirs.find((d) => d.name === "kfp")!;
        expect(main.provider).to.equal("pulumi:providers:kubernetes::lab-k8s");
        const secret = plain(only(regs, "kubernetes:core/v1:Secret", "kfp-artifact-keys"));
        expect(secret.metadata).to.include({ name: KFP_ARTIFACT_SECRET.name, namespace: "kubeflow" });
        expect(secret.stringData).to.have.keys("accesskey", "secretkey");
        expect(regs.some((r) => r.type.includes("argoproj.io"))).to.equal(false);
    });

    it("delivery argocd: Applications read the same overlays from the GitOps repository at its revision", async () => {
        const regs = await runComponents(() => {
            const cluster = fakeCluster("lab", [pool("x86", "amd64")]);
            new KubeflowPipelines(
                "kfp",
                {
                    delivery: "argocd",
                    argocd,
                    profile: "standard",
                    cluster,
                    objectStore: fakeStore(false),
                    gitops,
                },
                { provider: cluster.provider },
            );
        });
        const apps = regs.filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:Application").map(plain);
        expect(apps.map((a) => a.spec.source)).to.have.deep.members([
            { repoURL: gitops.repoUrl, path: `${KFP_OVERLAY_ROOT}/cluster-scoped`, targetRevision: "v1.2.3" },
            { repoURL: gitops.repoUrl, path: `${KFP_OVERLAY_ROOT}/overlays/default/bundled-store/standard`, targetRevision: "v1.2.3" },
        ]);
        for (const a of apps) expect(a.spec.syncPolicy.automated).to.include({ prune: true, selfHeal: true });
        // A cloud store: KFP keeps its bundled SeaweedFS and its Secret, so Pulumi writes none.
        expect(regs.filter((r) => r.type === "kubernetes:core/v1:Secret")).to.have.length(0);
        expect(regs.some((r) => r.type === "kubernetes:kustomize/v2:Directory")).to.equal(false);
    });

    it("delivery argocd without a GitOps repository: Pulumi applies the overlays from this checkout (a fresh fork works)", async () => {
        const regs = await runComponents(() => {
            const cluster = fakeCluster("lab", [pool("x86", "amd64")]);
            new KubeflowPipelines(
                "kfp",
                { delivery: "argocd", argocd, profile: "lean", cluster, objectStore: fakeStore(true) },
                { provider: cluster.provider },
            );
        });
        expect(
            regs.filter((r) => r.type.includes("argoproj.io")),
            "no Application at an unresolvable revision",
        ).to.deep.equal([]);
        expect(regs.filter((r) => r.type === "kubernetes:kustomize/v2:Directory").map((r) => r.inputs.directory)).to.have.members([
            `${KFP_OVERLAY_ROOT}/cluster-scoped`,
            `${KFP_OVERLAY_ROOT}/overlays/default/platform-store/lean`,
        ]);
        // Each directory is on disk in this checkout, with its kustomization.
        for (const dir of [`${KFP_OVERLAY_ROOT}/cluster-scoped`, `${KFP_OVERLAY_ROOT}/overlays/default/platform-store/lean`])
            expect(fs.existsSync(path.resolve(__dirname, "../..", dir, "kustomization.yaml")), dir).to.equal(true);
    });

    it("picks Argo CD only with a named repository and revision", () => {
        expect(kfpDelivery("argocd", gitops)).to.equal("argocd");
        expect(kfpDelivery("argocd", undefined)).to.equal("helm");
        expect(kfpDelivery("helm", gitops)).to.equal("helm");
    });

    it("delivery argocd without a target fails with the component's name", async () => {
        let error: Error | undefined;
        await runComponents(() => {
            const cluster = fakeCluster("lab", [pool("x86", "amd64")]);
            new KubeflowPipelines("kfp", {
                delivery: "argocd",
                profile: "lean",
                cluster,
                objectStore: fakeStore(true),
                gitops,
            });
        }).catch((e: Error) => (error = e));
        expect(error?.message).to.contain("KubeflowPipelines: delivery argocd needs args.argocd");
    });
});

describe("Kubeflow Pipelines on the stacks", () => {
    it("homelab, delivery helm: Pulumi builds the overlay for its cluster and store", async () => {
        const { run } = await platformRun("homelab", "helm");
        const dirs = run.registrations.filter((r) => r.type === "kubernetes:kustomize/v2:Directory").map((r) => r.inputs.directory);
        // The arm64 server is tainted, so the only schedulable pool is amd64: no pin needed.
        expect(dirs).to.have.members([`${KFP_OVERLAY_ROOT}/cluster-scoped`, `${KFP_OVERLAY_ROOT}/overlays/default/platform-store/lean`]);
    });

    it("homelab, delivery argocd, as committed (no gitopsRepoUrl/gitopsRevision): Pulumi applies the overlays", async () => {
        const { config } = loadStackConfig("homelab");
        expect(config, "no project default points at a tag a fork lacks").to.not.have.any.keys(
            "aiops-mlops-platform:gitopsRepoUrl",
            "aiops-mlops-platform:gitopsRevision",
        );
        const { run } = await platformRun("homelab", "argocd");
        expect(run.registrations.filter((r) => r.type === APPLICATION && r.name.includes("kubeflow-pipelines"))).to.deep.equal([]);
        const dirs = run.registrations.filter((r) => r.type === "kubernetes:kustomize/v2:Directory").map((r) => r.inputs.directory);
        expect(dirs).to.have.members([`${KFP_OVERLAY_ROOT}/cluster-scoped`, `${KFP_OVERLAY_ROOT}/overlays/default/platform-store/lean`]);
        // Other services still go through Argo CD.
        expect(run.registrations.filter((r) => r.type === APPLICATION).length).to.be.greaterThan(0);
    });

    it("homelab, delivery argocd with gitopsRepoUrl + gitopsRevision: Applications on that repository at that revision", async () => {
        const repo = "https://github.com/you/aiops-mlops-platform.git";
        const run = await runStack("homelab", { delivery: "argocd", gitopsRepoUrl: repo, gitopsRevision: "v0.2.0" });
        const app = one(run, APPLICATION, "homelab-kubeflow-pipelines");
        expect((app.inputs.spec as Record<string, any>).source).to.deep.equal({
            repoURL: repo,
            path: `${KFP_OVERLAY_ROOT}/overlays/default/platform-store/lean`,
            targetRevision: "v0.2.0",
        });
        expect(run.registrations.some((r) => r.type === "kubernetes:kustomize/v2:Directory")).to.equal(false);
        const project = run.registrations.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:AppProject")!;
        expect((project.inputs.spec as Record<string, any>).sourceRepos).to.include(repo);
    });

    it("homelab with a schedulable arm64 server: the mixed-arch overlay", async () => {
        const stackFile = parse(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.homelab.yaml"), "utf8")).config[
            "aiops-mlops-platform:homelab"
        ];
        const run = await runStack("homelab", { delivery: "helm", homelab: { ...stackFile, taintServer: false } });
        expect(run.outputs.kubeflowPipelinesOverlay.value).to.deep.equal({ arch: "mixed-arch", store: "platform-store", profile: "lean" });
    });
});
