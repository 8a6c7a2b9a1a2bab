// A component's dependsOn does not order its children (the engine records it on the component only),
// so components hand it down to every child that must wait too.
import * as pulumi from "@pulumi/pulumi";

/** The caller's dependsOn (a resource, a list, or an Input of either) plus extra resources, as one list. */
export function handDown(
    given: pulumi.ComponentResourceOptions["dependsOn"],
    extra: readonly pulumi.Resource[] = [],
): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
    if (given === undefined) return [...extra];
    // Never pulumi.output() a Resource: it would be unwrapped into a plain object.
    if (pulumi.Output.isInstance(given)) {
        return (given as pulumi.Output<pulumi.Resource | pulumi.Input<pulumi.Resource>[]>).apply((g) => [
            ...(Array.isArray(g) ? g : [g]),
            ...extra,
        ]);
    }
    return [...(Array.isArray(given) ? given : [given as pulumi.Input<pulumi.Resource>]), ...extra];
}
