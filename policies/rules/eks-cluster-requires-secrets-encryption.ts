import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateEksCluster } from "../lib/eks";

export const eksClusterRequiresSecretsEncryption: ResourceValidationPolicy = {
    name: "eks-cluster-requires-secrets-encryption",
    description:
        "An EKS cluster envelope-encrypts Kubernetes Secrets with a customer-managed KMS key, so the key's policy and rotation, not only AWS's default key, guard the secrets in etcd.",
    enforcementLevel: "mandatory",
    validateResource: validateEksCluster((cluster, _args, report) => {
        if (!cluster.secretsEncrypted) {
            report(`Secrets are not encrypted with a customer-managed KMS key; set ${cluster.path.encryption} to a KMS key ARN.`);
        }
    }),
};
