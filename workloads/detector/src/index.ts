export * from "./series";
export * from "./features";
export * from "./model";
export * from "./metrics";
export * from "./oip";
export * from "./registry";
export * from "./prometheus";
export * from "./server";
export { main, USAGE, UsageError, parseTrainFlags, formatTimestamp } from "./cli";
