// Reads the stack's Pulumi config once, validates all of it, and hands the stack a typed object.
// Nothing here declares a resource, so a bad config fails before anything is planned.
import * as pulumi from "@pulumi/pulumi";
import {
    ConfigError,
    KNOWN_KEYS,
    PROJECT,
    RawStackConfig,
    SECRET_KEYS,
    SecretKey,
    ValidStackConfig,
    stackFile,
    validateStackConfig,
} from "./validate";

/** Keys whose stack-file value is structured (JSON on the wire). */
const STRUCTURED = new Set(["aws", "homelab", "hybrid", "local", "amd64OnlyImages"]);

export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;
export type StackConfig = ValidStackConfig & { secrets: StackSecrets };

// `isConfigSecret` is exported by the runtime but missing from its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an untyped internal module
const runtimeConfig: { isConfigSecret?: (key: string) => boolean } = require("@pulumi/pulumi/runtime/config");

/** Collects the raw values Pulumi holds for this project (pure apart from reading config). */
export function readRawConfig(): RawStackConfig {
    const all = pulumi.runtime.allConfig();
    const prefix = `${PROJECT}:`;
    const setKeys = Object.keys(all)
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length));
    const values: Record<string, unknown> = {};
    const problems = [];
    for (const key of KNOWN_KEYS) {
        const text = all[prefix + key];
        if (text === undefined) continue;
        if (!STRUCTURED.has(key)) {
            values[key] = text;
            continue;
        }
        try {
            values[key] = JSON.parse(text);
        } catch {
            problems.push({
                key,
                message: `is not valid structured config; got '${text.slice(0, 60)}'`,
                fix: `write \`${key}:\` as a YAML mapping/list in ${stackFile(pulumi.getStack())}`,
            });
        }
    }
    if (problems.length > 0) throw new ConfigError(problems);

    // The providers' own keys are the single source for region and project.
    const aws = values.aws;
    if (isObject(aws) && aws.region === undefined && all["aws:region"] !== undefined) aws.region = all["aws:region"];
    const gcp = isObject(values.hybrid) ? values.hybrid.gcp : undefined;
    if (isObject(gcp)) {
        if (gcp.project === undefined && all["gcp:project"] !== undefined) gcp.project = all["gcp:project"];
        if (gcp.region === undefined && all["gcp:region"] !== undefined) gcp.region = all["gcp:region"];
        if (gcp.zone === undefined && all["gcp:zone"] !== undefined) gcp.zone = all["gcp:zone"];
    }

    const secrets: RawStackConfig["secrets"] = {};
    for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
        if (all[prefix + key] === undefined) continue;
        secrets[key] = { encrypted: runtimeConfig.isConfigSecret?.(prefix + key) ?? true };
    }
    return { values, secrets, setKeys, stack: pulumi.getStack() };
}

/** Reads and validates the whole stack config; throws one ConfigError listing every problem. */
export function loadStackConfig(): StackConfig {
    const valid = validateStackConfig(readRawConfig());
    const cfg = new pulumi.Config(PROJECT);
    const secrets: StackSecrets = {};
    for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
        const value = cfg.getSecret(key);
        if (value !== undefined) secrets[key] = value;
    }
    return { ...valid, secrets };
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
