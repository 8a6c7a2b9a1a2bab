export { loadStackConfig, readRawConfig } from "./load";
export type { StackConfig, StackSecrets } from "./load";
export { ConfigError, PROJECT, SECRET_KEYS, validateStackConfig } from "./validate";
export type { ConfigProblem, RawStackConfig, SecretKey, ValidStackConfig } from "./validate";
export * from "./schema";
export { isCidr, isIpAddress, isOpenToWorld } from "../../components/network/net";
