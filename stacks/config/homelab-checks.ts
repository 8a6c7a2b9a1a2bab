// Rules of the `homelab` block (schema: homelabSchema in schema.ts) that span fields: exactly one server,
// unique names and addresses, a stateful node that exists, a schedulable amd64 node.
import type { HomelabConfig } from "./schema";
import { PROJECT, Problem, duplicates } from "./problems";

export function homelabProblems(lab: HomelabConfig): Problem[] {
    const problems: Problem[] = [];
    const add = (key: string, message: string, fix: string) => problems.push({ key, message, fix });
    const servers = lab.nodes.filter((n) => n.role === "server");
    if (servers.length !== 1) {
        add(
            "homelab.nodes",
            `must have exactly one node with role server; got ${servers.length} (${servers.map((s) => s.name).join(", ") || "none"})`,
            "set role: server on one node and role: agent on the others",
        );
    }
    duplicates(lab.nodes.map((n) => n.name)).forEach((n) =>
        add("homelab.nodes", `has duplicate name '${n}'`, "give each node a unique name (k3s requires unique hostnames)"),
    );
    duplicates(lab.nodes.map((n) => n.address)).forEach((a) =>
        add("homelab.nodes", `has duplicate address '${a}'`, "give each node its own address"),
    );
    if (lab.statefulNode !== undefined && !lab.nodes.some((n) => n.name === lab.statefulNode)) {
        add(
            "homelab.statefulNode",
            `must name one of the nodes (${lab.nodes.map((n) => n.name).join(", ")}); got '${lab.statefulNode}'`,
            `pulumi config set --path '${PROJECT}:homelab.statefulNode' ${lab.nodes[lab.nodes.length - 1]?.name ?? "<node>"}`,
        );
    }
    const schedulable = lab.nodes.filter((n) => !(n.role === "server" && lab.taintServer));
    if (servers.length === 1 && !schedulable.some((n) => n.arch === "amd64")) {
        add(
            "homelab.nodes",
            "needs a schedulable amd64 node: Kubeflow Pipelines' metadata images have no arm64 build",
            "add an amd64 agent, or set taintServer: false if the server is amd64",
        );
    }
    return problems;
}
