// Every stack's mock graph passes the pack with zero mandatory violations.
import { expect } from "chai";
import { loadOverrides } from "../offline/cli";
import { evaluateGraph } from "../offline/evaluate";
import { formatText } from "../offline/format";
import { RenderResult } from "../offline/graph";
import { allPolicies } from "../rules";
import { renderStack } from "../../tests/harness/render";

const STACKS = ["aws", "homelab", "hybrid", "local"];

describe("every stack passes the policy pack", function () {
    this.timeout(120_000);

    for (const stack of STACKS) {
        it(`${stack}: no mandatory violations`, async () => {
            const graph: RenderResult = await renderStack(stack);
            // With the project's policy config, as CI's preview runs the pack.
            const result = await evaluateGraph(graph, allPolicies, loadOverrides());
            const mandatory = result.violations.filter((v) => v.level === "mandatory");
            expect(mandatory, formatText({ ...result, violations: mandatory }, graph)).to.deep.equal([]);
        });
    }
});
