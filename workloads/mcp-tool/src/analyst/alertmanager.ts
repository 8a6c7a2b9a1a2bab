// Alertmanager's webhook payload, version 4:
// https://github.com/prometheus/alertmanager/blob/v0.25.0/notify/webhook/webhook.go (Message, with
// template.Data and template.Alert from template/template.go). Validated field by field so a bad sender
// learns which field is wrong.

export interface WebhookAlert {
    readonly status: "firing" | "resolved";
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly generatorURL: string;
    readonly fingerprint: string;
}

export interface WebhookMessage {
    readonly version: "4";
    readonly status: "firing" | "resolved";
    readonly receiver: string;
    readonly groupKey: string;
    readonly truncatedAlerts: number;
    readonly externalURL: string;
    readonly alerts: readonly WebhookAlert[];
}

export class PayloadError extends Error {}

function isObject(x: unknown): x is Record<string, unknown> {
    return typeof x === "object" && x !== null && !Array.isArray(x);
}

function stringMap(x: unknown, field: string): Record<string, string> {
    if (!isObject(x)) throw new PayloadError(`${field} must be an object of string values`);
    for (const [k, v] of Object.entries(x))
        if (typeof v !== "string") throw new PayloadError(`${field}.${k} must be a string; got ${typeof v}`);
    return x as Record<string, string>;
}

function status(x: unknown, field: string): "firing" | "resolved" {
    if (x !== "firing" && x !== "resolved") throw new PayloadError(`${field} must be "firing" or "resolved"; got ${JSON.stringify(x)}`);
    return x;
}

/** Parses a webhook body; throws PayloadError naming the first bad field. */
export function parseWebhookMessage(body: unknown): WebhookMessage {
    if (!isObject(body)) throw new PayloadError("the body must be a JSON object (Alertmanager webhook payload, version 4)");
    if (body.version !== "4")
        throw new PayloadError(`version must be "4" (Alertmanager webhook payload); got ${JSON.stringify(body.version)}`);
    if (!Array.isArray(body.alerts)) throw new PayloadError("alerts must be an array");
    const alerts = body.alerts.map((a, i): WebhookAlert => {
        const f = `alerts[${i}]`;
        if (!isObject(a)) throw new PayloadError(`${f} must be an object`);
        const labels = stringMap(a.labels, `${f}.labels`);
        if (!labels.alertname) throw new PayloadError(`${f}.labels.alertname is required`);
        if (typeof a.fingerprint !== "string" || a.fingerprint === "")
            throw new PayloadError(`${f}.fingerprint must be a non-empty string (Alertmanager sets it)`);
        const str = (k: string): string => {
            const v = a[k];
            if (v === undefined) return "";
            if (typeof v !== "string") throw new PayloadError(`${f}.${k} must be a string`);
            return v;
        };
        return {
            status: status(a.status, `${f}.status`),
            labels,
            annotations: a.annotations === undefined ? {} : stringMap(a.annotations, `${f}.annotations`),
            startsAt: str("startsAt"),
            endsAt: str("endsAt"),
            generatorURL: str("generatorURL"),
            fingerprint: a.fingerprint,
        };
    });
    return {
        version: "4",
        status: status(body.status, "status"),
        receiver: typeof body.receiver === "string" ? body.receiver : "",
        groupKey: typeof body.groupKey === "string" ? body.groupKey : "",
        truncatedAlerts: typeof body.truncatedAlerts === "number" ? body.truncatedAlerts : 0,
        externalURL: typeof body.externalURL === "string" ? body.externalURL : "",
        alerts,
    };
}
