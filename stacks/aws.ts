// aws: VPC + EKS with its add-ons, then the platform. Wiring only.
import type { StackConfig } from "./config";
import { Vpc } from "../components/network";
import { EksCluster } from "../components/cluster";
import { deployPlatform } from "./platform";

type AwsStack = Extract<StackConfig, { environment: "aws" }>;

export function deployAws(config: AwsStack): Record<string, unknown> {
    const aws = config.aws;
    const tags = { ...aws.tags, "aiops.dev/cluster": config.clusterName };
    const network = new Vpc(`${config.clusterName}-vpc`, {
        cidrBlock: aws.vpcCidr,
        availabilityZones: aws.availabilityZones,
        natGateways: aws.natGateways,
        clusterName: config.clusterName,
        flowLogs: aws.flowLogs,
        flowLogRetentionDays: aws.flowLogRetentionDays,
        tags,
    });
    const cluster = new EksCluster(config.clusterName, {
        clusterName: config.clusterName,
        region: aws.region,
        kubernetesVersion: aws.kubernetesVersion,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        publicAccessCidrs: aws.publicAccessCidrs,
        nodeGroups: aws.nodeGroups,
        accessEntries: aws.accessEntries,
        autoscaler: aws.autoscaler,
        tags,
    });
    const platform = deployPlatform({
        config,
        site: {
            cluster,
            objectStore: { namePrefix: config.clusterName, s3: { region: aws.region, tags: aws.tags } },
            oidcProviderArn: cluster.oidcProviderArn,
        },
    });
    return {
        ...platform.outputs,
        clusterName: cluster.clusterName,
        kubeconfig: cluster.kubeconfig,
        vpcId: network.vpcId,
        oidcProviderArn: cluster.oidcProviderArn,
    };
}
