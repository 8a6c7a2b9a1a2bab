// Builds the config map `pulumi up` would hand the program, from the committed Pulumi.yaml and
// Pulumi.<stack>.yaml, so tests and render exercise the real stack files.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Where Pulumi.yaml and the stack files are read from; AIOPS_PROJECT_ROOT points elsewhere (tests). */
export function projectRoot(): string {
    return process.env.AIOPS_PROJECT_ROOT ?? REPO_ROOT;
}

export interface StackConfigMap {
    project: string;
    config: Record<string, string>;
    secretKeys: string[];
}

/** Changes applied on top of the stack file: a value sets the key, `undefined` removes it. */
export type ConfigOverrides = Record<string, unknown>;

interface ProjectFile {
    name: string;
    config?: Record<string, { default?: unknown; value?: unknown } | string | number | boolean>;
}

export function readProject(root = projectRoot()): ProjectFile {
    return parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

export function listStacks(root = projectRoot()): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/**
 * Secrets a user sets with `pulumi config set --secret` before `pulumi up` (the stack files hold none).
 * The harness supplies placeholders for them unless an override removes one (value `undefined`).
 */
export const MOCK_SECRETS = ["sshPrivateKey", "tailscaleAuthKey", "edgeSshPrivateKey", "llmApiKey"];

/**
 * Config for one stack. `secure:` values become placeholders marked secret, as the CLI would decrypt them.
 * Override keys may omit the project prefix; `{ secure: "..." }` sets a secret.
 */
export function loadStackConfig(stack: string, overrides: ConfigOverrides = {}, root = projectRoot()): StackConfigMap {
    const project = readProject(root);
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`no stack file Pulumi.${stack}.yaml (stacks: ${listStacks(root).join(", ")})`);
    }
    const stackFile = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const value = typeof decl === "object" && decl !== null ? (decl.value ?? decl.default) : decl;
        if (value !== undefined) config[qualify(key)] = encode(value);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        if (isSecure(value)) {
            config[key] = `mock-secret-for-${key.split(":").pop()}`;
            secretKeys.push(key);
        } else {
            config[key] = encode(value);
        }
    }
    for (const key of MOCK_SECRETS.map(qualify)) {
        if (!(key in config)) {
            config[key] = `mock-secret-for-${key.split(":").pop()}`;
            secretKeys.push(key);
        }
    }
    for (const [key, value] of Object.entries(overrides)) {
        const k = qualify(key);
        if (value === undefined) {
            delete config[k];
        } else if (isSecure(value)) {
            config[k] = `mock-secret-for-${k.split(":").pop()}`;
            if (!secretKeys.includes(k)) secretKeys.push(k);
        } else {
            config[k] = encode(value);
            const i = secretKeys.indexOf(k);
            if (i >= 0) secretKeys.splice(i, 1);
        }
    }
    return { project: project.name, config, secretKeys: secretKeys.filter((k) => k in config) };
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value;
}

function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}
