// The pack's entry point for `pulumi preview --policy-pack policies`. Constructing a PolicyPack starts a
// gRPC server and may exit the process, so nothing else lives here and no test imports this file; the
// policies are in ./rules and the offline evaluator in ./offline.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

new PolicyPack("aiops-platform", {
    description:
        "Guardrails for aiops-mlops-platform: Kubernetes workload hardening, pinned releases, private EKS, IMDSv2, S3, GCP, arch and capacity fit.",
    enforcementLevel: "advisory",
    policies: allPolicies,
});
