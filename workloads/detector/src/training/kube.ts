/**
 * Rolls the detector's predictor: one JSON merge patch (RFC 7386) on the InferenceService setting
 * `spec.predictor.annotations[aiops.dev/model-version]`. KServe v0.20.0 copies the predictor's annotations
 * onto the pod template of the predictor Deployment (pkg/controller/v1beta1/inferenceservice/components/
 * predictor.go buildObjectMeta -> reconcilers/deployment/deployment_reconciler.go createRawDefaultDeployment),
 * so a new value starts a rolling update whose storage-initializer downloads the new serving copy.
 *
 * In-cluster credentials only: the ServiceAccount token and CA under /var/run/secrets/kubernetes.io/
 * serviceaccount and KUBERNETES_SERVICE_HOST/PORT. The token is re-read on every call (bound tokens rotate).
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { MODEL_VERSION_ANNOTATION } from "@aiops/contract";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export class KubernetesError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "KubernetesError";
    }
}

export interface InferenceServiceRef {
    namespace: string;
    name: string;
}

/** `<namespace>/<name>` (INFERENCE_SERVICE); both DNS-1123 names. */
export function parseInferenceServiceRef(text: string): InferenceServiceRef {
    const m = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/.exec(text.trim());
    if (!m)
        throw new Error(
            `INFERENCE_SERVICE must be <namespace>/<name> in lowercase DNS-1123 form (e.g. aiops-serving/anomaly-detector); got '${text}'`,
        );
    return { namespace: m[1], name: m[3] };
}

export interface KubeOptions {
    /** Where the token and ca.crt are. Default SERVICE_ACCOUNT_DIR. */
    serviceAccountDir?: string;
    /** Default process.env (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT). */
    env?: NodeJS.ProcessEnv;
    /** Default 15 s. */
    timeoutMs?: number;
}

/** The merge patch a promotion sends: only the version annotation of the predictor. */
export function rollPatch(version: string): Record<string, unknown> {
    return { spec: { predictor: { annotations: { [MODEL_VERSION_ANNOTATION]: version } } } };
}

/** PATCHes the InferenceService with rollPatch(version); resolves to the API server's URL on success. */
export async function rollPredictor(ref: InferenceServiceRef, version: string, opts: KubeOptions = {}): Promise<string> {
    return (await inferenceServiceRequest("patch", ref, opts, JSON.stringify(rollPatch(version)))).server;
}

/**
 * The version annotation the predictor runs with (`spec.predictor.annotations[aiops.dev/model-version]`), or
 * undefined when it has none: one GET, what the edge's model roller compares with the store's champion.
 */
export async function predictorVersion(
    ref: InferenceServiceRef,
    opts: KubeOptions = {},
): Promise<{ version: string | undefined; server: string }> {
    const { server, text } = await inferenceServiceRequest("get", ref, opts);
    let isvc: { spec?: { predictor?: { annotations?: Record<string, unknown> } } };
    try {
        isvc = JSON.parse(text) as typeof isvc;
    } catch {
        throw new KubernetesError(`Kubernetes API at ${server} answered GET InferenceService ${ref.namespace}/${ref.name} with non-JSON`);
    }
    const v = isvc?.spec?.predictor?.annotations?.[MODEL_VERSION_ANNOTATION];
    return { version: typeof v === "string" ? v : undefined, server };
}

/** One call on the InferenceService (the roll's PATCH or the roller's GET) with the pod's token. */
async function inferenceServiceRequest(
    verb: "get" | "patch",
    ref: InferenceServiceRef,
    opts: KubeOptions,
    body?: string,
): Promise<{ server: string; text: string }> {
    const env = opts.env ?? process.env;
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? "443";
    if (!host) {
        throw new KubernetesError(
            verb === "patch"
                ? "cannot roll the predictor: KUBERNETES_SERVICE_HOST is not set (not running in a pod); leave INFERENCE_SERVICE empty to skip the roll"
                : "cannot read the predictor's version: KUBERNETES_SERVICE_HOST is not set (not running in a pod)",
        );
    }
    const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    let token: string;
    let ca: Buffer;
    try {
        token = readFileSync(join(dir, "token"), "utf8").trim();
        ca = readFileSync(join(dir, "ca.crt"));
    } catch (err) {
        throw new KubernetesError(
            `cannot read the ServiceAccount token or CA in ${dir} for the Kubernetes API at ${server}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; ` +
                "the pod needs automountServiceAccountToken: true",
        );
    }
    const path = `/apis/serving.kserve.io/v1beta1/namespaces/${ref.namespace}/inferenceservices/${ref.name}`;
    const what = `InferenceService ${ref.namespace}/${ref.name}`;
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (body !== undefined) {
        headers["content-type"] = "application/merge-patch+json";
        headers["content-length"] = Buffer.byteLength(body);
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
            { host: host, port: Number(port), path, method: verb.toUpperCase(), ca, headers, timeout: opts.timeoutMs ?? 15000 },
            (res) => {
                let data = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (data += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, text: data }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
        req.on("error", (err: NodeJS.ErrnoException) =>
            reject(new KubernetesError(`cannot reach the Kubernetes API at ${server} to ${verb} ${what}: ${err.code ?? err.message}`)),
        );
        req.end(body);
    });
    if (status >= 200 && status < 300) return { server, text };
    // Errors are a meta/v1 Status: {kind: "Status", status: "Failure", message, reason, code}.
    let message = text.slice(0, 300);
    let reason = "";
    try {
        const s = JSON.parse(text) as { message?: string; reason?: string };
        message = s.message ?? message;
        reason = s.reason ?? "";
    } catch {
        // not a Status object
    }
    const hint =
        status === 403
            ? `; the pod's ServiceAccount needs a Role in ${ref.namespace} with verb ${verb} on inferenceservices.serving.kserve.io, resourceNames [${ref.name}]`
            : status === 404
              ? `; check INFERENCE_SERVICE (${ref.namespace}/${ref.name}) and that KServe's CRDs are installed`
              : status === 401
                ? "; the ServiceAccount token was refused (expired or not a token of this cluster)"
                : "";
    throw new KubernetesError(
        `Kubernetes API at ${server} refused to ${verb} ${what} (HTTP ${status}${reason ? ` ${reason}` : ""}): ${message}${hint}`,
        status,
    );
}
