// handDown: the one helper ServiceRelease and the workloads use to pass a component's dependsOn to its children.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { handDown } from "../../components/delivery";

// handDown only sorts lists from single values and Outputs; stand-ins keep the test free of the runtime.
const res = (n: string) => ({ n }) as unknown as pulumi.Resource;

describe("handDown", () => {
    const a = res("a");
    const b = res("b");
    const extra = res("extra");

    it("returns only the extras when the caller gave no dependsOn", () => {
        expect(handDown(undefined, [extra])).to.deep.equal([extra]);
        expect(handDown(undefined)).to.deep.equal([]);
    });

    it("wraps a single resource and appends the extras after it", () => {
        const got = handDown(a, [extra]) as pulumi.Resource[];
        expect(got).to.have.length(2);
        expect(got[0]).to.equal(a);
        expect(got[1]).to.equal(extra);
    });

    it("keeps a list in order, without mutating the caller's array", () => {
        const given = [a, b];
        const got = handDown(given, [extra]) as pulumi.Resource[];
        expect(got).to.deep.equal([a, b, extra]);
        expect(given).to.have.length(2);
    });

    it("appends the extras inside an Output the caller gave, leaving the extras themselves unwrapped", async () => {
        const got = handDown(pulumi.Output.create([a]) as unknown as pulumi.Input<pulumi.Resource[]>, [extra]);
        expect(pulumi.Output.isInstance(got)).to.equal(true);
        const list = await new Promise<unknown[]>((resolve) => (got as pulumi.Output<unknown[]>).apply((v) => resolve(v)));
        expect(list).to.have.length(2);
        expect(list[1]).to.equal(extra);
    });
});
