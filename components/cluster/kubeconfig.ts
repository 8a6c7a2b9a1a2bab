// Kubeconfig rewriting: k3s and k3d write a server address that only works on the host itself.
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";

interface Kubeconfig {
    clusters?: { name: string; cluster: { server?: string } & Record<string, unknown> }[];
    contexts?: { name: string; context: { cluster: string; user: string } & Record<string, unknown> }[];
    users?: { name: string; user: Record<string, unknown> }[];
    "current-context"?: string;
    [key: string]: unknown;
}

/**
 * Points every cluster entry at `server` and renames cluster, user and context to `name`
 * (k3s names all three "default", which collides when several kubeconfigs are merged).
 * Throws when the text is not a kubeconfig with exactly one cluster.
 */
export function rewriteKubeconfig(text: string, server: string, name: string): string {
    let doc: Kubeconfig;
    try {
        doc = parse(text) as Kubeconfig;
    } catch (e) {
        throw new Error(`the kubeconfig read back from the cluster is not YAML: ${(e as Error).message}`);
    }
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length !== 1) {
        throw new Error(
            `expected a kubeconfig with exactly one cluster; got ${doc && Array.isArray(doc.clusters) ? doc.clusters.length : "none"} (is the cluster up?)`,
        );
    }
    const rename = (n: string) => (n === doc.clusters![0].name || n === "default" ? name : n);
    doc.clusters = doc.clusters.map((c) => ({ ...c, name, cluster: { ...c.cluster, server } }));
    doc.users = (doc.users ?? []).map((u) => ({ ...u, name: rename(u.name) }));
    doc.contexts = (doc.contexts ?? []).map((c) => ({
        ...c,
        name,
        context: { ...c.context, cluster: name, user: rename(c.context.user) },
    }));
    doc["current-context"] = name;
    return stringify(doc, { lineWidth: 0 });
}

/** The `server:` of the kubeconfig's only cluster. */
export function kubeconfigServer(text: string): string {
    const doc = parse(text) as Kubeconfig;
    const server = doc?.clusters?.[0]?.cluster?.server;
    if (!server) throw new Error("the kubeconfig has no cluster server address");
    return server;
}

/**
 * The admin kubeconfig a k3s or k3d host printed (`stdout` of the read-back command), rewritten to
 * `server` and `name`, and always a secret: it carries the cluster's admin credentials.
 */
export function hostKubeconfig(stdout: pulumi.Output<string>, server: string, name: string): pulumi.Output<string> {
    return pulumi.secret(stdout.apply((text) => rewriteKubeconfig(text, server, name)));
}
