import { ResourceValidationPolicy } from "@pulumi/policy";
import { asRecord, asString, getPath } from "../lib/values";

export interface Config {
    /** The annotation that marks a Service as intentionally public when set to "true". */
    readonly publicAnnotation: string;
}

export const SERVICE_TYPE = "kubernetes:core/v1:Service";

export const k8sServiceDisallowsUnannotatedLoadBalancer: ResourceValidationPolicy = {
    name: "k8s-service-disallows-unannotated-load-balancer",
    description:
        'A Service of type LoadBalancer must carry the annotation aiops.dev/public: "true", because a cloud load balancer exposes the service to the internet and that must be a deliberate, reviewable choice.',
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            publicAnnotation: {
                type: "string",
                default: "aiops.dev/public",
                description: 'Annotation that must be "true" on an intentionally public LoadBalancer Service.',
            },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== SERVICE_TYPE) {
            args.notApplicable(`Policy only applies to resources of type '${SERVICE_TYPE}'.`);
        }
        if (getPath(args.props, "spec.type") !== "LoadBalancer") {
            return;
        }
        const { publicAnnotation } = args.getConfig<Config>();
        const annotations = asRecord(getPath(args.props, "metadata.annotations")) ?? {};
        if (asString(annotations[publicAnnotation]) !== "true") {
            report(
                `spec.type is LoadBalancer without the annotation ${publicAnnotation}: "true"; use ClusterIP behind the ingress, ` +
                    `or add the annotation if the service is meant to be public.`,
            );
        }
    },
};
