/**
 * `detector roll`: rolls the predictor to the store's champion when they differ. Where the detector runs on
 * another cluster than the trainer (hybrid: KServe on the k3d edge, the trainer on GCP), the trainer's
 * promotion only writes the serving copy; this runs on the edge, next to the InferenceService, reads the
 * version of `<store>/current/manifest.json` (what a promotion or rollback wrote last) and sets the
 * predictor's version annotation with the same roll the trainer uses (kube.ts rollPredictor). It never
 * writes the store or MLflow: the champion is decided by `detector promote` / `rollback` alone.
 */
import { MODEL_FILES } from "@aiops/contract";
import { predictorVersion, rollPredictor, type InferenceServiceRef, type KubeOptions } from "./kube";
import { SERVING, servingManifest } from "./promote";
import type { ModelStore } from "./store";

export interface RollResult {
    /** rolled: annotation set to the champion; unchanged: already there; no-model: the store has only the placeholder. */
    decision: "rolled" | "unchanged" | "no-model";
    /** The store's champion (the serving copy's manifest version). */
    champion?: string;
    /** The predictor's annotation before this step. */
    previous?: string;
}

export async function rollFromStore(
    store: ModelStore,
    ref: InferenceServiceRef,
    kube: KubeOptions = {},
    log: (line: string) => void = () => undefined,
): Promise<RollResult> {
    const manifest = await servingManifest(store);
    const what = `InferenceService ${ref.namespace}/${ref.name}`;
    if (manifest === undefined) {
        // Before the first training: the placeholder is served, there is nothing to roll to.
        log(`${store.uri}/${SERVING}/${MODEL_FILES.manifest} does not exist yet (no model trained); leaving ${what}`);
        return { decision: "no-model" };
    }
    const champion = manifest.version;
    const { version: previous } = await predictorVersion(ref, kube);
    if (previous === champion) {
        log(`${what} already runs ${champion}, the champion in ${store.uri}/${SERVING}/`);
        return { decision: "unchanged", champion, previous };
    }
    const server = await rollPredictor(ref, champion, kube);
    log(`rolled ${what} from ${previous ?? "no version"} to ${champion} through ${server}`);
    return { decision: "rolled", champion, previous };
}
