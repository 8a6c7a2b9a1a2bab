// Every key the program hands to Helm exists in the chart at its pinned version: Helm silently ignores a key
// the chart does not read, so a misspelt or moved key is a setting that quietly never applies. The truth is
// each chart's own values.yaml at the pinned version, in ../shared/reference/charts (see its README).
import { expect } from "chai";
import { readFileSync, readdirSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../harness";
import type { Registration } from "../harness";
import { unwrapSecrets } from "../harness";
import { APPLICATION, DELIVERIES, RELEASE, STACKS, platformRun } from "./runs";

const CHARTS_DIR = path.resolve(REPO_ROOT, "../shared/reference/charts");

type Obj = Record<string, unknown>;
const isMap = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Kubernetes-typed pass-through values: charts copy them into the manifest as they are (toYaml), so any
 * key Kubernetes accepts is fine there. Only their own presence is checked, never their content.
 */
export const PASS_THROUGH = new Set([
    "resources",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "extraArgs",
    "extraEnv",
    "extraEnvVars",
    "env",
    "envFrom",
    "extraVolumes",
    "extraVolumeMounts",
    "volumes",
    "volumeMounts",
    "podAnnotations",
    "podLabels",
    "labels",
    "annotations",
    "commonLabels",
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "serviceAnnotations",
    "additionalLabels",
    "selector",
]);

/**
 * Charts whose values nest other charts' values under a key (subcharts): kube-prometheus-stack 88.5.3
 * carries grafana, kube-state-metrics and prometheus-node-exporter (its Chart.yaml dependencies).
 */
const SUBCHARTS: Record<string, Record<string, string>> = {
    "kube-prometheus-stack-88.5.3": {
        grafana: "grafana-12.11.1",
        "kube-state-metrics": "kube-state-metrics-8.4.0",
        "prometheus-node-exporter": "prometheus-node-exporter-4.56.1",
    },
};

/**
 * Maps that are not empty upstream yet free-form by the chart's templates, per `<chart>-<version>`:
 * argo-cd 10.1.1 writes every key of configs.params except create/annotations into argocd-cmd-params-cm
 * (templates/_helpers.tpl "argo-cd.config.params": omit .Values.configs.params "create" "annotations").
 */
const FREE_FORM: Record<string, readonly string[]> = {
    "argo-cd-10.1.1": ["configs.params"],
};

/**
 * Top-level keys of subcharts with no file in the reference directory, per parent chart: kagent 0.9.12
 * depends on the kmcp chart at the version its go.mod pins (github.com/kagent-dev/kmcp v0.3.0, Makefile
 * KMCP_VERSION), whose helm/kmcp/values.yaml at tag v0.3.0 has these top-level keys. Their content is not checked.
 */
const SUBCHART_KEYS: Record<string, Record<string, readonly string[]>> = {
    "kagent-0.9.12": {
        kmcp: [
            "nameOverride",
            "fullnameOverride",
            "namespaceOverride",
            "image",
            "imagePullSecrets",
            "controller",
            "podAnnotations",
            "podSecurityContext",
            "securityContext",
            "resources",
            "nodeSelector",
            "tolerations",
            "affinity",
            "serviceAccount",
            "rbac",
            "service",
        ],
    },
};

interface Reference {
    readonly defaults: Obj;
    /** Keys documented commented-out (`# key:` lines): they count as defined. */
    readonly commented: ReadonlySet<string>;
}

const references = new Map<string, Reference>();

/** The reference values of `<chart>-<version>`, or undefined when there is no file for that version. */
export function reference(id: string): Reference | undefined {
    if (!references.has(id)) {
        let text: string;
        try {
            text = readFileSync(path.join(CHARTS_DIR, `${id}.values.yaml`), "utf8");
        } catch {
            return undefined;
        }
        const commented = new Set<string>();
        for (const m of text.matchAll(/^\s*#+\s*-?\s*([A-Za-z_][\w.-]*)\s*:(\s|$)/gm)) commented.add(m[1]);
        references.set(id, { defaults: (parse(text) as Obj | null) ?? {}, commented });
    }
    return references.get(id);
}

/** Versions of `chart` the reference directory holds. */
function referenceVersions(chart: string): string[] {
    return readdirSync(CHARTS_DIR)
        .map((f) => f.match(/^(.+)-(v?\d+\.\d+\.\d+[^/]*)\.values\.yaml$/))
        .filter((m): m is RegExpMatchArray => m !== null && m[1] === chart)
        .map((m) => m[2]);
}

/**
 * Keys of `ours` that `upstream` does not define, as dotted paths. A map that is empty (or null) upstream
 * is free-form, as are lists and PASS_THROUGH keys; a key missing upstream but documented commented-out
 * counts as defined (its content is then not checked).
 */
export function unknownKeys(ours: unknown, upstream: unknown, ref: Reference, at = "", chartId = ""): string[] {
    if (!isMap(ours) || !isMap(upstream) || Object.keys(upstream).length === 0) return [];
    const found: string[] = [];
    for (const [key, value] of Object.entries(ours)) {
        const here = at ? `${at}.${key}` : key;
        const sub = at === "" ? SUBCHARTS[chartId]?.[key] : undefined;
        if (sub !== undefined) {
            const subRef = reference(sub);
            if (!subRef) throw new Error(`no reference values for subchart ${sub} in ${CHARTS_DIR}`);
            // The parent may define keys of its own under the subchart's (kube-prometheus-stack's grafana.*).
            const merged: Reference = {
                defaults: deepMerge(subRef.defaults, isMap(upstream[key]) ? upstream[key] : {}),
                commented: new Set([...subRef.commented, ...ref.commented]),
            };
            found.push(...unknownKeys(value, merged.defaults, merged, "", sub).map((p) => `${key}.${p}`));
            continue;
        }
        if (!(key in upstream)) {
            if (!ref.commented.has(key)) found.push(here);
            continue;
        }
        if (PASS_THROUGH.has(key) || key === "global" || FREE_FORM[chartId]?.includes(here)) continue;
        const subKeys = at === "" ? SUBCHART_KEYS[chartId]?.[key] : undefined;
        const below = subKeys ? { ...Object.fromEntries(subKeys.map((k) => [k, {}])), ...(upstream[key] as Obj) } : upstream[key];
        found.push(...unknownKeys(value, below, ref, here, chartId));
    }
    return found;
}

function deepMerge(a: Obj, b: Obj): Obj {
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? deepMerge(out[k] as Obj, v) : v;
    return out;
}

/**
 * Why `<chart>` at `version` cannot be checked, or undefined when it can (or has nothing to check): a
 * missing file for the pinned version says to refresh it.
 */
export function referenceProblem(name: string, chart: string, version: string, values: unknown): string | undefined {
    const id = `${chart}-${version}`;
    if (reference(id)) return undefined;
    const have = referenceVersions(chart);
    // A chart with no values of its own (kserve-crd) needs no file while nothing is set.
    if (have.length === 0 && (!isMap(values) || Object.keys(values).length === 0)) return undefined;
    return have.length > 0
        ? `${name}: ${chart} is pinned at ${version} but ${CHARTS_DIR} has ${have.join(", ")}: refresh the file (fetch ${chart}'s values.yaml at ${version} and save it as ${id}.values.yaml)`
        : `${name}: no reference values for ${id} in ${CHARTS_DIR}: add the chart's values.yaml at that version`;
}

/** The chart, version and values of a Release or an Application (helm source). */
function helmInput(r: Registration): { chart: string; version: string; values: unknown } | undefined {
    const i = unwrapSecrets(r.inputs) as Obj;
    if (r.type === RELEASE) return { chart: String(i.chart).split("/").pop()!, version: String(i.version), values: i.values };
    const source = (i.spec as Obj | undefined)?.source as Obj | undefined;
    if (r.type === APPLICATION && typeof source?.chart === "string")
        return { chart: source.chart, version: String(source.targetRevision), values: (source.helm as Obj | undefined)?.valuesObject };
    return undefined;
}

describe("values keys exist upstream: the walk", () => {
    const ref: Reference = { defaults: {}, commented: new Set(["documented"]) };
    const upstream = { a: { b: 1, c: {} }, resources: { limits: {} }, list: [{ x: 1 }] };
    it("reports keys the chart does not define, with their path", () => {
        expect(unknownKeys({ a: { b: 2, typo: 1 }, nope: true }, upstream, ref)).to.deep.equal(["a.typo", "nope"]);
    });
    it("lets empty maps, lists, pass-through keys and commented-out keys through", () => {
        expect(
            unknownKeys(
                { a: { c: { any: 1 } }, resources: { requests: { cpu: "1" } }, list: [{ y: 2 }], documented: { z: 1 } },
                upstream,
                ref,
            ),
        ).to.deep.equal([]);
    });
    it("checks kube-prometheus-stack's subcharts against their own values", () => {
        const kps = reference("kube-prometheus-stack-88.5.3");
        expect(kps, `kube-prometheus-stack-88.5.3.values.yaml in ${CHARTS_DIR}`).to.not.equal(undefined);
        const found = unknownKeys(
            { grafana: { adminPassword: "x", notAGrafanaKey: 1 } },
            kps!.defaults,
            kps!,
            "",
            "kube-prometheus-stack-88.5.3",
        );
        expect(found).to.deep.equal(["grafana.notAGrafanaKey"]);
    });
});

describe("values keys exist upstream: pins and reference files", () => {
    it("says to refresh the file when a pin moves away from the reference's version", () => {
        const problem = referenceProblem("x-minio", "minio", "5.5.0", { mode: "standalone" });
        expect(problem).to.match(/^x-minio: minio is pinned at 5\.5\.0 but .* has 5\.4\.0: refresh the file/);
        expect(referenceProblem("x-minio", "minio", "5.4.0", { mode: "standalone" })).to.equal(undefined);
        expect(referenceProblem("crd", "kserve-crd", "v0.20.0", {})).to.equal(undefined);
        expect(referenceProblem("s", "seaweedfs", "4.0.0", { master: {} })).to.match(/no reference values for seaweedfs-4\.0\.0/);
    });
});

describe("values keys exist upstream: every values object the program passes to Helm", function () {
    this.timeout(300_000);
    for (const stack of STACKS)
        for (const delivery of DELIVERIES)
            it(`${stack} with delivery ${delivery}`, async () => {
                const { run } = await platformRun(stack, delivery);
                const problems: string[] = [];
                let checked = 0;
                for (const r of run.registrations) {
                    const h = helmInput(r);
                    if (!h) continue;
                    const id = `${h.chart}-${h.version}`;
                    const problem = referenceProblem(r.name, h.chart, h.version, h.values);
                    if (problem) problems.push(problem);
                    const ref = reference(id);
                    if (!ref) continue;
                    checked++;
                    for (const key of unknownKeys(h.values, ref.defaults, ref, "", id))
                        problems.push(`${r.name}: ${id} does not define '${key}' (Helm ignores it)`);
                }
                expect(checked, "releases checked").to.be.greaterThan(3);
                expect(problems).to.deep.equal([]);
            });
});
