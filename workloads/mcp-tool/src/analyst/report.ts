// The markdown report (and the prompt the agent gets): plain markdown that Slack, Mattermost and a log
// reader all render acceptably.
import type { AlertContext, Series } from "./context";

const SPARK = "▁▂▃▄▅▆▇█";

/** A one-line sparkline of a series' values. */
export function sparkline(values: readonly number[], width = 30): string {
    if (values.length === 0) return "";
    const step = Math.max(1, Math.ceil(values.length / width));
    const sampled = values.filter((_, i) => i % step === 0);
    const lo = Math.min(...sampled);
    const hi = Math.max(...sampled);
    return sampled.map((v) => SPARK[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (SPARK.length - 1))]).join("");
}

const num = (v: number): string => (Math.abs(v) >= 1000 ? v.toExponential(2) : v.toFixed(Math.abs(v) < 1 ? 3 : 1));

function seriesLines(series: readonly Series[], label: string): string[] {
    return series
        .filter((s) => s.points.length > 0)
        .slice(0, 8)
        .map((s) => {
            const v = s.points.map(([, x]) => x);
            const name =
                s.labels[label] ??
                Object.entries(s.labels)
                    .map(([k, x]) => `${k}=${x}`)
                    .join(",");
            return `- \`${name}\` last ${num(v[v.length - 1])}, min ${num(Math.min(...v))}, max ${num(Math.max(...v))} \`${sparkline(v)}\``;
        });
}

/** The context as markdown sections (shared by the prompt and the report). */
export function contextMarkdown(c: AlertContext): string {
    const a = c.alert;
    const labels = Object.entries(a.labels)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(" ");
    const out = [
        `**Summary:** ${a.annotations.summary ?? "(none)"}`,
        ...(a.annotations.description ? [`**Description:** ${a.annotations.description}`] : []),
        `**Since:** ${a.startsAt || "unknown"}`,
        `**Labels:** ${labels}`,
        ...(a.annotations.runbook_url ? [`**Runbook:** ${a.annotations.runbook_url}`] : []),
    ];
    if (c.window && c.metric) {
        out.push("", `**${c.metric} on ${c.instance}, last ${c.windowMinutes} min**`);
        const lines = seriesLines(c.window, "instance");
        out.push(...(lines.length ? lines : ["- no samples"]));
    }
    if (c.scores) {
        out.push("", `**Anomaly scores for ${c.instance} (0..1), last ${c.windowMinutes} min**`);
        const lines = seriesLines(c.scores, "metric");
        out.push(...(lines.length ? lines : ["- no scores (is the scorer running?)"]));
    }
    if (c.events) {
        out.push("", "**Recent Kubernetes events**");
        out.push(
            ...(c.events.length
                ? c.events.map((e) => `- ${e.time} ${e.type} ${e.reason} ${e.object}${e.count > 1 ? ` (x${e.count})` : ""}: ${e.message}`)
                : ["- none"]),
        );
    }
    if (c.notes.length) out.push("", "**Not available:**", ...c.notes.map((n) => `- ${n}`));
    return out.join("\n");
}

function title(c: AlertContext): string {
    const a = c.alert;
    const where =
        c.instance ?? (a.labels.pod ? `${a.labels.namespace}/${a.labels.pod}` : (a.labels.namespace ?? a.labels.job ?? "cluster"));
    return `${a.labels.alertname} on ${where} (${a.labels.severity ?? "no severity"})`;
}

/** What the agent is asked: read-only advice, a fixed answer shape. */
export function prompt(c: AlertContext): string {
    return [
        `An alert is firing: ${title(c)}.`,
        "",
        contextMarkdown(c),
        "",
        "Using your tools where useful (read-only: do not change anything in the cluster), list the 1 to 3 most likely root causes,",
        "most likely first. For each give one line of evidence and exactly one concrete remediation step an operator can take.",
        "Answer in markdown: a numbered list, each item `**cause** — evidence. *Remediation:* step.`",
    ].join("\n");
}

export type AgentOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** The report posted to the webhook (or the log). */
export function reportMarkdown(c: AlertContext, agent: AgentOutcome): string {
    const head = `### :rotating_light: ${title(c)}`;
    const analysis = agent.ok
        ? ["**Likely root causes** _(AI analysis, advisory: nothing was changed)_", agent.text]
        : [`**No AI analysis:** ${agent.reason}. The context below is everything the analyst gathered.`];
    return [head, "", ...analysis, "", "---", contextMarkdown(c)].join("\n");
}
