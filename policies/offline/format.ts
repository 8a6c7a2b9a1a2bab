import { EvaluationResult } from "./evaluate";
import { RenderResult } from "./graph";

/** Exactly {"policies": N, "violations": [{policy, level, resource, message}]}, in the evaluator's order. */
export function formatJson(result: EvaluationResult): string {
    return JSON.stringify(
        {
            policies: result.policies,
            violations: result.violations.map(({ policy, level, resource, message }) => ({ policy, level, resource, message })),
        },
        null,
        2,
    );
}

export function summaryLine(result: EvaluationResult): string {
    const mandatory = result.violations.filter((v) => v.level === "mandatory").length;
    const advisory = result.violations.length - mandatory;
    return `${result.policies} policies, ${mandatory} mandatory violation${mandatory === 1 ? "" : "s"}, ${advisory} advisory`;
}

export function formatText(result: EvaluationResult, graph: Pick<RenderResult, "project" | "stack" | "resources">): string {
    const lines = [`Policy check of ${graph.project}/${graph.stack} (${graph.resources.length} resources)`, ""];
    for (const v of result.violations) {
        const [first, ...rest] = v.message.split("\n");
        lines.push(`${v.level === "mandatory" ? "MANDATORY" : "advisory "}  ${v.policy}  ${v.resource}`);
        lines.push(`    ${first}`, ...rest.map((line) => `    ${line}`));
    }
    if (result.violations.length === 0) {
        lines.push("No violations.");
    }
    lines.push("", summaryLine(result));
    return lines.join("\n");
}
