import { Policies } from "@pulumi/policy";
import { argocdApplicationRequiresAutomatedSync } from "./argocd-application-requires-automated-sync";
import { argocdApplicationRequiresPinnedRevision } from "./argocd-application-requires-pinned-revision";
import { capacityPlanFitsNodeCapacity } from "./capacity-plan-fits-node-capacity";
import { ec2NodeRequiresImdsv2 } from "./ec2-node-requires-imdsv2";
import { eksClusterDisallowsPublicEndpoint } from "./eks-cluster-disallows-public-endpoint";
import { eksClusterRequiresControlPlaneLogging } from "./eks-cluster-requires-control-plane-logging";
import { eksClusterRequiresPrivateEndpoint } from "./eks-cluster-requires-private-endpoint";
import { eksClusterRequiresPrivateNodes } from "./eks-cluster-requires-private-nodes";
import { eksClusterRequiresSecretsEncryption } from "./eks-cluster-requires-secrets-encryption";
import { eksNodegroupRequiresPrivateSubnets } from "./eks-nodegroup-requires-private-subnets";
import { gcpFirewallDisallowsPublicAdminPorts } from "./gcp-firewall-disallows-public-admin-ports";
import { gcpInstanceDisallowsDefaultServiceAccount } from "./gcp-instance-disallows-default-service-account";
import { gcpInstanceRequiresShieldedVm } from "./gcp-instance-requires-shielded-vm";
import { helmReleaseRequiresPinnedVersion } from "./helm-release-requires-pinned-version";
import { k8sNamespaceRequiresDefaultDenyIngress } from "./k8s-namespace-requires-default-deny-ingress";
import { k8sResourceDisallowsDefaultNamespace } from "./k8s-resource-disallows-default-namespace";
import { k8sServiceDisallowsUnannotatedLoadBalancer } from "./k8s-service-disallows-unannotated-load-balancer";
import { k8sWorkloadCapsResourceRequests } from "./k8s-workload-caps-resource-requests";
import { k8sWorkloadDisallowsHostAccess } from "./k8s-workload-disallows-host-access";
import { k8sWorkloadDisallowsPlaintextCredentials } from "./k8s-workload-disallows-plaintext-credentials";
import { k8sWorkloadDisallowsPrivilegeEscalation } from "./k8s-workload-disallows-privilege-escalation";
import { k8sWorkloadDisallowsPrivilegedContainers } from "./k8s-workload-disallows-privileged-containers";
import { k8sWorkloadRequiresAmd64NodeSelector } from "./k8s-workload-requires-amd64-node-selector";
import { k8sWorkloadRequiresDroppedCapabilities } from "./k8s-workload-requires-dropped-capabilities";
import { k8sWorkloadRequiresNonRoot } from "./k8s-workload-requires-non-root";
import { k8sWorkloadRequiresPinnedImage } from "./k8s-workload-requires-pinned-image";
import { k8sWorkloadRequiresProbes } from "./k8s-workload-requires-probes";
import { k8sWorkloadRequiresReadOnlyRootFilesystem } from "./k8s-workload-requires-read-only-root-filesystem";
import { k8sWorkloadRequiresResources } from "./k8s-workload-requires-resources";
import { k8sWorkloadRequiresStandardLabels } from "./k8s-workload-requires-standard-labels";
import { s3BucketRequiresEncryption } from "./s3-bucket-requires-encryption";
import { s3BucketRequiresPublicAccessBlock } from "./s3-bucket-requires-public-access-block";

/**
 * Every policy of the pack, one per file in this folder (a test keeps the two in step). Importing this
 * module has no side effects; only ../index.ts constructs the PolicyPack.
 */
export const allPolicies: Policies = [
    argocdApplicationRequiresAutomatedSync,
    argocdApplicationRequiresPinnedRevision,
    capacityPlanFitsNodeCapacity,
    ec2NodeRequiresImdsv2,
    eksClusterDisallowsPublicEndpoint,
    eksClusterRequiresControlPlaneLogging,
    eksClusterRequiresPrivateEndpoint,
    eksClusterRequiresPrivateNodes,
    eksClusterRequiresSecretsEncryption,
    eksNodegroupRequiresPrivateSubnets,
    gcpFirewallDisallowsPublicAdminPorts,
    gcpInstanceDisallowsDefaultServiceAccount,
    gcpInstanceRequiresShieldedVm,
    helmReleaseRequiresPinnedVersion,
    k8sNamespaceRequiresDefaultDenyIngress,
    k8sResourceDisallowsDefaultNamespace,
    k8sServiceDisallowsUnannotatedLoadBalancer,
    k8sWorkloadCapsResourceRequests,
    k8sWorkloadDisallowsHostAccess,
    k8sWorkloadDisallowsPlaintextCredentials,
    k8sWorkloadDisallowsPrivilegeEscalation,
    k8sWorkloadDisallowsPrivilegedContainers,
    k8sWorkloadRequiresAmd64NodeSelector,
    k8sWorkloadRequiresDroppedCapabilities,
    k8sWorkloadRequiresNonRoot,
    k8sWorkloadRequiresPinnedImage,
    k8sWorkloadRequiresProbes,
    k8sWorkloadRequiresReadOnlyRootFilesystem,
    k8sWorkloadRequiresResources,
    k8sWorkloadRequiresStandardLabels,
    s3BucketRequiresEncryption,
    s3BucketRequiresPublicAccessBlock,
];
