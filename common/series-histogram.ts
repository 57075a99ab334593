// A Prometheus histogram for per-request timing: each label set is a series
// object made once and kept by the caller, and an observation is a bucket
// search and three additions.
//
// prom-client's Histogram validates and hashes the label set and indexes its
// buckets by stringified bounds on every observe(); at one observation per
// request that was ~4 % of a storage node's CPU under small ranged reads.
// This class is still a prom-client Histogram (the registry lists and
// resets it, getSingleMetric finds it); only its storage is its own.
import { Histogram, type LabelValues, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';

export interface HistogramSeries {
  observe(value: number): void;
}

class Series implements HistogramSeries {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

interface Snapshot<L extends string> {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: MetricValueWithName<L>[];
}

export class SeriesHistogram<L extends string> extends Histogram<L> {
  private readonly bounds: readonly number[];
  private readonly labelOrder: readonly L[];
  private readonly series = new Map<string, Series>();
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    super({ name, help, labelNames, buckets: [...buckets] });
    this.metricName = name;
    this.metricHelp = help;
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.labelOrder = [...labelNames];
  }

  /** The series for one label set; keep it and call observe() on it. */
  seriesFor(labels: Record<L, string>): HistogramSeries {
    let key = '';
    for (const n of this.labelOrder) key += labels[n].length + ':' + labels[n];
    let s = this.series.get(key);
    if (!s) {
      const copy: Record<string, string> = {};
      for (const n of this.labelOrder) copy[n] = labels[n];
      s = new Series(copy, this.bounds);
      this.series.set(key, s);
    }
    return s;
  }

  override reset(): void {
    super.reset();
    // Callers keep their series objects: zero them rather than drop them.
    // (The base constructor calls reset() before this class's fields exist.)
    for (const s of this.series?.values() ?? []) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    // prom-client's typings give `type` as a numeric enum; at run time it is the text 'histogram'.
    return this.snapshot() as unknown as MetricObjectWithValues<MetricValueWithName<L>>;
  }

  /** The registry's text export asks this rather than get(). */
  async getForPromString(): Promise<Snapshot<L>> {
    return this.snapshot();
  }

  private snapshot(): Snapshot<L> {
    const values: MetricValueWithName<L>[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        // `le` first, then the series' labels, as prom-client lays them out.
        values.push({ metricName: `${this.metricName}_bucket`, labels: { le, ...s.labels } as LabelValues<L>, value: acc });
      }
      values.push({ metricName: `${this.metricName}_sum`, labels: { ...s.labels } as LabelValues<L>, value: s.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: { ...s.labels } as LabelValues<L>, value: s.count });
    }
    return { name: this.metricName, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values };
  }
}
