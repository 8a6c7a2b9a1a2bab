export { Vpc, zoneKey } from "./vpc";
export type { VpcArgs } from "./vpc";
export { GcpNetwork } from "./gcp-network";
export type { GcpNetworkArgs } from "./gcp-network";
export { cidrContains, cidrSubnet, cidrsOverlap, isPrivateCidr, parseCidr, planVpcSubnets } from "./cidr";
export { subnetTags } from "./tags";
export { flowLogsTrustPolicy, flowLogsWritePolicy } from "./flow-logs";
