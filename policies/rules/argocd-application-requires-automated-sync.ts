import { ResourceValidationPolicy } from "@pulumi/policy";
import { asRecord, getPath } from "../lib/values";
import { ARGO_APPLICATION_TYPE } from "./argocd-application-requires-pinned-revision";

export const argocdApplicationRequiresAutomatedSync: ResourceValidationPolicy = {
    name: "argocd-application-requires-automated-sync",
    description:
        "Every Argo CD Application syncs automatically with selfHeal and prune enabled, so manual drift is reverted and objects removed from git are removed from the cluster.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== ARGO_APPLICATION_TYPE) {
            args.notApplicable(`Policy only applies to resources of type '${ARGO_APPLICATION_TYPE}'.`);
        }
        const automated = asRecord(getPath(args.props, "spec.syncPolicy.automated"));
        if (automated === undefined) {
            report("spec.syncPolicy.automated is not set; set it to { selfHeal: true, prune: true }.");
            return;
        }
        const missing = (["selfHeal", "prune"] as const).filter((key) => automated[key] !== true);
        if (missing.length > 0) {
            report(
                `spec.syncPolicy.automated does not enable ${missing.join(" and ")}; set ${missing.map((m) => `${m}: true`).join(" and ")}.`,
            );
        }
    },
};
