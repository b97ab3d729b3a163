import { AggregatorRegistry, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { twoLabelHistogram } from "../src/two-label-histogram.js";

// The cheap histogram must read exactly as prom-client's own would, fed the same observations: in the
// text exposition, as JSON, summed across cluster workers, and after a reset.
const buckets = [0.001, 0.01, 0.1, 1];
const options = { help: "h", labelNames: ["store", "operation"] as const, buckets };
// Values below, on and between the bounds, past the last one, and zero.
const observations: [string, string, number][] = [
  ["memory", "get", 0],
  ["memory", "get", 0.001],
  ["memory", "get", 0.0011],
  ["memory", "findByLookups", 0.01],
  ["redis", "get", 0.5],
  ["redis", "get", 7],
  ["memory", "get", 1],
];

function both() {
  const registry = new Registry();
  const ours = twoLabelHistogram({ ...options, name: "ours", registers: [registry] });
  const theirs = new Histogram({
    ...options,
    labelNames: ["store", "operation"],
    name: "theirs",
    registers: [registry],
  });
  return {
    registry,
    observe(first: string, second: string, value: number) {
      ours.observe(first, second, value);
      theirs.observe({ store: first, operation: second }, value);
    },
    text: async () => {
      const [a, b] = await Promise.all(["ours", "theirs"].map((n) => registry.getSingleMetricAsString(n)));
      return { ours: a, theirs: (b as string).replaceAll("theirs", "ours") };
    },
  };
}

describe("twoLabelHistogram", () => {
  it("exposes what prom-client's Histogram exposes for the same observations", async () => {
    const pair = both();
    expect((await pair.text()).ours).toBe((await pair.text()).theirs);
    for (const [first, second, value] of observations) pair.observe(first, second, value);
    const { ours, theirs } = await pair.text();
    expect(ours).toBe(theirs);
    expect(ours).toContain('ours_bucket{le="0.001",store="memory",operation="get"} 2');
    expect(ours).toContain('ours_bucket{le="+Inf",store="redis",operation="get"} 2');
    expect(ours).toContain('ours_sum{store="redis",operation="get"} 7.5');
  });

  it("sums across cluster workers as prom-client does, and resets with the registry", async () => {
    const workers = [both(), both()];
    for (const [i, [first, second, value]] of observations.entries())
      workers[i % 2]?.observe(first, second, value);
    const json = await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON()));
    const merged = AggregatorRegistry.aggregate(json);
    const [ours, theirs] = await Promise.all(
      ["ours", "theirs"].map((n) => merged.getSingleMetricAsString(n)),
    );
    expect(ours).toBe((theirs as string).replaceAll("theirs", "ours"));
    expect(ours).toContain('ours_count{store="memory",operation="get"} 4');

    const [first] = workers;
    first?.registry.resetMetrics();
    const { ours: afterReset, theirs: theirsAfterReset } = (await first?.text()) ?? {};
    expect(afterReset).toBe(theirsAfterReset);
    expect(afterReset).not.toContain("_count");
  });

  it("refuses a value that is not a number, as prom-client does", () => {
    const histogram = twoLabelHistogram({ ...options, name: "x", registers: [new Registry()] });
    expect(() => histogram.observe("a", "b", Number.NaN)).toThrow(TypeError);
    expect(() => histogram.observe("a", "b", Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
