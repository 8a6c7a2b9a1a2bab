/**
 * Prometheus metrics in the text exposition format (version 0.0.4): counters, gauges and histograms with
 * labels, on a registry that renders them for a scrape. The detector's own metrics and its process metrics
 * (process-metrics.ts) use it.
 *
 * Why not prom-client (which this replaced, with the same metric names and the same text): loading it adds
 * about 12 MiB of RSS to the detector (its default metrics load all of @opentelemetry/api for exemplars),
 * which alone was the rest of issue 15's RSS gap to a bare Node server. The detector needs none of
 * exemplars, summaries, pushgateway or cluster aggregation.
 */

/** Label values by label name. Every name must be one of the metric's labelNames. */
export type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface MetricOptions<L extends string> {
    name: string;
    help: string;
    labelNames?: readonly L[];
    /** Registries the metric renders on. */
    registers?: readonly Registry[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A metric family: HELP and TYPE, then one line (a histogram: several) per label set. */
abstract class Metric<L extends string> {
    readonly name: string;
    readonly help: string;
    readonly labelNames: readonly L[];
    abstract readonly type: "counter" | "gauge" | "histogram";

    constructor(opts: MetricOptions<L>) {
        if (!METRIC_NAME.test(opts.name)) throw new Error(`invalid metric name '${opts.name}'`);
        for (const l of opts.labelNames ?? []) {
            if (!LABEL_NAME.test(l) || l.startsWith("__") || l === "le") throw new Error(`invalid label name '${l}' on ${opts.name}`);
        }
        this.name = opts.name;
        this.help = opts.help;
        this.labelNames = opts.labelNames ?? [];
        for (const r of opts.registers ?? []) r.register(this);
    }

    /** Runs before each render (gauges that read their value at scrape time). */
    collect(): void {}

    /** The family's sample lines. */
    abstract samples(): string[];

    /** The series key of a label set, checking the names (an unknown name is a bug at the call site). */
    protected key(labels: Labels<L> | undefined): string {
        if (labels === undefined) return "";
        for (const name of Object.keys(labels)) {
            if (!this.labelNames.includes(name as L)) throw new Error(`metric ${this.name} has no label '${name}'`);
        }
        let key = "";
        for (const name of this.labelNames) {
            const v = labels[name];
            if (v !== undefined) key += `${key === "" ? "" : ","}${name}="${escapeLabel(String(v))}"`;
        }
        return key;
    }
}

/** A value that only goes up. */
export class Counter<L extends string = string> extends Metric<L> {
    readonly type = "counter";
    private readonly values = new Map<string, number>();

    /** Adds `value` (default 1; never negative) to the series of `labels`. */
    inc(labels?: Labels<L> | number, value = 1): void {
        if (typeof labels === "number") return this.inc(undefined, labels);
        if (!(value >= 0) || !Number.isFinite(value))
            throw new Error(`counter ${this.name} can only go up by a finite amount; got ${value}`);
        const k = this.key(labels);
        this.values.set(k, (this.values.get(k) ?? 0) + value);
    }

    samples(): string[] {
        // An unlabelled counter reads 0 before its first increment, as prom-client's did.
        if (this.values.size === 0 && this.labelNames.length === 0) return [`${this.name} 0`];
        return [...this.values].map(([k, v]) => line(this.name, k, v));
    }
}

export interface GaugeOptions<L extends string> extends MetricOptions<L> {
    /** Sets the gauge's series at every scrape; `this` is the gauge. */
    collect?: (this: Gauge<L>) => void;
}

/** A value set at will, or at scrape time by `collect`. */
export class Gauge<L extends string = string> extends Metric<L> {
    readonly type = "gauge";
    private readonly values = new Map<string, number>();
    private readonly onCollect: ((this: Gauge<L>) => void) | undefined;

    constructor(opts: GaugeOptions<L>) {
        super(opts);
        this.onCollect = opts.collect;
    }

    set(labels: Labels<L> | number, value?: number): void {
        if (typeof labels === "number") this.values.set("", labels);
        else this.values.set(this.key(labels), value as number);
    }

    /** Drops every series (collect callbacks start from nothing, so a removed model's series disappear). */
    reset(): void {
        this.values.clear();
    }

    override collect(): void {
        this.onCollect?.call(this);
    }

    samples(): string[] {
        return [...this.values].map(([k, v]) => line(this.name, k, v));
    }
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
    /** Upper bounds of the buckets, ascending (+Inf is added). */
    buckets: readonly number[];
}

/** Observations counted into cumulative buckets, with their sum and count per label set. */
export class Histogram<L extends string = string> extends Metric<L> {
    readonly type = "histogram";
    readonly buckets: readonly number[];
    private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

    constructor(opts: HistogramOptions<L>) {
        super(opts);
        for (let i = 1; i < opts.buckets.length; i++) {
            if (!(opts.buckets[i - 1] < opts.buckets[i])) throw new Error(`histogram ${opts.name}: buckets must be ascending`);
        }
        this.buckets = [...opts.buckets];
    }

    observe(labels: Labels<L> | number, value?: number): void {
        if (typeof labels === "number") return this.observe({}, labels);
        const v = value as number;
        if (!Number.isFinite(v)) throw new Error(`histogram ${this.name} observes finite values; got ${v}`);
        const k = this.key(labels);
        let s = this.series.get(k);
        if (s === undefined) this.series.set(k, (s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }));
        // The first bucket whose bound is at least v; larger values count only in +Inf (the total).
        let b = 0;
        while (b < this.buckets.length && v > this.buckets[b]) b++;
        if (b < this.buckets.length) s.counts[b]++;
        s.sum += v;
        s.count++;
    }

    samples(): string[] {
        const out: string[] = [];
        for (const [k, s] of this.series) {
            const sep = k === "" ? "" : ",";
            let cumulative = 0;
            this.buckets.forEach((bound, i) => {
                cumulative += s.counts[i];
                out.push(`${this.name}_bucket{${k}${sep}le="${formatValue(bound)}"} ${cumulative}`);
            });
            out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
            out.push(line(`${this.name}_sum`, k, s.sum));
            out.push(line(`${this.name}_count`, k, s.count));
        }
        return out;
    }
}

/** The metrics a scrape reads, rendered in registration order. */
export class Registry {
    readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
    private readonly metrics_ = new Map<string, Metric<string>>();

    register(metric: Metric<string>): void {
        if (this.metrics_.has(metric.name)) throw new Error(`a metric named ${metric.name} is already registered`);
        this.metrics_.set(metric.name, metric);
    }

    /** The text of a scrape: every family's HELP, TYPE and samples after its collect ran. */
    async metrics(): Promise<string> {
        const out: string[] = [];
        for (const m of this.metrics_.values()) {
            m.collect();
            out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.samples());
        }
        return `${out.join("\n")}\n`;
    }

    /** The registered metric of that name, if any. */
    get(name: string): Metric<string> | undefined {
        return this.metrics_.get(name);
    }
}

function line(name: string, key: string, value: number): string {
    return `${name}${key === "" ? "" : `{${key}}`} ${formatValue(value)}`;
}

/** A sample value as the text format spells it: NaN, +Inf, -Inf, else the number. */
export function formatValue(v: number): string {
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "+Inf";
    if (v === -Infinity) return "-Inf";
    return String(v);
}

/** A label value with backslash, double quote and line feed escaped, as the text format requires. */
export function escapeLabel(v: string): string {
    return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text with backslash and line feed escaped. */
export function escapeHelp(v: string): string {
    return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
