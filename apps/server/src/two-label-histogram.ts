import type { Metric, Registry } from "prom-client";

/** Options of {@link twoLabelHistogram}: prom-client's `Histogram` options, with exactly two labels. */
export interface TwoLabelHistogramOptions {
  name: string;
  help: string;
  labelNames: readonly [string, string];
  /** Upper bounds, ascending (`+Inf` is added). */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One label pair's observations: a count per bucket (not cumulative), their sum and number. */
interface Series {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram observed with its two label values; see {@link twoLabelHistogram}. */
export interface TwoLabelHistogram {
  /** Records `value` (seconds, say) under the label values `first` and `second`. */
  observe(first: string, second: string, value: number): void;
}

/**
 * A Prometheus histogram with two labels, exposed exactly as prom-client's `Histogram` exposes one
 * (`_bucket` lines cumulative with `le` first and `+Inf` last, then `_sum` and `_count`; summed across
 * cluster workers), whose `observe` is two Map reads, a bucket search and three additions.
 * prom-client's validates and hashes its label object on every call (a third of a microsecond, paid on
 * every store operation the data plane makes: bench/authz.ts).
 */
export function twoLabelHistogram(options: TwoLabelHistogramOptions): TwoLabelHistogram {
  const { name, help, buckets } = options;
  const [firstName, secondName] = options.labelNames;
  const series = new Map<string, Map<string, Series>>();

  function seriesOf(first: string, second: string): Series {
    let bySecond = series.get(first);
    if (bySecond === undefined) {
      bySecond = new Map();
      series.set(first, bySecond);
    }
    let found = bySecond.get(second);
    if (found === undefined) {
      found = {
        labels: { [firstName]: first, [secondName]: second },
        counts: buckets.map(() => 0),
        sum: 0,
        count: 0,
      };
      bySecond.set(second, found);
    }
    return found;
  }

  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const bySecond of series.values()) {
        for (const { labels, counts, sum, count } of bySecond.values()) {
          let cumulative = 0;
          for (let i = 0; i < buckets.length; i++) {
            cumulative += counts[i] as number;
            values.push({
              labels: { le: buckets[i] as number, ...labels },
              value: cumulative,
              metricName: `${name}_bucket`,
            });
          }
          values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${name}_bucket` });
          values.push({ labels: { ...labels }, value: sum, metricName: `${name}_sum` });
          values.push({ labels: { ...labels }, value: count, metricName: `${name}_count` });
        }
      }
      return { name, help, type: "histogram", values, aggregator: "sum" };
    },
    reset() {
      series.clear();
    },
  };
  // The registry reads a metric through `get` and `reset` only: this object is one to it.
  for (const registry of options.registers) registry.registerMetric(metric as unknown as Metric);

  return {
    observe(first, second, value) {
      // As prom-client's: a value that is not a number is a bug of the caller, not an observation.
      if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
      const observed = seriesOf(first, second);
      let i = 0;
      while (i < buckets.length && value > (buckets[i] as number)) i++;
      if (i < buckets.length) observed.counts[i] = (observed.counts[i] as number) + 1;
      observed.sum += value;
      observed.count++;
    },
  };
}
