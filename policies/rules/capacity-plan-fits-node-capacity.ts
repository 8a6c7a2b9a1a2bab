import { StackValidationPolicy } from "@pulumi/policy";
import { CAPACITY_PLAN_TYPE, checkCapacity, describeShortfall, parseCapacityPlan } from "../lib/capacity";
import { ofTypes } from "../lib/graph";

export interface Config {
    /** Share of node capacity kept free for system pods, DaemonSets and rolling updates. */
    readonly headroomPercent: number;
}

export const capacityPlanFitsNodeCapacity: StackValidationPolicy = {
    name: "capacity-plan-fits-node-capacity",
    description:
        "The cpu and memory the platform's services request fit within the declared nodes' capacity minus a headroom reserve, so every pod can be scheduled and a rolling update has room.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            headroomPercent: {
                type: "number",
                minimum: 0,
                maximum: 90,
                default: 10,
                description: "Percent of total node cpu and memory kept free.",
            },
        },
    },
    validateStack: (args, report) => {
        const plans = ofTypes(args.resources, [CAPACITY_PLAN_TYPE]);
        if (plans.length === 0) {
            args.notApplicable(`The stack registers no ${CAPACITY_PLAN_TYPE}.`);
        }
        const { headroomPercent } = args.getConfig<Config>();
        for (const resource of plans) {
            // A real stack analysis sees a component's registered outputs, not its inputs: a plan that
            // records none of its fields there is checked by the offline run instead.
            if (["cluster", "nodes", "requests"].every((key) => resource.props[key] === undefined)) {
                continue;
            }
            const { plan, problems } = parseCapacityPlan(resource.props);
            if (plan === undefined) {
                report(`CapacityPlan '${resource.name}' cannot be checked: ${problems.join("; ")}. Fix the plan's inputs.`, resource.urn);
                continue;
            }
            const check = checkCapacity(plan, headroomPercent);
            if (!check.fits) {
                report(describeShortfall(plan, check, headroomPercent), resource.urn);
            }
        }
    },
};
