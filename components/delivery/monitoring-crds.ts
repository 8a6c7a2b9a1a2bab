// One rule for every object that is, or makes a chart render, a monitoring.coreos.com kind (ServiceMonitor,
// PodMonitor, PrometheusRule, Probe...): it waits for the Helm release that installs those CRDs. Without
// the wait the API server answers "no matches for kind" and the Helm release (atomic) rolls back; e.g. the
// minio chart 5.4.0 renders a monitoring.coreos.com/v1 Probe whenever metrics.serviceMonitor.enabled is on
// (templates/servicemonitor.yaml). Applied as a transformation to every component placed on a cluster, so a
// new chart option or custom resource cannot forget it.
import * as pulumi from "@pulumi/pulumi";

export const MONITORING_GROUP = "monitoring.coreos.com";

/** Values keys that switch on one of the Prometheus operator's kinds in the charts this program installs. */
const MONITOR_KEY = /^(servicemonitors?|podmonitors?|prometheusrules?|probes?|scrapeconfigs?)$/i;

/**
 * Paths in a chart's values that turn on a monitoring.coreos.com object: a key named after one of the kinds
 * (any case, e.g. `metrics.serviceMonitor`, cert-manager's `prometheus.servicemonitor`) that is `true` or
 * has `enabled: true`. Pure. A `crds` subtree lists CRDs to install, not objects, and is skipped.
 */
export function monitoringOptionPaths(values: unknown, path = ""): string[] {
    if (values === null || typeof values !== "object" || pulumi.Output.isInstance(values)) return [];
    const found: string[] = [];
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        const at = path ? `${path}.${key}` : key;
        if (key === "crds") continue;
        const on = value === true || (value !== null && typeof value === "object" && (value as Record<string, unknown>).enabled === true);
        if (MONITOR_KEY.test(key) && on) found.push(at);
        else found.push(...monitoringOptionPaths(value, at));
    }
    return found;
}

const RELEASE = "kubernetes:helm.sh/v3:Release";
const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";

/**
 * Whether a resource about to be registered is, or renders, a monitoring.coreos.com kind: the custom
 * resource itself, a Helm release whose values switch a monitor on, or an Argo CD Application whose Helm
 * values do (an Output for Applications, whose spec is computed).
 */
export function rendersMonitoringKinds(type: string, props: Record<string, unknown>): pulumi.Input<boolean> {
    if (type.startsWith(`kubernetes:${MONITORING_GROUP}/`)) return true;
    if (type === RELEASE) return outputOrValue(props.values, (v) => monitoringOptionPaths(v).length > 0);
    if (type === APPLICATION)
        return outputOrValue(props.spec, (s) => {
            const source = (s as { source?: { helm?: { valuesObject?: unknown } } } | undefined)?.source;
            return monitoringOptionPaths(source?.helm?.valuesObject).length > 0;
        });
    return false;
}

function outputOrValue<T>(value: unknown, f: (v: unknown) => T): pulumi.Input<T> {
    return pulumi.Output.isInstance(value) ? (value as pulumi.Output<unknown>).apply(f) : f(value);
}

/**
 * The transformation that enforces the rule on one cluster. `crds` is the release installing the
 * monitoring CRDs there; undefined means the cluster runs no Prometheus operator (the hybrid edge), and a
 * monitor declared there is refused with the name of the resource, since it could never be applied.
 */
export function awaitMonitoringCrds(crds: pulumi.Resource | undefined, cluster: string): pulumi.ResourceTransformation {
    return (t) => {
        const renders = rendersMonitoringKinds(t.type, t.props);
        if (renders === false) return undefined;
        const refuse = () =>
            new Error(
                `${t.type} '${t.name}' renders a ${MONITORING_GROUP} kind, but cluster '${cluster}' has no Prometheus operator CRDs: turn its monitor option off there`,
            );
        if (!pulumi.Output.isInstance(renders)) {
            if (!crds) throw refuse();
            return { props: t.props, opts: pulumi.mergeOptions(t.opts, { dependsOn: [crds] }) };
        }
        // Computed values (Applications): depend on the CRDs whatever they hold, since an unknown value at
        // preview must not drop the dependency; where there are no CRDs, refuse once the values are known.
        if (crds) return { props: t.props, opts: pulumi.mergeOptions(t.opts, { dependsOn: [crds] }) };
        (renders as pulumi.Output<boolean>).apply((yes) => {
            if (yes) throw refuse();
        });
        return undefined;
    };
}
