// The local stack's UIs on http://<name>.localhost:<port>: one Ingress per UI through k3s's bundled
// Traefik, which k3d's load balancer publishes on a loopback port. Browsers resolve *.localhost to
// 127.0.0.1 themselves (RFC 6761), so no /etc/hosts edit is needed.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** One UI: the Service it fronts and the host name it gets. */
export interface UiRoute {
    /** Host label: the UI is served at http://<name>.localhost:<httpPort>. */
    readonly name: string;
    readonly namespace: string;
    readonly service: string;
    readonly port: number;
    /** Resources the Ingress waits for (its namespace, the release that makes the Service). */
    readonly dependsOn?: readonly pulumi.Resource[];
}

export interface LocalUiRoutesArgs {
    readonly routes: readonly UiRoute[];
    /** Host port k3d's load balancer forwards to Traefik's port 80 (local.httpPort). */
    readonly httpPort: number;
    /** IngressClass of k3s's bundled Traefik (default "traefik"). */
    readonly ingressClass?: string;
}

export function uiHost(name: string): string {
    return `${name}.localhost`;
}

export function uiUrl(name: string, httpPort: number): string {
    return `http://${uiHost(name)}:${httpPort}`;
}

/** The Ingress body for one route. Pure, tested directly. */
export function uiIngressSpec(route: UiRoute, ingressClass: string): k8s.types.input.networking.v1.IngressSpec {
    return {
        ingressClassName: ingressClass,
        rules: [
            {
                host: uiHost(route.name),
                http: {
                    paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: route.service, port: { number: route.port } } } }],
                },
            },
        ],
    };
}

export class LocalUiRoutes extends pulumi.ComponentResource {
    /** UI name -> URL, for the stack outputs. */
    readonly urls: Readonly<Record<string, string>>;

    constructor(name: string, args: LocalUiRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiops:platform:LocalUiRoutes", name, {}, opts);
        const ingressClass = args.ingressClass ?? "traefik";
        const urls: Record<string, string> = {};
        for (const route of args.routes) {
            new k8s.networking.v1.Ingress(
                `${name}-${route.name}`,
                {
                    metadata: {
                        name: `${route.name}-ui`,
                        namespace: route.namespace,
                        labels: { "app.kubernetes.io/part-of": "aiops-mlops-platform", "app.kubernetes.io/component": "ui-route" },
                    },
                    spec: uiIngressSpec(route, ingressClass),
                },
                { parent: this, dependsOn: [...(route.dependsOn ?? [])] },
            );
            urls[route.name] = uiUrl(route.name, args.httpPort);
        }
        this.urls = urls;
        this.registerOutputs({ urls });
    }
}
