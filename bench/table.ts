/** One row of a benchmark table. */
export interface Row {
  bench: string;
  subject: string;
  "ops/s": number;
  /** CPU of the serving process per request (µs), where measured. */
  "CPU µs/req"?: number;
  /** The baseline's CPU per request over the subject's (1× = as cheap as the baseline). */
  "CPU vs baseline"?: string;
  "p50 ms"?: number;
  "p99 ms"?: number;
  "vs baseline"?: string;
  target?: string;
}

/** Prints rows as a table, ops/s rounded. */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.table(rows.map((r) => ({ ...r, "ops/s": Math.round(r["ops/s"]) })));
}

/** `0.87×` style ratio of a subject against its baseline, with the target verdict. */
export function ratio(
  subject: number,
  baseline: number,
  target?: number,
): Pick<Row, "vs baseline" | "target"> {
  const value = subject / baseline;
  return {
    "vs baseline": `${value.toFixed(2)}×`,
    ...(target === undefined ? {} : { target: `≥ ${target}× ${value >= target ? "met" : "MISSED"}` }),
  };
}

/** Median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
