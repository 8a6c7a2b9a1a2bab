import { StackValidationPolicy } from "@pulumi/policy";
import { ofTypes } from "../lib/graph";
import { attachedTo, BUCKET_TYPES, PUBLIC_ACCESS_BLOCK_TYPE } from "../lib/s3";

export const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3BucketRequiresPublicAccessBlock: StackValidationPolicy = {
    name: "s3-bucket-requires-public-access-block",
    description:
        "Every S3 bucket in the stack has a BucketPublicAccessBlock with all four blocks enabled, so no ACL or bucket policy can make its objects public.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const buckets = ofTypes(args.resources, BUCKET_TYPES);
        if (buckets.length === 0) {
            args.notApplicable("The stack has no S3 buckets.");
        }
        for (const bucket of buckets) {
            const blocks = attachedTo(bucket, args.resources, [PUBLIC_ACCESS_BLOCK_TYPE]);
            if (blocks.length === 0) {
                report(
                    `bucket '${bucket.name}' has no BucketPublicAccessBlock; add an aws.s3.BucketPublicAccessBlock with ` +
                        `bucket: <bucket>.id and ${PUBLIC_ACCESS_FLAGS.join(", ")} all true.`,
                    bucket.urn,
                );
                continue;
            }
            const off = PUBLIC_ACCESS_FLAGS.filter((flag) => !blocks.some((b) => b.props[flag] === true));
            if (off.length > 0) {
                report(
                    `bucket '${bucket.name}' has a public access block without ${off.join(", ")}; set ${off.join(", ")} to true.`,
                    bucket.urn,
                );
            }
        }
    },
};
