export { runStack } from "./run";
export type { StackOutput, StackRun } from "./run";
export { renderStack, kubernetesObjects, toRenderResult, toYaml } from "./render";
export type { RenderResult, RenderedResource } from "./render";
export { containsSecret, redactSecrets, shortRef, unwrapSecrets } from "./recorder";
export type { Registration } from "./recorder";
export { listStacks, loadStackConfig, REPO_ROOT } from "./stack-config";
export { MOCK_ACCOUNT } from "./mock-state";
