import { StackValidationPolicy } from "@pulumi/policy";
import { ofTypes } from "../lib/graph";
import { attachedTo, BUCKET_TYPES, SSE_CONFIGURATION_TYPES } from "../lib/s3";
import { asArray, getPath } from "../lib/values";

export const s3BucketRequiresEncryption: StackValidationPolicy = {
    name: "s3-bucket-requires-encryption",
    description:
        "Every S3 bucket in the stack declares default server-side encryption (a BucketServerSideEncryptionConfiguration with at least one rule, or the bucket's own serverSideEncryptionConfiguration), so the choice of key is explicit and reviewable.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const buckets = ofTypes(args.resources, BUCKET_TYPES);
        if (buckets.length === 0) {
            args.notApplicable("The stack has no S3 buckets.");
        }
        for (const bucket of buckets) {
            const inline = getPath(bucket.props, "serverSideEncryptionConfiguration.rule") !== undefined;
            const configs = attachedTo(bucket, args.resources, SSE_CONFIGURATION_TYPES);
            if (inline) {
                continue;
            }
            if (configs.length === 0) {
                report(
                    `bucket '${bucket.name}' declares no server-side encryption; add an aws.s3.BucketServerSideEncryptionConfiguration ` +
                        `with bucket: <bucket>.id and a rule applying "aws:kms" (or "AES256").`,
                    bucket.urn,
                );
            } else if (!configs.some((c) => asArray(c.props.rules).length > 0)) {
                report(
                    `bucket '${bucket.name}' has an encryption configuration with no rules; add a rule with applyServerSideEncryptionByDefault.`,
                    bucket.urn,
                );
            }
        }
    },
};
