export { ServiceRelease } from "./service-release";
export type { ServiceReleaseArgs } from "./service-release";
export { SYNC_OPTIONS, applicationSpec, argoRepoUrl, helmChartRef } from "./source";
export type { ArgoTarget, Delivery, HelmSource, KustomizeSource, ServiceSource } from "./source";
