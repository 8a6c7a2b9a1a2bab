export interface ImageRef {
    /** Registry and path, without tag or digest: "ghcr.io/org/app". */
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** Splits an image reference; a colon in the registry host ("localhost:5000/app") is not a tag. */
export function parseImage(image: string): ImageRef {
    const [nameAndTag, digest] = splitOnce(image.trim(), "@");
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const repository = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
    const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
    return { repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Why an image is not pinned, or undefined when it is (an explicit non-latest tag, or a digest). */
export function unpinnedReason(image: string | undefined): string | undefined {
    if (image === undefined || image.trim() === "") {
        return "has no image";
    }
    const ref = parseImage(image);
    if (ref.digest !== undefined) {
        return undefined;
    }
    if (ref.tag === undefined) {
        return `uses untagged image '${image}' (which means :latest)`;
    }
    if (ref.tag === "latest") {
        return `uses image '${image}' with the mutable tag :latest`;
    }
    return undefined;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
    const at = text.indexOf(separator);
    return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
