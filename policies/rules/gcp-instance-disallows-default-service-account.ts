import { ResourceValidationPolicy } from "@pulumi/policy";
import { GCP_INSTANCE_TYPES } from "../lib/gcp";
import { asRecord, asString, asStrings } from "../lib/values";

const DEFAULT_COMPUTE_ACCOUNT = "-compute@developer.gserviceaccount.com";
const CLOUD_PLATFORM_SCOPES = ["cloud-platform", "https://www.googleapis.com/auth/cloud-platform"];

export const gcpInstanceDisallowsDefaultServiceAccount: ResourceValidationPolicy = {
    name: "gcp-instance-disallows-default-service-account",
    description:
        "No GCP instance or instance template runs as the default Compute Engine service account with the cloud-platform scope, because that account holds Editor on the project and the scope lets every process on the VM use it.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!GCP_INSTANCE_TYPES.includes(args.type)) {
            args.notApplicable("Policy only applies to GCP instances and instance templates.");
        }
        const account = asRecord(args.props.serviceAccount);
        if (account === undefined) {
            return;
        }
        // No email means Google attaches the default compute account.
        const email = asString(account.email) ?? "";
        const isDefault = email === "" || email === "default" || email.endsWith(DEFAULT_COMPUTE_ACCOUNT);
        const broadScope = asStrings(account.scopes).some((s) => CLOUD_PLATFORM_SCOPES.includes(s));
        if (isDefault && broadScope) {
            report(
                `serviceAccount is the default compute account${email === "" ? " (no email set)" : ` (${email})`} with the cloud-platform scope; ` +
                    `create a dedicated service account with only the roles the VM needs and set serviceAccount.email to it.`,
            );
        }
    },
};
