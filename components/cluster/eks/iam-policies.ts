// IAM policy documents for the EKS layer, as plain objects: pure, so each statement can be asserted.

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string | string[];
    Resource?: string | string[];
    Principal?: Record<string, string | string[]>;
    Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/** Trust policy letting an AWS service (ec2.amazonaws.com, ...) assume the role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
    return doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
}

export interface IrsaSubject {
    /** ARN of the cluster's IAM OIDC provider. */
    readonly oidcProviderArn: string;
    /** Issuer host and path, without https:// (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC). */
    readonly oidcIssuer: string;
    readonly namespace: string;
    readonly serviceAccount: string;
}

/**
 * IRSA trust: only tokens for exactly this service account, minted for STS, may assume the role
 * (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
 */
export function irsaTrustPolicy(s: IrsaSubject): PolicyDocument {
    const issuer = s.oidcIssuer.replace(/^https:\/\//, "");
    return doc({
        Effect: "Allow",
        Principal: { Federated: s.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
            StringEquals: {
                [`${issuer}:sub`]: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`,
                [`${issuer}:aud`]: "sts.amazonaws.com",
            },
        },
    });
}

/**
 * cluster-autoscaler: read everything it needs to simulate, but change only Auto Scaling groups tagged
 * as owned by this cluster (EKS managed node groups tag theirs `k8s.io/cluster-autoscaler/<cluster>: owned`).
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
    return doc(
        {
            Sid: "Describe",
            Effect: "Allow",
            Action: [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            Resource: "*",
        },
        {
            Sid: "ScaleOwnGroupsOnly",
            Effect: "Allow",
            Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            Resource: "*",
            Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
        },
    );
}

const LBC_TAG = "elbv2.k8s.aws/cluster";

/**
 * AWS Load Balancer Controller. Written from the controller's documented permissions
 * (docs/install/iam_policy.json of its release); diff against it when bumping the chart. Everything
 * that changes or deletes is limited to resources the controller tagged `elbv2.k8s.aws/cluster`.
 */
export function loadBalancerControllerPolicy(): PolicyDocument {
    const ownedResource = { Null: { [`aws:ResourceTag/${LBC_TAG}`]: "false" } };
    return doc(
        {
            Sid: "ServiceLinkedRole",
            Effect: "Allow",
            Action: "iam:CreateServiceLinkedRole",
            Resource: "*",
            Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
        },
        {
            Sid: "Describe",
            Effect: "Allow",
            Action: [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "ec2:GetCoipPoolUsage",
                "ec2:DescribeCoipPools",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
            ],
            Resource: "*",
        },
        {
            Sid: "CertificatesWafShield",
            Effect: "Allow",
            Action: [
                "cognito-idp:DescribeUserPoolClient",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            Resource: "*",
        },
        {
            Sid: "SecurityGroupIngress",
            Effect: "Allow",
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            Resource: "*",
        },
        { Sid: "CreateSecurityGroup", Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: "*" },
        {
            Sid: "TagNewSecurityGroup",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: "arn:aws:ec2:*:*:security-group/*",
            Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, Null: { [`aws:RequestTag/${LBC_TAG}`]: "false" } },
        },
        {
            Sid: "RetagOwnSecurityGroups",
            Effect: "Allow",
            Action: ["ec2:CreateTags", "ec2:DeleteTags"],
            Resource: "arn:aws:ec2:*:*:security-group/*",
            Condition: { Null: { [`aws:RequestTag/${LBC_TAG}`]: "true", [`aws:ResourceTag/${LBC_TAG}`]: "false" } },
        },
        {
            Sid: "ChangeOwnSecurityGroups",
            Effect: "Allow",
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
            Resource: "*",
            Condition: ownedResource,
        },
        {
            Sid: "CreateTaggedLoadBalancers",
            Effect: "Allow",
            Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            Resource: "*",
            Condition: { Null: { [`aws:RequestTag/${LBC_TAG}`]: "false" } },
        },
        {
            Sid: "ListenersAndRules",
            Effect: "Allow",
            Action: [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            Resource: "*",
        },
        {
            Sid: "RetagOwnLoadBalancers",
            Effect: "Allow",
            Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            Resource: [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            ],
            Condition: { Null: { [`aws:RequestTag/${LBC_TAG}`]: "true", [`aws:ResourceTag/${LBC_TAG}`]: "false" } },
        },
        {
            Sid: "TagListenersAndRules",
            Effect: "Allow",
            Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            Resource: [
                "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
            ],
        },
        {
            Sid: "ChangeOwnLoadBalancers",
            Effect: "Allow",
            Action: [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            Resource: "*",
            Condition: ownedResource,
        },
        {
            Sid: "TagOnCreate",
            Effect: "Allow",
            Action: "elasticloadbalancing:AddTags",
            Resource: [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            ],
            Condition: {
                StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
                Null: { [`aws:RequestTag/${LBC_TAG}`]: "false" },
            },
        },
        {
            Sid: "Targets",
            Effect: "Allow",
            Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            Resource: "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        },
        {
            Sid: "ListenerSettings",
            Effect: "Allow",
            Action: [
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            Resource: "*",
        },
    );
}

export interface KarpenterPolicyArgs {
    readonly clusterName: string;
    readonly region: string;
    readonly accountId: string;
    readonly nodeRoleArn: string;
    readonly interruptionQueueArn: string;
    readonly partition?: string;
}

/**
 * Karpenter's controller. Launching, tagging and terminating are limited to resources tagged
 * `kubernetes.io/cluster/<cluster>: owned` (Karpenter tags everything it creates that way).
 */
export function karpenterControllerPolicy(a: KarpenterPolicyArgs): PolicyDocument {
    const p = a.partition ?? "aws";
    const ec2 = (kind: string) => `arn:${p}:ec2:${a.region}:*:${kind}/*`;
    const clusterTag = `kubernetes.io/cluster/${a.clusterName}`;
    const launched = ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map(ec2);
    return doc(
        {
            Sid: "Read",
            Effect: "Allow",
            Action: [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
                "ec2:DescribeCapacityReservations",
                "pricing:GetProducts",
                "iam:GetInstanceProfile",
                "iam:ListInstanceProfiles",
            ],
            Resource: "*",
        },
        {
            Sid: "AmiParameters",
            Effect: "Allow",
            Action: "ssm:GetParameter",
            Resource: `arn:${p}:ssm:${a.region}::parameter/aws/service/*`,
        },
        {
            Sid: "LaunchFromSharedResources",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet"],
            Resource: [
                `arn:${p}:ec2:${a.region}::image/*`,
                `arn:${p}:ec2:${a.region}::snapshot/*`,
                ec2("security-group"),
                ec2("subnet"),
                ec2("capacity-reservation"),
            ],
        },
        {
            Sid: "LaunchOwned",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            Resource: launched,
            Condition: {
                StringEquals: { [`aws:RequestTag/${clusterTag}`]: "owned" },
                StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
            },
        },
        {
            Sid: "TagOnLaunch",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: launched,
            Condition: {
                StringEquals: {
                    [`aws:RequestTag/${clusterTag}`]: "owned",
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
            },
        },
        {
            Sid: "TagOwnedInstances",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: ec2("instance"),
            Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" } },
        },
        {
            Sid: "UseOwnedLaunchTemplates",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet"],
            Resource: ec2("launch-template"),
            Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" } },
        },
        {
            Sid: "DeleteOwned",
            Effect: "Allow",
            Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            Resource: [ec2("instance"), ec2("launch-template")],
            Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" } },
        },
        {
            Sid: "PassNodeRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: a.nodeRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com"] } },
        },
        {
            Sid: "OwnedInstanceProfiles",
            Effect: "Allow",
            Action: [
                "iam:CreateInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            Resource: `arn:${p}:iam::${a.accountId}:instance-profile/*`,
            Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" } },
        },
        {
            Sid: "CreateOwnedInstanceProfiles",
            Effect: "Allow",
            Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
            Resource: `arn:${p}:iam::${a.accountId}:instance-profile/*`,
            Condition: { StringEquals: { [`aws:RequestTag/${clusterTag}`]: "owned" } },
        },
        {
            Sid: "DescribeCluster",
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: `arn:${p}:eks:${a.region}:${a.accountId}:cluster/${a.clusterName}`,
        },
        {
            Sid: "InterruptionQueue",
            Effect: "Allow",
            Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            Resource: a.interruptionQueueArn,
        },
    );
}

/** The EC2 events Karpenter handles from its interruption queue (EventBridge patterns). */
export const KARPENTER_INTERRUPTION_EVENTS: Readonly<Record<string, { source: string[]; "detail-type": string[] }>> = {
    "scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
    "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
    rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
    "state-change": { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
};

/** Queue policy: only EventBridge (and SQS itself) may send to the interruption queue. */
export function interruptionQueuePolicy(queueArn: string): PolicyDocument {
    return doc({
        Sid: "EventBridgeSends",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
        Action: "sqs:SendMessage",
        Resource: queueArn,
    });
}

/** Managed policies every EKS node role needs (kubelet, VPC CNI, image pulls) plus SSM for break-glass access without SSH. */
export const NODE_MANAGED_POLICIES: Readonly<Record<string, string>> = {
    worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    cni: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ecr: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    ssm: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
};

export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";

/** EKS access policies for the config's `access` levels. */
export const ACCESS_POLICY_ARNS = {
    admin: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    view: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
} as const;
