import { StackValidationPolicy } from "@pulumi/policy";
import { CAPACITY_PLAN_TYPE, parseCapacityPlan } from "../lib/capacity";
import { ofTypes } from "../lib/graph";
import { containersOf, Workload, workloadOf } from "../lib/k8s";
import { asArray, asRecord, asString, asStrings, getPath } from "../lib/values";

export interface Config {
    /** Image repositories published for linux/amd64 only. */
    readonly amd64OnlyImages: string[];
}

const ARCH_LABEL = "kubernetes.io/arch";

/** True when the image is one of the repositories, with any tag or digest. */
export function isFromRepository(image: string, repositories: readonly string[]): boolean {
    return repositories.some((repo) => image === repo || image.startsWith(`${repo}:`) || image.startsWith(`${repo}@`));
}

/** A nodeSelector kubernetes.io/arch: amd64, or a required node affinity whose every term allows only amd64. */
export function isPinnedToAmd64(workload: Workload): boolean {
    if (asRecord(workload.podSpec.nodeSelector)?.[ARCH_LABEL] === "amd64") {
        return true;
    }
    const terms = asArray(
        getPath(workload.podSpec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"),
    );
    // Terms are ORed, so each one must restrict the architecture.
    return (
        terms.length > 0 &&
        terms.every((term) =>
            asArray(asRecord(term)?.matchExpressions).some((value) => {
                const expr = asRecord(value) ?? {};
                const values = asStrings(expr.values);
                return expr.key === ARCH_LABEL && expr.operator === "In" && values.length > 0 && values.every((v) => v === "amd64");
            }),
        )
    );
}

export const k8sWorkloadRequiresAmd64NodeSelector: StackValidationPolicy = {
    name: "k8s-workload-requires-amd64-node-selector",
    description:
        "A workload that runs an amd64-only image is constrained to amd64 nodes (nodeSelector kubernetes.io/arch: amd64 or an equivalent required node affinity) unless every node in the stack's capacity plans is amd64, because on an arm64 node the pod crash-loops with 'exec format error'.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            amd64OnlyImages: {
                type: "array",
                items: { type: "string" },
                default: [
                    "gcr.io/tfx-oss-public/ml_metadata_store_server",
                    "ghcr.io/kubeflow/kfp-metadata-writer",
                    "ghcr.io/kubeflow/kfp-inverse-proxy-agent",
                ],
                description: "Image repositories (without tag) that have no arm64 build.",
            },
        },
    },
    validateStack: (args, report) => {
        const { amd64OnlyImages } = args.getConfig<Config>();
        const affected = args.resources.flatMap((resource) => {
            const workload = workloadOf(resource.type, resource.props);
            const images = workload
                ? containersOf(workload)
                      .map((c) => asString(c.container.image) ?? "")
                      .filter((image) => isFromRepository(image, amd64OnlyImages))
                : [];
            return workload && images.length > 0 ? [{ resource, workload, images }] : [];
        });
        if (affected.length === 0) {
            args.notApplicable("No workload runs an amd64-only image.");
        }
        // Clusters cannot be told apart offline, so the union of all plans' node architectures decides.
        const arches = new Set(
            ofTypes(args.resources, [CAPACITY_PLAN_TYPE]).flatMap((r) => parseCapacityPlan(r.props).plan?.nodes.map((n) => n.arch) ?? []),
        );
        if (arches.size === 1 && arches.has("amd64")) {
            return;
        }
        for (const { resource, workload, images } of affected) {
            if (arches.size > 0 && !arches.has("amd64")) {
                report(
                    `runs amd64-only image ${images.join(", ")} but the capacity plan has only ${[...arches].join(", ")} nodes; ` +
                        `add an amd64 node or replace the image with a multi-arch build.`,
                    resource.urn,
                );
            } else if (!isPinnedToAmd64(workload)) {
                report(
                    `runs amd64-only image ${images.join(", ")} without an architecture constraint; set ` +
                        `${workload.podSpecPath}.nodeSelector["${ARCH_LABEL}"]: "amd64".`,
                    resource.urn,
                );
            }
        }
    },
};
