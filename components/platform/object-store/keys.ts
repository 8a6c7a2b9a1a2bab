// Key-based access shared by the stores that hand out an access key pair (MinIO, SeaweedFS, GCS HMAC).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_GRANT_SECRET, GrantArgs, ObjectStoreGrant } from "./types";

export interface KeyPair {
    readonly accessKey: pulumi.Input<string>;
    readonly secretKey: pulumi.Input<string>;
}

/** A Secret copy of the store's service keys in the consumer's namespace; values stay Pulumi secrets. */
export function keySecretGrant(name: string, args: GrantArgs, keys: KeyPair, opts: pulumi.CustomResourceOptions): ObjectStoreGrant {
    const secretName = args.secretName ?? DEFAULT_GRANT_SECRET;
    const secret = new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: secretName, namespace: args.namespace, annotations: args.annotations ?? {} },
            type: "Opaque",
            stringData: {
                [args.accessKeyKey ?? "AWS_ACCESS_KEY_ID"]: pulumi.secret(keys.accessKey),
                [args.secretKeyKey ?? "AWS_SECRET_ACCESS_KEY"]: pulumi.secret(keys.secretKey),
            },
        },
        opts,
    );
    return { secretName, secret, serviceAccountAnnotations: pulumi.output<Record<string, string>>({}) };
}
