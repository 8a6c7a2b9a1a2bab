// Kubernetes resource quantities to numbers (cores and bytes). A copy of the program's parser
// (components/shared/quantity.ts), so the pack imports nothing from the program and publishes from this
// folder alone; tests/foundation/policy-lib-agrees.spec.ts fails when the two drift apart.
// https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
const SUFFIX: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A quantity as a number (cores for cpu, bytes for memory); undefined when it does not parse. */
export function parseQuantity(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value !== "string") return undefined;
    const match = QUANTITY.exec(value.trim());
    return match === null ? undefined : Number(match[1]) * SUFFIX[match[2] ?? ""];
}
