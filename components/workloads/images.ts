// This project's own images (workloads/detector, workloads/mcp-tool), built multi-arch by
// .github/workflows/images.yml and pushed to ghcr.io/<repository owner>/<name>.

/** The release of the workload images the platform deploys; bump it with a release tag. */
export const WORKLOAD_IMAGE_TAG = "0.1.0";
/** Where this repository's image workflow pushes them; a fork sets `imageRepository` to its own. */
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/aiops-mlops";

export function workloadImage(name: "detector" | "mcp-tool", repository: string = DEFAULT_IMAGE_REPOSITORY): string {
    return `${repository.replace(/\/$/, "")}/${name}:${WORKLOAD_IMAGE_TAG}`;
}
