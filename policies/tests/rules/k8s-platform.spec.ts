import { expect } from "chai";
import { checkResource, runResourcePolicy } from "../../offline/evaluate";
import { argocdApplicationRequiresAutomatedSync } from "../../rules/argocd-application-requires-automated-sync";
import { argocdApplicationRequiresPinnedRevision, unpinnedRevisionReason } from "../../rules/argocd-application-requires-pinned-revision";
import { helmReleaseRequiresPinnedVersion } from "../../rules/helm-release-requires-pinned-version";
import { k8sResourceDisallowsDefaultNamespace } from "../../rules/k8s-resource-disallows-default-namespace";
import { k8sServiceDisallowsUnannotatedLoadBalancer } from "../../rules/k8s-service-disallows-unannotated-load-balancer";
import { compliantApplication, compliantHelmRelease, compliantService, mutate, workloadProps } from "../support/fixtures";

const SERVICE = "kubernetes:core/v1:Service";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CHART = "kubernetes:helm.sh/v4:Chart";
const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("k8s-resource-disallows-default-namespace", () => {
    const policy = k8sResourceDisallowsDefaultNamespace;
    const provider = (namespace?: string) => ({
        type: "pulumi:providers:kubernetes",
        name: "k8s",
        urn: "urn:pulumi:test::test::pulumi:providers:kubernetes::k8s",
        props: namespace === undefined ? {} : { namespace },
    });

    it("passes namespaced objects in their own namespace", async () => {
        expect(await runResourcePolicy(policy, { type: DEPLOYMENT, name: "d", props: workloadProps("Deployment") })).to.deep.equal([]);
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props: compliantService() })).to.deep.equal([]);
        expect(await runResourcePolicy(policy, { type: RELEASE, name: "r", props: compliantHelmRelease() })).to.deep.equal([]);
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props: compliantApplication() })).to.deep.equal([]);
    });

    it("flags an object with no namespace", async () => {
        const props = mutate(workloadProps("StatefulSet"), (o) => delete o.metadata.namespace);
        expect(await runResourcePolicy(policy, { type: "kubernetes:apps/v1:StatefulSet", name: "d", props })).to.deep.equal([
            "metadata.namespace is not set, so the object lands in the default namespace; set metadata.namespace to the component's own namespace.",
        ]);
    });

    it("flags an object in 'default'", async () => {
        const props = mutate(compliantService(), (o) => (o.metadata.namespace = "default"));
        const [message] = await runResourcePolicy(policy, { type: SERVICE, name: "s", props });
        expect(message).to.match(/^metadata\.namespace is 'default'/);
    });

    it("flags a Helm release without a namespace", async () => {
        const props = mutate(compliantHelmRelease(), (o) => delete o.namespace);
        expect(await runResourcePolicy(policy, { type: CHART, name: "c", props })).to.have.length(1);
    });

    it("accepts a missing namespace when the provider sets one, and flags a provider set to default", async () => {
        const props = mutate(compliantService(), (o) => delete o.metadata.namespace);
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props, provider: provider("aiops") })).to.deep.equal([]);
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props, provider: provider("default") })).to.have.length(1);
    });

    it("ignores cluster-scoped objects", async () => {
        const outcome = await checkResource(policy, {
            type: "kubernetes:core/v1:Namespace",
            name: "n",
            props: { metadata: { name: "default" } },
        });
        expect(outcome).to.deep.equal({ violations: [], notApplicable: "Policy only applies to namespaced Kubernetes objects." });
    });
});

describe("k8s-service-disallows-unannotated-load-balancer", () => {
    const policy = k8sServiceDisallowsUnannotatedLoadBalancer;
    const loadBalancer = mutate(compliantService(), (o) => (o.spec.type = "LoadBalancer"));

    it("passes a ClusterIP service", async () => {
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props: compliantService() })).to.deep.equal([]);
    });

    it("flags an unannotated LoadBalancer", async () => {
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props: loadBalancer })).to.deep.equal([
            'spec.type is LoadBalancer without the annotation aiops.dev/public: "true"; use ClusterIP behind the ingress, or add the annotation if the service is meant to be public.',
        ]);
    });

    it('flags the annotation set to anything but "true"', async () => {
        const props = mutate(loadBalancer, (o) => (o.metadata.annotations = { "aiops.dev/public": "yes" }));
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props })).to.have.length(1);
    });

    it("accepts an annotated LoadBalancer, and honours a configured annotation", async () => {
        const annotated = mutate(loadBalancer, (o) => (o.metadata.annotations = { "aiops.dev/public": "true" }));
        expect(await runResourcePolicy(policy, { type: SERVICE, name: "s", props: annotated })).to.deep.equal([]);
        const custom = mutate(loadBalancer, (o) => (o.metadata.annotations = { "example.com/internet-facing": "true" }));
        expect(
            await runResourcePolicy(
                policy,
                { type: SERVICE, name: "s", props: custom },
                { publicAnnotation: "example.com/internet-facing" },
            ),
        ).to.deep.equal([]);
    });
});

describe("helm-release-requires-pinned-version", () => {
    const policy = helmReleaseRequiresPinnedVersion;

    for (const type of [RELEASE, CHART]) {
        it(`passes an exact version on ${type}`, async () => {
            expect(await runResourcePolicy(policy, { type, name: "r", props: compliantHelmRelease() })).to.deep.equal([]);
            const prerelease = mutate(compliantHelmRelease(), (o) => (o.version = "v2.0.0-rc.1+build.5"));
            expect(await runResourcePolicy(policy, { type, name: "r", props: prerelease })).to.deep.equal([]);
        });
    }

    for (const [title, version] of [
        ["no version", undefined],
        ["an empty version", ""],
        ["a caret range", "^79.0.0"],
        ["a tilde range", "~79.5"],
        ["a wildcard", "79.x"],
        ["a partial version", "79.5"],
        ["a comparison range", ">=79.0.0 <80.0.0"],
    ] as const) {
        it(`flags ${title}`, async () => {
            const props = mutate(compliantHelmRelease(), (o) => (version === undefined ? delete o.version : (o.version = version)));
            const violations = await runResourcePolicy(policy, { type: RELEASE, name: "r", props });
            expect(violations).to.have.length(1);
            expect(violations[0]).to.match(/^chart 'kube-prometheus-stack' has version .* not an exact semantic version; set version/);
        });
    }

    it("skips a chart from a local path", async () => {
        const props = mutate(compliantHelmRelease(), (o) => {
            o.chart = "./charts/detector";
            delete o.version;
        });
        expect(await runResourcePolicy(policy, { type: RELEASE, name: "r", props })).to.deep.equal([]);
    });
});

describe("argocd-application-requires-pinned-revision", () => {
    const policy = argocdApplicationRequiresPinnedRevision;
    const sha = "0123456789abcdef0123456789abcdef01234567";

    it("passes a version tag, a commit SHA, and pinned multi-source revisions", async () => {
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props: compliantApplication() })).to.deep.equal([]);
        const bySha = mutate(compliantApplication(), (o) => (o.spec.source.targetRevision = sha));
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props: bySha })).to.deep.equal([]);
        const multi = mutate(compliantApplication(), (o) => {
            o.spec.sources = [o.spec.source, { repoURL: "https://charts.example.com", chart: "kfp", targetRevision: "2.5.0" }];
            delete o.spec.source;
        });
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props: multi })).to.deep.equal([]);
    });

    for (const [revision, reason] of [
        [undefined, "follows the default branch"],
        ["", "follows the default branch"],
        ["HEAD", "follows the default branch"],
        ["main", "looks like a branch"],
        ["master", "looks like a branch"],
        ["release/1.x", "is a version range"],
        ["*", "is a version range"],
        ["^1.2.0", "is a version range"],
        ["1.2.*", "is a version range"],
    ] as const) {
        it(`flags targetRevision ${JSON.stringify(revision)}`, async () => {
            const props = mutate(compliantApplication(), (o) =>
                revision === undefined ? delete o.spec.source.targetRevision : (o.spec.source.targetRevision = revision),
            );
            const violations = await runResourcePolicy(policy, { type: APPLICATION, name: "a", props });
            expect(violations).to.have.length(1);
            expect(violations[0])
                .to.include(reason)
                .and.match(
                    /^spec\.source\.targetRevision .* pin it to a 40-character commit SHA or an exact version tag such as v1\.2\.3 \(or list the repoURL in branchTrackingRepos\)\.$/,
                );
        });
    }

    it("flags an unpinned revision in spec.sources by index", async () => {
        const props = mutate(
            compliantApplication(),
            (o) => (o.spec.sources = [{ repoURL: "https://charts.example.com", chart: "kfp", targetRevision: "2.x" }]),
        );
        const violations = await runResourcePolicy(policy, { type: APPLICATION, name: "a", props });
        expect(violations).to.deep.equal([
            "spec.sources[0].targetRevision '2.x' is a version range; pin it to a 40-character commit SHA or an exact version tag such as v1.2.3 (or list the repoURL in branchTrackingRepos).",
        ]);
    });

    it("lets a configured repository follow a branch, and only that repository", async () => {
        const props = mutate(compliantApplication(), (o) => {
            o.spec.sources = [
                { ...o.spec.source, targetRevision: "main" },
                { repoURL: "https://github.com/other/repo.git", path: "x", targetRevision: "main" },
            ];
            delete o.spec.source;
        });
        const violations = await runResourcePolicy(
            policy,
            { type: APPLICATION, name: "a", props },
            { branchTrackingRepos: ["https://github.com/aiops/platform.git"] },
        );
        expect(violations).to.have.length(1);
        expect(violations[0]).to.match(/^spec\.sources\[1\]\.targetRevision 'main'/);
    });

    it("flags an Application with no source", async () => {
        const props = mutate(compliantApplication(), (o) => delete o.spec.source);
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props })).to.have.length(1);
    });

    it("accepts a commit SHA only for git sources, not as a chart version", () => {
        expect(unpinnedRevisionReason(sha, false)).to.equal(undefined);
        expect(unpinnedRevisionReason(sha, true)).to.equal("is not an exact chart version");
    });
});

describe("argocd-application-requires-automated-sync", () => {
    const policy = argocdApplicationRequiresAutomatedSync;

    it("passes automated sync with selfHeal and prune", async () => {
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props: compliantApplication() })).to.deep.equal([]);
    });

    it("flags a manual sync policy", async () => {
        const props = mutate(compliantApplication(), (o) => delete o.spec.syncPolicy);
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props })).to.deep.equal([
            "spec.syncPolicy.automated is not set; set it to { selfHeal: true, prune: true }.",
        ]);
    });

    it("flags automated sync without selfHeal", async () => {
        const props = mutate(compliantApplication(), (o) => (o.spec.syncPolicy.automated.selfHeal = false));
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props })).to.deep.equal([
            "spec.syncPolicy.automated does not enable selfHeal; set selfHeal: true.",
        ]);
    });

    it("flags automated sync without prune", async () => {
        const props = mutate(compliantApplication(), (o) => delete o.spec.syncPolicy.automated.prune);
        expect(await runResourcePolicy(policy, { type: APPLICATION, name: "a", props })).to.deep.equal([
            "spec.syncPolicy.automated does not enable prune; set prune: true.",
        ]);
    });
});
