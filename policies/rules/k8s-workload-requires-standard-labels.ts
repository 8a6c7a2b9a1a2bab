import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateWorkload } from "../lib/k8s";
import { asRecord } from "../lib/values";

export interface Config {
    readonly requiredLabels: string[];
}

export const k8sWorkloadRequiresStandardLabels: ResourceValidationPolicy = {
    name: "k8s-workload-requires-standard-labels",
    description:
        "Every workload carries the recommended app.kubernetes.io labels on its metadata, so dashboards, cost reports and kubectl selectors can group it.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            requiredLabels: {
                type: "array",
                items: { type: "string" },
                default: ["app.kubernetes.io/name", "app.kubernetes.io/part-of"],
                description: "Labels every workload's metadata.labels must contain.",
            },
        },
    },
    validateResource: validateWorkload((workload, args, report) => {
        const labels = asRecord(workload.metadata.labels) ?? {};
        const missing = args.getConfig<Config>().requiredLabels.filter((label) => labels[label] === undefined);
        if (missing.length > 0) {
            report(`metadata.labels lacks ${missing.join(", ")}; add the recommended app.kubernetes.io labels.`);
        }
    }),
};
