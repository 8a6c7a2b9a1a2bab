// Pure validation of a whole stack's configuration: every problem is collected and reported at once,
// each naming the key, the bad value and the command that fixes it.
import { z } from "zod";
import { ENVIRONMENTS, Environment, awsSchema, homelabSchema, hybridSchema, localSchema, platformSchema } from "./schema";
import type { AwsConfig, HomelabConfig, HybridConfig, LocalConfig, PlatformSettings } from "./schema";
import { objectStoreProblem } from "./object-store";
import { awsProblems } from "./aws-checks";
import { homelabProblems } from "./homelab-checks";
import { hybridProblems } from "./hybrid-checks";
import { localProblems } from "./local-checks";
import { PROJECT } from "./problems";

export { PROJECT };

/** Secrets each environment needs, with what the key holds (for the error's fix line). */
export const SECRET_KEYS = {
    sshPrivateKey: "the SSH private key Pulumi uses to reach the homelab nodes (hybrid: the control-plane VM over Tailscale SSH)",
    tailscaleAuthKey: "a Tailscale auth key (reusable, pre-approved) for the control-plane VM and the edge",
    edgeSshPrivateKey: "the SSH private key for the k3d edge host",
    llmApiKey: "the API key of the LLM provider kagent uses",
    alertReportWebhookUrl:
        "a Slack-compatible incoming webhook URL the alert analyst posts its reports to (optional; unset: reports go to its log)",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

/** What the loader hands over: raw values as Pulumi config gave them, plus which secrets are set. */
export interface RawStackConfig {
    values: Record<string, unknown>;
    /** Secret keys that are present, and whether each is stored encrypted. */
    secrets: Partial<Record<SecretKey, { encrypted: boolean }>>;
    /** Every key set for this project, to catch typos. */
    setKeys: string[];
    /** The stack's name, so fixes name its file (`Pulumi.<stack>.yaml`); unknown in pure tests. */
    stack?: string;
}

/** The stack file a fix line points at. */
export function stackFile(stack: string | undefined): string {
    return stack ? `Pulumi.${stack}.yaml` : "the stack's Pulumi.<stack>.yaml";
}

/** Levenshtein distance (insert, delete, substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const row = [i];
        for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        prev = row;
    }
    return prev[y.length];
}

/**
 * The known key nearest to a misspelt one, when it is near enough to be the likely intent: at most
 * a third of the key's length in edits (at least 1, at most 3), and no tie with another key.
 */
export function nearestKey(typo: string, known: readonly string[]): string | undefined {
    const limit = Math.min(3, Math.max(1, Math.floor(typo.length / 3)));
    const scored = known.map((k) => [k, editDistance(typo, k)] as const).sort((a, b) => a[1] - b[1]);
    if (scored.length === 0 || scored[0][1] > limit) return undefined;
    return scored.length > 1 && scored[1][1] === scored[0][1] ? undefined : scored[0][0];
}

/** Keys an object schema defines at `path` (through optional/default/array/union wrappers). */
export function schemaKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
    type Def = {
        type: string;
        shape?: Record<string, z.ZodType>;
        innerType?: z.ZodType;
        element?: z.ZodType;
        options?: z.ZodType[];
        in?: z.ZodType;
    };
    const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
    const candidates = (s: z.ZodType): z.ZodType[] => {
        const d = defOf(s);
        if (d.innerType) return candidates(d.innerType);
        if (d.type === "pipe" && d.in) return candidates(d.in);
        if (d.type === "union" && d.options) return d.options.flatMap(candidates);
        return [s];
    };
    let level = candidates(schema);
    for (const p of path) {
        level = level.flatMap((s) => {
            const d = defOf(s);
            if (typeof p === "number") return d.type === "array" && d.element ? candidates(d.element) : [];
            return d.shape?.[String(p)] ? candidates(d.shape[String(p)]) : [];
        });
    }
    return [...new Set(level.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

interface Common {
    clusterName: string;
    platform: PlatformSettings;
}
export type ValidStackConfig =
    | (Common & { environment: "aws"; aws: AwsConfig })
    | (Common & { environment: "homelab"; homelab: HomelabConfig })
    | (Common & { environment: "hybrid"; hybrid: HybridConfig })
    | (Common & { environment: "local"; local: LocalConfig });

export interface ConfigProblem {
    key: string;
    message: string;
    fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - \`${p.key}\` ${p.message}\n      fix: ${p.fix}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Top-level keys the program reads (besides the secrets). */
export const KNOWN_KEYS = [
    "environment",
    "clusterName",
    "delivery",
    "profile",
    ...Object.keys(platformSchema.shape).filter((k) => k !== "delivery" && k !== "profile"),
    "aws",
    "homelab",
    "hybrid",
    "local",
] as const;

// local: Helm, so no git repository is needed; lean, to fit a laptop.
const DEFAULT_DELIVERY: Record<Environment, "helm" | "argocd"> = { aws: "helm", homelab: "argocd", hybrid: "argocd", local: "helm" };
const DEFAULT_PROFILE: Record<Environment, "standard" | "lean"> = { aws: "standard", homelab: "lean", hybrid: "lean", local: "lean" };
// hybrid serves models on the edge, which cannot reach an in-cluster store on the control plane.
const DEFAULT_OBJECT_STORE: Record<Environment, "minio" | "gcs"> = { aws: "minio", homelab: "minio", hybrid: "gcs", local: "minio" };
/** Keys whose value `auto` (Pulumi.yaml's default) means "the environment's default" from these tables. */
export const AUTO_DEFAULTS: Record<string, Record<Environment, string>> = {
    delivery: DEFAULT_DELIVERY,
    profile: DEFAULT_PROFILE,
    objectStore: DEFAULT_OBJECT_STORE,
};
export const DEFAULT_CLUSTER_NAME = "aiops";

export function validateStackConfig(raw: RawStackConfig): ValidStackConfig {
    const problems: ConfigProblem[] = [];
    const v = raw.values;

    const file = stackFile(raw.stack);
    for (const key of raw.setKeys) {
        if (!(KNOWN_KEYS as readonly string[]).includes(key) && !(key in SECRET_KEYS)) {
            const near = nearestKey(key, [...KNOWN_KEYS, ...Object.keys(SECRET_KEYS)]);
            problems.push({
                key,
                message: `is not a setting of this project (known: ${KNOWN_KEYS.join(", ")})`,
                fix: near
                    ? `did you mean '${near}'? Rename \`${PROJECT}:${key}\` to \`${PROJECT}:${near}\` in ${file}`
                    : `pulumi config rm ${PROJECT}:${key}  (or correct its spelling in ${file})`,
            });
        }
    }

    const env = v.environment;
    if (typeof env !== "string" || !(ENVIRONMENTS as readonly string[]).includes(env)) {
        problems.push({
            key: "environment",
            message: `must be one of ${ENVIRONMENTS.join(", ")}; got ${show(env)}`,
            fix: `pulumi config set ${PROJECT}:environment <${ENVIRONMENTS.join("|")}>`,
        });
        throw new ConfigError(problems);
    }
    const environment = env as Environment;

    const clusterName = v.clusterName ?? DEFAULT_CLUSTER_NAME;
    if (typeof clusterName !== "string" || !/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(clusterName)) {
        problems.push({
            key: "clusterName",
            message: `must be 3-32 lowercase letters, digits or '-'; got ${show(clusterName)}`,
            fix: `pulumi config set ${PROJECT}:clusterName aiops`,
        });
    }

    const platformRaw: Record<string, unknown> = {};
    for (const key of Object.keys(platformSchema.shape)) if (v[key] !== undefined) platformRaw[key] = v[key];
    if (platformRaw.delivery === undefined || platformRaw.delivery === "auto") platformRaw.delivery = DEFAULT_DELIVERY[environment];
    if (platformRaw.profile === undefined || platformRaw.profile === "auto") platformRaw.profile = DEFAULT_PROFILE[environment];
    if (platformRaw.objectStore === undefined || platformRaw.objectStore === "auto")
        platformRaw.objectStore = DEFAULT_OBJECT_STORE[environment];
    const platform = collect(platformSchema, platformRaw, "", problems, file);

    const sectionSchema = { aws: awsSchema, homelab: homelabSchema, hybrid: hybridSchema, local: localSchema }[environment];
    let section: unknown;
    // Every key of the local block has a default: a newcomer's stack needs no block at all.
    if (v[environment] === undefined && environment === "local") {
        section = collect(sectionSchema, {}, "local.", problems, file);
    } else if (v[environment] === undefined) {
        problems.push({
            key: environment,
            message: `is required when environment is ${environment}`,
            fix: `add a \`${PROJECT}:${environment}:\` block to ${file} (see README, "Configure")`,
        });
    } else {
        section = collect(sectionSchema, v[environment], `${environment}.`, problems, file);
    }

    if (section !== undefined) problems.push(...(CROSS_CHECKS[environment] as (s: unknown) => ConfigProblem[])(section));
    // local deploys without a key (the agent answers once one is set); elsewhere a missing key is an error.
    if (platform !== undefined && platform.llmProvider !== "ollama" && !raw.secrets.llmApiKey && environment !== "local") {
        requireSecret("llmApiKey", problems);
    }
    // hybrid: the key Pulumi offers when it reads the control-plane VM's kubeconfig over Tailscale SSH.
    const storeProblem = platform && objectStoreProblem(platform.objectStore, environment);
    if (storeProblem)
        problems.push({
            key: "objectStore",
            message: `must suit the environment: ${storeProblem}`,
            fix: `pulumi config set ${PROJECT}:objectStore auto`,
        });
    // Argo CD needs both to find the overlays; one alone is a half-made switch to GitOps delivery.
    if (platform && (platform.gitopsRepoUrl === undefined) !== (platform.gitopsRevision === undefined)) {
        const [missing, example] =
            platform.gitopsRepoUrl === undefined
                ? ["gitopsRepoUrl", "https://github.com/<you>/aiops-mlops-platform.git"]
                : ["gitopsRevision", "<tag or full commit SHA pushed to gitopsRepoUrl>"];
        problems.push({
            key: missing,
            message: `is required when ${missing === "gitopsRepoUrl" ? "gitopsRevision" : "gitopsRepoUrl"} is set (Argo CD reads the overlays from that repository at that revision)`,
            fix: `pulumi config set ${PROJECT}:${missing} ${example}  (or unset both: Pulumi then applies the overlays from this checkout)`,
        });
    }
    if (platform?.trainingOrchestrator === "kfp" && platform.objectStore === "s3") {
        problems.push({
            key: "trainingOrchestrator",
            message:
                "cannot be kfp with objectStore s3: the pipeline's steps run as KFP's pipeline-runner, which has no IRSA role for the models bucket",
            fix: `pulumi config set ${PROJECT}:trainingOrchestrator auto`,
        });
    }
    if (environment === "hybrid" && platform?.trainingOrchestrator === "kfp") {
        problems.push({
            key: "trainingOrchestrator",
            message:
                "cannot be kfp on hybrid: the pipeline's promote step rolls the detector, which runs on the edge cluster the control cluster's pods cannot patch",
            fix: `pulumi config set ${PROJECT}:trainingOrchestrator auto`,
        });
    }
    if (
        environment === "local" &&
        platform?.trainingOrchestrator === "kfp" &&
        (section as LocalConfig | undefined)?.kubeflowPipelines !== true
    ) {
        problems.push({
            key: "trainingOrchestrator",
            message: "cannot be kfp while local.kubeflowPipelines is off: there is no Kubeflow Pipelines to run the pipeline",
            fix: `pulumi config set ${PROJECT}:trainingOrchestrator auto  (or pulumi config set --path ${PROJECT}:local.kubeflowPipelines true)`,
        });
    }
    if (platform?.llmProvider === "azureopenai" && platform.azureOpenAIEndpoint === "") {
        problems.push({
            key: "azureOpenAIEndpoint",
            message: "is required when llmProvider is azureopenai",
            fix: `pulumi config set ${PROJECT}:azureOpenAIEndpoint https://<resource>.openai.azure.com`,
        });
    }
    if (environment === "homelab" || environment === "hybrid") requireSecret("sshPrivateKey", problems);
    if (environment === "hybrid") {
        requireSecret("tailscaleAuthKey", problems);
        const edge = (section as HybridConfig | undefined)?.edge;
        if (edge && edge.host !== "local") requireSecret("edgeSshPrivateKey", problems);
    }
    for (const [key, state] of Object.entries(raw.secrets)) {
        if (state && !state.encrypted) {
            problems.push({
                key,
                message: "is stored in plaintext in the stack file",
                fix: `pulumi config set --secret ${PROJECT}:${key} <value>  (this re-stores it encrypted)`,
            });
        }
    }

    function requireSecret(key: SecretKey, list: ConfigProblem[]): void {
        if (raw.secrets[key]) return;
        const value = key.endsWith("PrivateKey") ? "< ~/.ssh/id_ed25519" : "<value>";
        list.push({ key, message: `is required: ${SECRET_KEYS[key]}`, fix: `pulumi config set --secret ${PROJECT}:${key} ${value}` });
    }

    if (problems.length > 0 || platform === undefined || section === undefined) throw new ConfigError(problems);
    return { environment, clusterName: clusterName as string, platform, [environment]: section } as unknown as ValidStackConfig;
}

/** Parses one part with zod and turns each issue into a ConfigProblem; undefined when it had problems. */
function collect<S extends z.ZodType>(
    schema: S,
    value: unknown,
    prefix: string,
    problems: ConfigProblem[],
    file: string,
): z.output<S> | undefined {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
        const key = prefix + formatPath(issue.path);
        const known = issue.code === "unrecognized_keys" ? schemaKeysAt(schema, issue.path) : [];
        problems.push({ key: key.replace(/\.$/, ""), message: describe(issue), fix: fixFor(key.replace(/\.$/, ""), issue, file, known) });
    }
    return undefined;
}

export function formatPath(path: PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function describe(issue: z.core.$ZodIssue): string {
    const got = "input" in issue ? `; got ${show(issue.input)}` : "";
    switch (issue.code) {
        case "invalid_value":
            return `must be one of ${issue.values.map((x) => String(x)).join(", ")}${got}`;
        case "invalid_type":
            return issue.input === undefined ? `is required (a ${issue.expected})` : `must be a ${issue.expected}${got}`;
        case "too_small":
            return issue.origin === "array"
                ? `must have at least ${issue.minimum} item(s)${got}`
                : `must be at least ${issue.minimum}${got}`;
        case "too_big":
            return issue.origin === "array" ? `must have at most ${issue.maximum} item(s)${got}` : `must be at most ${issue.maximum}${got}`;
        case "unrecognized_keys":
            return `has unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
        default:
            return `${issue.message}${got}`;
    }
}

function fixFor(key: string, issue: z.core.$ZodIssue, file: string, known: readonly string[]): string {
    if (issue.code === "unrecognized_keys") {
        const at = (k: string) => `'${key ? key + "." : ""}${k}'`;
        const hints = issue.keys.flatMap((k) => {
            const near = nearestKey(k, known);
            return near ? [issue.keys.length === 1 ? at(near) : `${at(near)} for '${k}'`] : [];
        });
        return (
            `remove or correct ${issue.keys.map(at).join(", ")} in ${file}` +
            (hints.length > 0 ? `; did you mean ${hints.join(", ")}?` : known.length > 0 ? ` (keys there: ${known.join(", ")})` : "")
        );
    }
    const placeholder = issue.code === "invalid_value" ? `<${issue.values.map((x) => String(x)).join("|")}>` : "<value>";
    return `pulumi config set --path '${PROJECT}:${key}' ${placeholder}`;
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    if (typeof value === "string") return `'${value}'`;
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

type SectionOf<E extends Environment> = Extract<ValidStackConfig, { environment: E }> extends infer C ? C[E & keyof C] : never;

/** Rules that span fields, each environment's beside its schema (stacks/config/<env>-checks.ts). */
const CROSS_CHECKS: { [E in Environment]: (section: SectionOf<E>) => ConfigProblem[] } = {
    aws: awsProblems,
    homelab: homelabProblems,
    hybrid: hybridProblems,
    local: localProblems,
};
