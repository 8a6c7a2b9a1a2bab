/**
 * Real peers for the trainer's tests, on loopback: an MLflow server (PyPI mlflow==3.15.1, the version the
 * platform's chart ships), an S3 API (PyPI moto[server], which also answers STS for the IRSA path), and a
 * stand-in for the one Kubernetes API endpoint the trainer calls. CI installs the Python packages into the
 * virtualenv it puts first on PATH (.ci/run PIP_PACKAGES).
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { freePort } from "../server-helpers";

/** Skips the suite when a tool is missing on a laptop; fails in CI, where a skip would hide untested code. */
export function requireTools(ctx: Mocha.Context, tools: string[], install: string): void {
    const missing = tools.filter((t) => {
        try {
            execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" });
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length === 0) return;
    const message = `${missing.join(", ")} not found on PATH; ${install}`;
    if (process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
        throw new Error(`CI is set, so these tests must run: ${message}`);
    }
    console.warn(`    skipping: ${message}`);
    ctx.skip();
}

export interface Peer {
    url: string;
    stop(): Promise<void>;
}

/** Spawns a server and polls `ready` until it answers 200, bounded by timeoutMs. */
async function startProcess(
    cmd: string,
    args: string[],
    readyUrl: string,
    timeoutMs: number,
    env: NodeJS.ProcessEnv = {},
): Promise<ChildProcess> {
    const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
    const killOnExit = (): void => void proc.kill("SIGKILL");
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`${cmd} exited with code ${proc.exitCode}: ${stderr}`);
        try {
            const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
            if (res.status === 200) return proc;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    proc.kill("SIGKILL");
    throw new Error(`${cmd} did not answer ${readyUrl} within ${timeoutMs} ms: ${stderr}`);
}

function stopper(proc: ChildProcess): () => Promise<void> {
    return () =>
        new Promise((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
            proc.once("exit", () => {
                clearTimeout(timer);
                resolve();
            });
            proc.kill("SIGTERM");
        });
}

/**
 * `mlflow server` with a SQLite backend and a local artifact root, artifacts proxied (--serve-artifacts, as the
 * chart's proxiedArtifactStorage), one worker. Its first start compiles Python modules: allow two minutes.
 */
export async function startMlflow(dir: string, timeoutMs = 150_000): Promise<Peer> {
    mkdirSync(join(dir, "artifacts"), { recursive: true });
    const port = await freePort();
    const proc = await startProcess(
        "mlflow",
        [
            "server",
            "--backend-store-uri",
            `sqlite:///${join(dir, "mlflow.db")}`,
            "--artifacts-destination",
            join(dir, "artifacts"),
            "--serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--workers",
            "1",
        ],
        `http://127.0.0.1:${port}/health`,
        timeoutMs,
        { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true" },
    );
    return { url: `http://127.0.0.1:${port}`, stop: stopper(proc) };
}

/**
 * Static AWS credentials for moto in this process (the S3 SDK reads them from the environment; moto accepts any
 * key), with every other credential source unset. Returns the function that restores the environment.
 */
export function useMotoCredentials(): () => void {
    const keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE"];
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    process.env.AWS_ACCESS_KEY_ID = "test-key";
    process.env.AWS_SECRET_ACCESS_KEY = "test-secret";
    delete process.env.AWS_ROLE_ARN;
    delete process.env.AWS_WEB_IDENTITY_TOKEN_FILE;
    delete process.env.AWS_PROFILE;
    return () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    };
}

/** moto's server: S3 (path-style) and STS on one port; `buckets` are created up front. */
export async function startS3(buckets: string[], timeoutMs = 90_000): Promise<Peer> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = await startProcess("moto_server", ["-H", "127.0.0.1", "-p", String(port)], `${url}/moto-api/`, timeoutMs);
    // moto does not check signatures unless told to, so a bare PUT creates a bucket.
    for (const b of buckets) {
        const res = await fetch(`${url}/${b}`, { method: "PUT" });
        if (res.status !== 200) throw new Error(`cannot create bucket ${b} in moto: HTTP ${res.status}`);
    }
    return { url, stop: stopper(proc) };
}

export interface RecordedRequest {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

export interface KubeStandIn extends Peer {
    host: string;
    port: number;
    /** The CA bundle that verifies the server (what a pod finds in ca.crt). */
    ca: Buffer;
    requests: RecordedRequest[];
    /** The stored InferenceServices by "namespace/name". */
    objects: Map<string, Record<string, unknown>>;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> =
        typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = mergePatch(out[k], v);
    }
    return out;
}

/** A meta/v1 Status, as the API server answers errors (Kubernetes API conventions, "Response Status Kind"). */
function status(code: number, reason: string, message: string, name: string): string {
    return JSON.stringify({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message,
        reason,
        details: { name, group: "serving.kserve.io", kind: "inferenceservices" },
        code,
    });
}

/**
 * A stand-in for the Kubernetes API server that implements only GET and PATCH on
 * /apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}, over TLS with a self-signed CA
 * (openssl), like the in-cluster endpoint: 401 for a wrong bearer token, 403 unless RBAC grants the verb on
 * that name (`allowed` for patch, `allowedGet` for get, default none), 404 for an unknown object, GET: the
 * stored object; 415 for any content type but application/merge-patch+json,
 * else the merge-patched object. Shapes follow the Kubernetes API conventions (v1.31).
 */
export async function startKubeStandIn(
    dir: string,
    token: string,
    allowed: string[],
    objects: Record<string, Record<string, unknown>>,
    allowedGet: string[] = [],
): Promise<KubeStandIn> {
    mkdirSync(dir, { recursive: true });
    const key = join(dir, "tls.key");
    const crt = join(dir, "tls.crt");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            crt,
            "-days",
            "1",
            "-subj",
            "/CN=kubernetes",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc",
        ],
        { stdio: "ignore" },
    );
    const requests: RecordedRequest[] = [];
    const store = new Map(Object.entries(objects));
    const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(crt) }, (req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
            const send = (code: number, text: string) => {
                res.writeHead(code, { "content-type": "application/json" });
                res.end(text);
            };
            const m = /^\/apis\/serving\.kserve\.io\/v1beta1\/namespaces\/([^/]+)\/inferenceservices\/([^/?]+)$/.exec(req.url ?? "");
            if (req.headers.authorization !== `Bearer ${token}`) return send(401, status(401, "Unauthorized", "Unauthorized", ""));
            if (!m || (req.method !== "PATCH" && req.method !== "GET"))
                return send(404, status(404, "NotFound", "the server could not find the requested resource", ""));
            const [, ns, name] = m;
            const id = `${ns}/${name}`;
            const verb = req.method === "GET" ? "get" : "patch";
            if (!(verb === "get" ? allowedGet : allowed).includes(id)) {
                return send(
                    403,
                    status(
                        403,
                        "Forbidden",
                        `inferenceservices.serving.kserve.io "${name}" is forbidden: User "system:serviceaccount:aiops-training:trainer" cannot ${verb} resource "inferenceservices" in API group "serving.kserve.io" in the namespace "${ns}"`,
                        name,
                    ),
                );
            }
            const current = store.get(id);
            if (current === undefined)
                return send(404, status(404, "NotFound", `inferenceservices.serving.kserve.io "${name}" not found`, name));
            if (verb === "get") return send(200, JSON.stringify(current));
            if (req.headers["content-type"] !== "application/merge-patch+json") {
                return send(
                    415,
                    status(
                        415,
                        "UnsupportedMediaType",
                        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
                        name,
                    ),
                );
            }
            let patch: unknown;
            try {
                patch = JSON.parse(body);
            } catch {
                return send(400, status(400, "BadRequest", "error decoding patch", name));
            }
            const next = mergePatch(current, patch) as Record<string, unknown>;
            store.set(id, next);
            send(200, JSON.stringify(next));
        });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    return {
        url: `https://127.0.0.1:${port}`,
        host: "127.0.0.1",
        port,
        ca: readFileSync(crt),
        requests,
        objects: store,
        stop: () => new Promise((r) => server.close(() => r())),
    };
}
