import { PolicyResource } from "@pulumi/policy";
import { asString } from "./values";

/**
 * Whether `source.props[property]` refers to `target`.
 *
 * When the value was computed from other resources, the engine's propertyDependencies say which, and they
 * decide: during a real preview a new bucket's id is unknown, and reading an unknown prop aborts the policy
 * (@pulumi/policy throws UnknownValueError). Only a literal value is compared: with the target's physical
 * name (S3 ids are bucket names) or its logical name.
 */
export function refersTo(source: PolicyResource, property: string, target: PolicyResource, physicalNameProp?: string): boolean {
    const dependencies = source.propertyDependencies[property] ?? [];
    if (dependencies.length > 0) {
        return dependencies.some((dep) => dep.urn === target.urn);
    }
    const ref = asString(source.props[property]);
    if (ref === undefined || ref === "") {
        return false;
    }
    const physical = physicalNameProp === undefined ? undefined : asString(target.props[physicalNameProp]);
    return ref === physical || ref === target.name;
}

export function ofTypes(resources: PolicyResource[], types: readonly string[]): PolicyResource[] {
    return resources.filter((r) => types.includes(r.type));
}
