export { ServiceRelease } from "./service-release";
export { handDown } from "./depends-on";
export type { ServiceReleaseArgs } from "./service-release";
export { SYNC_OPTIONS, WEBHOOK_CA_BUNDLE_DIFFERENCES, applicationSpec, argoRepoUrl, helmChartRef } from "./source";
export type { ArgoTarget, Delivery, HelmSource, KustomizeSource, ServiceSource } from "./source";
export { ProjectScope } from "./project-scope";
export type { ProjectDestination, ProjectEntry } from "./project-scope";
