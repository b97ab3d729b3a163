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
