// Builds images from this checkout with the local Docker and imports them into a k3d cluster, so a
// contributor's change runs without a registry. Local Commands only; the cluster must exist first.
import * as command from "@pulumi/command";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { shq } from "../k3s/scripts";

export interface LocalImage {
    /** Full reference the workloads use, e.g. "k3d.local/aiops/detector:0.1.0" (tagged, so pods never pull it). */
    readonly image: string;
    /** Dockerfile, relative to the build context. */
    readonly dockerfile: string;
    /** Folders (relative to the context) whose content rebuilds the image when it changes. */
    readonly sources: readonly string[];
}

export interface K3dImageImportArgs {
    /** The k3d cluster the images go into. */
    readonly clusterName: string;
    /** Build context: the repository root, where the npm workspace lock file lives. */
    readonly context: string;
    readonly images: readonly LocalImage[];
    /** The cluster's create Command (k3d can import only into a running cluster). */
    readonly dependsOn: readonly pulumi.Resource[];
}

export function dockerBuildCommand(image: LocalImage): string {
    return `docker build -f ${shq(image.dockerfile)} -t ${shq(image.image)} .`;
}

export function k3dImportCommand(clusterName: string, image: string): string {
    return `k3d image import --cluster ${shq(clusterName)} ${shq(image)}`;
}

/** A digest of every file under the folders, so an edit rebuilds and re-imports on the next `pulumi up`. */
export function sourceDigest(context: string, folders: readonly string[]): string {
    const hash = crypto.createHash("sha256");
    const walk = (rel: string): void => {
        const abs = path.join(context, rel);
        if (!fs.existsSync(abs)) return;
        if (fs.statSync(abs).isDirectory()) {
            for (const entry of fs.readdirSync(abs).sort()) if (entry !== "node_modules" && entry !== "dist") walk(path.join(rel, entry));
            return;
        }
        hash.update(rel).update("\0").update(fs.readFileSync(abs));
    };
    folders.forEach(walk);
    return hash.digest("hex").slice(0, 16);
}

export class K3dImageImport extends pulumi.ComponentResource {
    /** The image references, in the order given. */
    readonly images: readonly string[];

    constructor(name: string, args: K3dImageImportArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:cluster:K3dImageImport", name, {}, opts);
        this.images = args.images.map((i) => i.image);
        for (const image of args.images) {
            const key = image.image.replace(/^.*\//, "").replace(/[^a-z0-9]+/g, "-");
            const triggers = [image.image, sourceDigest(args.context, [...image.sources, path.dirname(image.dockerfile)])];
            const built = new command.local.Command(
                `${name}-${key}-build`,
                { create: dockerBuildCommand(image), dir: args.context, triggers },
                { parent: this },
            );
            // No delete: the cluster's own deletion drops what was imported into it.
            new command.local.Command(
                `${name}-${key}-import`,
                { create: k3dImportCommand(args.clusterName, image.image), triggers },
                { parent: this, dependsOn: [built, ...args.dependsOn] },
            );
        }
        this.registerOutputs({ images: this.images });
    }
}
