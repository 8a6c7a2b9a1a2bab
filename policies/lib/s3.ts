import { PolicyResource } from "@pulumi/policy";
import { ofTypes, refersTo } from "./graph";

// In @pulumi/aws 7.x `aws.s3.Bucket` is the former BucketV2 (which stays as a deprecated alias type);
// both tokens are checked against `__pulumiType` in the tests.
export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const SSE_CONFIGURATION_TYPES = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];

/** Resources of `types` whose `bucket` input refers to the bucket (S3 bucket ids are bucket names). */
export function attachedTo(bucket: PolicyResource, resources: PolicyResource[], types: readonly string[]): PolicyResource[] {
    return ofTypes(resources, types).filter((r) => refersTo(r, "bucket", bucket, "bucket"));
}
