import { type Row, ratio } from "./table.js";

/** One measured run: throughput and per-call latency in milliseconds. */
export interface Measured {
  opsPerSecond: number;
  p50: number;
  p99: number;
}

/** Calls `op` for `ms` milliseconds with `inFlight` callers, each awaiting its previous call. */
export async function measure(ms: number, inFlight: number, op: () => unknown): Promise<Measured> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return { opsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/**
 * Runs each subject `rounds` times for `roundMs`, alternating between them so that machine noise hits
 * all alike, and keeps each one's median run.
 */
export async function alternate(
  subjects: readonly (() => unknown)[],
  options: { rounds: number; roundMs: number; inFlight: number },
): Promise<Measured[]> {
  const runs: Measured[][] = subjects.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, op] of subjects.entries()) {
      runs[index]?.push(await measure(options.roundMs, options.inFlight, op));
    }
  }
  return runs.map((r) => {
    const sorted = [...r].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
    return sorted[Math.floor(sorted.length / 2)] as Measured;
  });
}

/** A store operation and the bare call it is compared with. */
export interface StoreSubject {
  bench: string;
  raw: [label: string, op: () => Promise<unknown>];
  store: [label: string, op: () => Promise<unknown>];
}

/**
 * Warms up, then measures each subject sequentially and with `concurrency` in flight, `rounds` times
 * alternating raw and store, and returns median rows with the store's ratio to raw (and the target,
 * at `concurrency` in flight, when one is given).
 */
export async function compareWithRaw(
  subjects: readonly StoreSubject[],
  options: { rounds: number; roundMs: number; concurrency: number; target?: number },
): Promise<Row[]> {
  for (const subject of subjects) {
    await measure(options.roundMs / 2, options.concurrency, subject.raw[1]);
    await measure(options.roundMs / 2, options.concurrency, subject.store[1]);
  }
  const rows: Row[] = [];
  for (const inFlight of [1, options.concurrency]) {
    for (const subject of subjects) {
      const [raw, mine] = await alternate([subject.raw[1], subject.store[1]], {
        rounds: options.rounds,
        roundMs: options.roundMs,
        inFlight,
      });
      if (!raw || !mine) throw new Error("no measurement");
      const bench = `${subject.bench}, ${inFlight} in flight`;
      const summary = (m: Measured) => ({
        "ops/s": m.opsPerSecond,
        "p50 ms": round3(m.p50),
        "p99 ms": round3(m.p99),
      });
      rows.push({ bench, subject: subject.raw[0], ...summary(raw) });
      rows.push({
        bench,
        subject: subject.store[0],
        ...summary(mine),
        ...ratio(
          mine.opsPerSecond,
          raw.opsPerSecond,
          inFlight === options.concurrency ? options.target : undefined,
        ),
      });
    }
  }
  return rows;
}

const round3 = (n: number) => Number(n.toFixed(3));
