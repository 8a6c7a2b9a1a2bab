import { PolicyResource } from "@pulumi/policy";
import { GraphResource } from "../../offline/graph";
import { policyResourcesFromGraph } from "../../offline/evaluate";

export type Entry = Partial<GraphResource> & Pick<GraphResource, "type" | "name">;

/** Stack-policy input built the way the CLI builds it, from render-form entries. */
export function stackOf(entries: Entry[]): PolicyResource[] {
    return policyResourcesFromGraph({
        project: "aiops",
        stack: "test",
        resources: entries.map((e) => ({ parent: null, provider: null, inputs: {}, ...e })),
    });
}

export function urnOf(resources: PolicyResource[], name: string): string {
    const found = resources.find((r) => r.name === name);
    if (found === undefined) {
        throw new Error(`no resource named ${name}`);
    }
    return found.urn;
}
