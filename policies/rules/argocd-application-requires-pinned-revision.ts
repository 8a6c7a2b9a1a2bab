import { ResourceValidationPolicy } from "@pulumi/policy";
import { isExactSemver, isGitSha } from "../lib/semver";
import { asArray, asRecord, asString, getPath, show } from "../lib/values";

export const ARGO_APPLICATION_TYPE = "kubernetes:argoproj.io/v1alpha1:Application";

/** The declared sources with their paths: `spec.source`, and each of `spec.sources`. */
export function applicationSources(props: unknown): { path: string; source: Record<string, unknown> }[] {
    const single = asRecord(getPath(props, "spec.source"));
    const many = asArray(getPath(props, "spec.sources")).map((s, i) => ({ path: `spec.sources[${i}]`, source: asRecord(s) ?? {} }));
    return [...(single ? [{ path: "spec.source", source: single }] : []), ...many];
}

// Range operators, wildcards and "1.2.x"-style components: anything that lets the revision float.
const VERSION_RANGE = /[*^~<>=|\s]|(^|\.)[xX](\.|$)/;

/** Why a revision is not pinned, or undefined when it is a commit SHA or an exact version tag. */
export function unpinnedRevisionReason(revision: string | undefined, isChart: boolean): string | undefined {
    const value = revision?.trim() ?? "";
    if (value === "" || value === "HEAD") {
        return "follows the default branch";
    }
    if (isExactSemver(value) || (!isChart && isGitSha(value))) {
        return undefined;
    }
    if (VERSION_RANGE.test(value)) {
        return "is a version range";
    }
    return isChart ? "is not an exact chart version" : "looks like a branch, which moves";
}

export interface Config {
    /** Repositories whose Applications may follow a branch (e.g. a GitOps repo whose branch is itself reviewed). */
    readonly branchTrackingRepos: string[];
}

export const argocdApplicationRequiresPinnedRevision: ResourceValidationPolicy = {
    name: "argocd-application-requires-pinned-revision",
    description:
        "Every source of an Argo CD Application pins targetRevision to a git commit SHA or an exact version tag, so what the cluster runs is what was reviewed, never whatever a branch points to.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            branchTrackingRepos: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "repoURLs whose sources may follow a branch; an explicit, reviewable exception.",
            },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== ARGO_APPLICATION_TYPE) {
            args.notApplicable(`Policy only applies to resources of type '${ARGO_APPLICATION_TYPE}'.`);
        }
        const exempt = new Set(args.getConfig<Config>().branchTrackingRepos);
        const sources = applicationSources(args.props);
        if (sources.length === 0) {
            report("the Application declares no spec.source or spec.sources; declare a source with a pinned targetRevision.");
        }
        for (const { path, source } of sources.filter((s) => !exempt.has(asString(s.source.repoURL) ?? ""))) {
            const revision = asString(source.targetRevision);
            const reason = unpinnedRevisionReason(revision, source.chart !== undefined);
            if (reason !== undefined) {
                report(
                    `${path}.targetRevision ${show(source.targetRevision)} ${reason}; pin it to a 40-character commit SHA ` +
                        `or an exact version tag such as v1.2.3 (or list the repoURL in branchTrackingRepos).`,
                );
            }
        }
    },
};
