import { ResourceValidationPolicy } from "@pulumi/policy";
import { isExactSemver } from "../lib/semver";
import { asString, show } from "../lib/values";

export const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];

export const helmReleaseRequiresPinnedVersion: ResourceValidationPolicy = {
    name: "helm-release-requires-pinned-version",
    description:
        "Every Helm release or chart pins its chart version to an exact semantic version, so a preview shows the chart that will be installed and a repository update cannot change it silently.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!HELM_TYPES.includes(args.type)) {
            args.notApplicable("Policy only applies to Helm releases and charts.");
        }
        const chart = asString(args.props.chart) ?? "";
        // A chart from a path in this repository is pinned by the commit that contains it.
        if (/^(\.{1,2}\/|\/)/.test(chart)) {
            args.notApplicable(`Chart '${chart}' is a local path, versioned with the repository.`);
        }
        const version = asString(args.props.version);
        if (version === undefined || !isExactSemver(version.trim())) {
            report(
                `chart ${chart === "" ? "(unnamed)" : `'${chart}'`} has version ${show(args.props.version)}, which is not an exact ` +
                    `semantic version; set version to the tested release, e.g. "1.2.3" (no ranges, no empty value).`,
            );
        }
    },
};
