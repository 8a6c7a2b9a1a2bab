// The rendered graph of every stack equals the committed snapshot, ignoring declaration order: a
// refactor that moves code must declare exactly the same resources with the same inputs. When a change
// to the graph is intended, run `npm run render:snapshot` and commit the fixture with the reason.
import { expect } from "chai";
import { RenderResult, renderStack } from "../harness/render";
import { Snapshot, diffSnapshots, readSnapshot, snapshotFile, toSnapshot } from "../harness/snapshot";
import { listStacks } from "../harness/stack-config";

describe("render snapshot", () => {
    const stacks = listStacks();

    it("covers every stack file", () => {
        expect(stacks).to.include.members(["aws", "homelab", "hybrid"]);
        for (const stack of stacks)
            expect(readSnapshot(stack), `${snapshotFile(stack)} (run npm run render:snapshot)`).to.not.equal(undefined);
    });

    for (const stack of stacks) {
        it(`${stack}: the render equals the committed snapshot (order-insensitive)`, async () => {
            const expected = readSnapshot(stack);
            if (!expected) throw new Error(`no snapshot ${snapshotFile(stack)}: run npm run render:snapshot`);
            const diff = diffSnapshots(expected, toSnapshot(await renderStack(stack)));
            if (diff.length > 0) {
                const shown = diff.slice(0, 80).join("\n") + (diff.length > 80 ? `\n... and ${diff.length - 80} more lines` : "");
                expect.fail(
                    `render of ${stack} differs from ${snapshotFile(stack)}:\n${shown}\n(intended? run npm run render:snapshot and say why in the commit)`,
                );
            }
        });
    }

    describe("the comparison", () => {
        const base: RenderResult = {
            project: "p",
            stack: "s",
            resources: [
                { type: "t:m:A", name: "a", parent: null, provider: null, inputs: { x: 1, list: [1, 2] } },
                { type: "t:m:B", name: "b", parent: "t:m:A::a", provider: null, inputs: { y: { z: "v" } } },
            ],
            outputs: { url: "u" },
        };
        const snap = (r: RenderResult): Snapshot => toSnapshot(r);

        it("ignores declaration order and key order", () => {
            const reordered: RenderResult = {
                ...base,
                resources: [
                    { type: "t:m:B", name: "b", parent: "t:m:A::a", provider: null, inputs: { y: { z: "v" } } },
                    { type: "t:m:A", name: "a", parent: null, provider: null, inputs: { list: [1, 2], x: 1 } },
                ],
            };
            expect(diffSnapshots(snap(base), snap(reordered))).to.deep.equal([]);
        });

        it("names added, removed and changed resources and the changed leaf", () => {
            const changed: RenderResult = {
                ...base,
                resources: [
                    { type: "t:m:A", name: "a", parent: null, provider: null, inputs: { x: 2, list: [2, 1] } },
                    { type: "t:m:C", name: "c", parent: null, provider: null, inputs: {} },
                ],
                outputs: { url: "w" },
            };
            expect(diffSnapshots(snap(base), snap(changed))).to.deep.equal([
                "~ changed t:m:A::a",
                "    .inputs.list[0]: 1 -> 2",
                "    .inputs.list[1]: 2 -> 1",
                "    .inputs.x: 1 -> 2",
                "- removed t:m:B::b",
                "+ added   t:m:C::c",
                "~ changed stack outputs",
                '    outputs.url: "u" -> "w"',
            ]);
        });

        it("refuses a render that declares one resource twice", () => {
            expect(() => snap({ ...base, resources: [base.resources[0], base.resources[0]] })).to.throw(/declares t:m:A::a twice/);
        });
    });
});
