import { ResourceValidationPolicy } from "@pulumi/policy";
import { GCP_INSTANCE_TYPES } from "../lib/gcp";
import { asRecord } from "../lib/values";

export const gcpInstanceRequiresShieldedVm: ResourceValidationPolicy = {
    name: "gcp-instance-requires-shielded-vm",
    description:
        "Every GCP instance and instance template runs as a Shielded VM with Secure Boot, vTPM and integrity monitoring, so a tampered boot chain is refused or detected.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!GCP_INSTANCE_TYPES.includes(args.type)) {
            args.notApplicable("Policy only applies to GCP instances and instance templates.");
        }
        const config = asRecord(args.props.shieldedInstanceConfig) ?? {};
        // Google's defaults: Secure Boot off, vTPM and integrity monitoring on; so only Secure Boot must be explicit.
        const off = [
            ...(config.enableSecureBoot === true ? [] : ["enableSecureBoot"]),
            ...(config.enableVtpm === false ? ["enableVtpm"] : []),
            ...(config.enableIntegrityMonitoring === false ? ["enableIntegrityMonitoring"] : []),
        ];
        if (off.length > 0) {
            report(
                `shieldedInstanceConfig leaves ${off.join(", ")} off; set ${off.map((f) => `shieldedInstanceConfig.${f}: true`).join(", ")} (and use a Shielded VM image).`,
            );
        }
    },
};
