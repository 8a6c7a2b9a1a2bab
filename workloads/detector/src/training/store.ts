/**
 * The model store: an S3 API prefix (MinIO, SeaweedFS, AWS S3 with IRSA, GCS through its S3 interop with
 * HMAC keys), through @aws-sdk/client-s3. The SDK's default credential chain reads AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, or IRSA's AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (and refreshes them).
 *
 * Only single-object calls are used (PutObject, GetObject, ListObjectsV2, DeleteObject): GCS's XML API has
 * no multi-object delete, and the SDK's default request checksums (CRC32 since client-s3 3.729) are off
 * unless an operation requires them, because S3-compatible stores reject or mis-sign them (for example
 * aws/aws-sdk-java-v2#5987: GCS PutObject broken by the default checksums).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

export interface StoreLocation {
    bucket: string;
    /** Key prefix without leading or trailing slash; may be empty. */
    prefix: string;
}

/** Parses `s3://bucket[/prefix]`; throws a message naming the setting. */
export function parseStoreUri(uri: string): StoreLocation {
    const m = /^s3:\/\/([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])(\/.*)?$/.exec(uri.trim());
    if (!m)
        throw new Error(
            `MODEL_STORE_URI must look like s3://<bucket>/<prefix> (bucket: 3-63 lowercase letters, digits, '.', '_', '-'); got '${uri}'`,
        );
    const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix.split("/").some((p) => p === "." || p === ".."))
        throw new Error(`MODEL_STORE_URI must not contain '.' or '..' segments; got '${uri}'`);
    return { bucket: m[1], prefix };
}

export interface StoreOptions {
    /** s3://bucket/prefix */
    uri: string;
    /** Endpoint with scheme; undefined or empty for AWS S3. */
    endpoint?: string;
    /** Path-style addressing. Default: true with an endpoint, false for AWS. */
    forcePathStyle?: boolean;
    /** Default us-east-1. */
    region?: string;
    /** Per-request timeout. Default 30 s. */
    timeoutMs?: number;
}

/** Keys below the store's prefix, relative to it (`versions/<v>/node-cpu.json`, `current/manifest.json`). */
export interface ModelStore {
    /** What errors and logs call the store: `object store at <endpoint> (s3://bucket/prefix)`. */
    readonly description: string;
    readonly uri: string;
    put(key: string, body: string | Buffer, contentType?: string): Promise<void>;
    /** undefined when the object does not exist. */
    get(key: string): Promise<Buffer | undefined>;
    /** Relative keys under `dir` (recursive), sorted. */
    list(dir: string): Promise<string[]>;
    delete(key: string): Promise<void>;
}

export class StoreError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StoreError";
    }
}

export function createS3Store(opts: StoreOptions): ModelStore {
    const loc = parseStoreUri(opts.uri);
    const endpoint = opts.endpoint === undefined || opts.endpoint === "" ? undefined : opts.endpoint;
    const region = opts.region || "us-east-1";
    const timeout = opts.timeoutMs ?? 30000;
    const client = new S3Client({
        region,
        endpoint,
        forcePathStyle: opts.forcePathStyle ?? endpoint !== undefined,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        maxAttempts: 3,
        requestHandler: { connectionTimeout: Math.min(timeout, 10000), requestTimeout: timeout },
    });
    const where = endpoint ?? `AWS S3 (${region})`;
    const uri = `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ""}`;
    const description = `object store at ${where} (${uri})`;
    const fullKey = (key: string) => (loc.prefix ? `${loc.prefix}/${key}` : key);
    const fail = (op: string, key: string, err: unknown): never => {
        throw new StoreError(`${description}: ${op} s3://${loc.bucket}/${key} failed: ${s3ErrorText(err)}`);
    };
    return {
        description,
        uri,
        async put(key, body, contentType = "application/octet-stream") {
            const k = fullKey(key);
            try {
                await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: k, Body: body, ContentType: contentType }), {
                    abortSignal: AbortSignal.timeout(timeout),
                });
            } catch (err) {
                fail("PUT", k, err);
            }
        },
        async get(key) {
            const k = fullKey(key);
            try {
                const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: k }), {
                    abortSignal: AbortSignal.timeout(timeout),
                });
                return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
            } catch (err) {
                if ((err as { name?: string }).name === "NoSuchKey") return undefined;
                return fail("GET", k, err);
            }
        },
        async list(dir) {
            const prefix = `${fullKey(dir).replace(/\/+$/, "")}/`;
            const keys: string[] = [];
            let token: string | undefined;
            do {
                let res;
                try {
                    res = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token }), {
                        abortSignal: AbortSignal.timeout(timeout),
                    });
                } catch (err) {
                    return fail("LIST", prefix, err);
                }
                for (const o of res.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(prefix.length));
                token = res.IsTruncated ? res.NextContinuationToken : undefined;
            } while (token !== undefined);
            return keys.sort();
        },
        async delete(key) {
            const k = fullKey(key);
            try {
                await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: k }), { abortSignal: AbortSignal.timeout(timeout) });
            } catch (err) {
                fail("DELETE", k, err);
            }
        },
    };
}

/** The SDK's error as one line: its name (NoSuchBucket, AccessDenied, ...), HTTP status and message. */
export function s3ErrorText(err: unknown): string {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string; cause?: { code?: string } };
    if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
    const status = e?.$metadata?.httpStatusCode;
    const code = e?.cause?.code ?? e?.code;
    const parts = [e?.name, status ? `HTTP ${status}` : undefined, code].filter((x) => x !== undefined && x !== "" && x !== "Error");
    return `${parts.length > 0 ? `${parts.join(", ")}: ` : ""}${e?.message ?? String(err)}`;
}
