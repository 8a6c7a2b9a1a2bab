// The rules match on type-token strings so the pack needs no provider SDKs at run time. This test checks
// each string against the `__pulumiType` of the installed SDK class (e.g. @pulumi/aws 7.x renamed BucketV2).
import { expect } from "chai";
import { EKS_CLUSTER_TYPE, EKS_COMPONENT_TYPE } from "../lib/eks";
import { GCP_INSTANCE_TYPES } from "../lib/gcp";
import { WORKLOAD_TYPES } from "../lib/k8s";
import { BUCKET_TYPES, PUBLIC_ACCESS_BLOCK_TYPE, SSE_CONFIGURATION_TYPES } from "../lib/s3";
import { AWS_NODE_GROUP_TYPE, INSTANCE_TYPE, LAUNCH_TEMPLATE_TYPE, MANAGED_NODE_GROUP_TYPE } from "../rules/ec2-node-requires-imdsv2";
import { NODE_GROUP_TYPES } from "../rules/eks-nodegroup-requires-private-subnets";
import { FIREWALL_TYPE } from "../rules/gcp-firewall-disallows-public-admin-ports";
import { HELM_TYPES } from "../rules/helm-release-requires-pinned-version";
import { NAMESPACED_TYPES } from "../rules/k8s-resource-disallows-default-namespace";
import { SERVICE_TYPE } from "../rules/k8s-service-disallows-unannotated-load-balancer";

function sdkType(module: string, cls: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(module) as Record<string, { __pulumiType: string }>)[cls].__pulumiType;
}

const k8sClass: Record<string, [string, string]> = {
    "kubernetes:apps/v1:Deployment": ["@pulumi/kubernetes/apps/v1/deployment", "Deployment"],
    "kubernetes:apps/v1:StatefulSet": ["@pulumi/kubernetes/apps/v1/statefulSet", "StatefulSet"],
    "kubernetes:apps/v1:DaemonSet": ["@pulumi/kubernetes/apps/v1/daemonSet", "DaemonSet"],
    "kubernetes:batch/v1:Job": ["@pulumi/kubernetes/batch/v1/job", "Job"],
    "kubernetes:batch/v1:CronJob": ["@pulumi/kubernetes/batch/v1/cronJob", "CronJob"],
    "kubernetes:core/v1:Pod": ["@pulumi/kubernetes/core/v1/pod", "Pod"],
    "kubernetes:core/v1:Service": ["@pulumi/kubernetes/core/v1/service", "Service"],
    "kubernetes:core/v1:ConfigMap": ["@pulumi/kubernetes/core/v1/configMap", "ConfigMap"],
    "kubernetes:core/v1:Secret": ["@pulumi/kubernetes/core/v1/secret", "Secret"],
    "kubernetes:core/v1:ServiceAccount": ["@pulumi/kubernetes/core/v1/serviceAccount", "ServiceAccount"],
    "kubernetes:core/v1:PersistentVolumeClaim": ["@pulumi/kubernetes/core/v1/persistentVolumeClaim", "PersistentVolumeClaim"],
    "kubernetes:networking.k8s.io/v1:Ingress": ["@pulumi/kubernetes/networking/v1/ingress", "Ingress"],
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["@pulumi/kubernetes/networking/v1/networkPolicy", "NetworkPolicy"],
    "kubernetes:rbac.authorization.k8s.io/v1:Role": ["@pulumi/kubernetes/rbac/v1/role", "Role"],
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ["@pulumi/kubernetes/rbac/v1/roleBinding", "RoleBinding"],
    "kubernetes:policy/v1:PodDisruptionBudget": ["@pulumi/kubernetes/policy/v1/podDisruptionBudget", "PodDisruptionBudget"],
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": [
        "@pulumi/kubernetes/autoscaling/v2/horizontalPodAutoscaler",
        "HorizontalPodAutoscaler",
    ],
    "kubernetes:helm.sh/v3:Release": ["@pulumi/kubernetes/helm/v3/release", "Release"],
    "kubernetes:helm.sh/v4:Chart": ["@pulumi/kubernetes/helm/v4/chart", "Chart"],
};

describe("type tokens used by the rules", () => {
    it("match the Kubernetes SDK classes", () => {
        const used = new Set([...Object.values(WORKLOAD_TYPES), SERVICE_TYPE, ...HELM_TYPES, ...NAMESPACED_TYPES.keys()]);
        // Argo CD's Application is a CustomResource: its token is `kubernetes:<apiVersion>:<kind>` by construction.
        used.delete("kubernetes:argoproj.io/v1alpha1:Application");
        for (const token of used) {
            expect(k8sClass[token], `no SDK class listed for ${token}`).to.not.equal(undefined);
            expect(sdkType(...k8sClass[token])).to.equal(token);
        }
    });

    it("match the AWS and EKS SDK classes (aws.s3.Bucket is the former BucketV2 in 7.x)", () => {
        const expected: [string, string, string][] = [
            [BUCKET_TYPES[0], "@pulumi/aws/s3/bucket", "Bucket"],
            [BUCKET_TYPES[1], "@pulumi/aws/s3/bucketV2", "BucketV2"],
            [PUBLIC_ACCESS_BLOCK_TYPE, "@pulumi/aws/s3/bucketPublicAccessBlock", "BucketPublicAccessBlock"],
            [
                SSE_CONFIGURATION_TYPES[0],
                "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration",
                "BucketServerSideEncryptionConfiguration",
            ],
            [
                SSE_CONFIGURATION_TYPES[1],
                "@pulumi/aws/s3/bucketServerSideEncryptionConfigurationV2",
                "BucketServerSideEncryptionConfigurationV2",
            ],
            [EKS_CLUSTER_TYPE, "@pulumi/aws/eks/cluster", "Cluster"],
            [AWS_NODE_GROUP_TYPE, "@pulumi/aws/eks/nodeGroup", "NodeGroup"],
            [LAUNCH_TEMPLATE_TYPE, "@pulumi/aws/ec2/launchTemplate", "LaunchTemplate"],
            [INSTANCE_TYPE, "@pulumi/aws/ec2/instance", "Instance"],
            [EKS_COMPONENT_TYPE, "@pulumi/eks/cluster", "Cluster"],
            [MANAGED_NODE_GROUP_TYPE, "@pulumi/eks/managedNodeGroup", "ManagedNodeGroup"],
            ["aws:ec2/subnet:Subnet", "@pulumi/aws/ec2/subnet", "Subnet"],
        ];
        for (const [token, module, cls] of expected) {
            expect(sdkType(module, cls), `${module}.${cls}`).to.equal(token);
        }
        expect(NODE_GROUP_TYPES).to.have.members([MANAGED_NODE_GROUP_TYPE, AWS_NODE_GROUP_TYPE]);
    });

    it("match the GCP SDK classes", () => {
        expect(sdkType("@pulumi/gcp/compute/firewall", "Firewall")).to.equal(FIREWALL_TYPE);
        expect(GCP_INSTANCE_TYPES).to.deep.equal([
            sdkType("@pulumi/gcp/compute/instance", "Instance"),
            sdkType("@pulumi/gcp/compute/instanceTemplate", "InstanceTemplate"),
        ]);
    });
});
