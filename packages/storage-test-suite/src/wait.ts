// Long enough for a busy 2-core machine to write and read back a dozen records on DynamoDB Local
// before they lapse (400 ms was not), short enough to keep the one wait per concern cheap.
/** Lifetime of the short-lived records and leases expiry tests create, in milliseconds. */
export const shortTtlMs = 1000;

/**
 * Runs `setUp(deadline)`, for short-lived records that must be written and read back before `deadline`,
 * with a deadline `shortTtlMs` × `scale` from now, then 4× and 16× that while the previous one passed
 * before `setUp` finished: a loaded machine gets a longer lifetime instead of a failure, an idle one waits
 * only the first. Returns what `setUp` answered (assert on it after: reads made after their records lapsed
 * never reach those assertions) and the deadline it met.
 */
export async function beforeLapse<T>(
  what: string,
  setUp: (deadline: number) => Promise<T>,
  scale = 1,
): Promise<{ value: T; deadline: number }> {
  const lifetimes = [1, 4, 16].map((factor) => factor * shortTtlMs * scale);
  for (const ttl of lifetimes) {
    const deadline = Date.now() + ttl;
    const value = await setUp(deadline);
    if (Date.now() < deadline) return { value, deadline };
  }
  throw new Error(`${what} took over ${lifetimes.at(-1)} ms even on the last try: the backend is too slow`);
}

/** Lifetime of a lease a test wants to hold for its whole duration, in milliseconds. */
export const longTtlMs = 60_000;

// Slack past a deadline for timer granularity and the backend's own clock on the same host.
const deadlineSlackMs = 25;

/** Resolves once `Date.now()` is past `deadline` plus a little slack: polls the clock, never a blind sleep. */
export async function waitPast(deadline: number): Promise<void> {
  const target = deadline + deadlineSlackMs;
  for (let left = target - Date.now(); left > 0; left = target - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 50)));
  }
}
