// Long enough for a busy 2-core machine to write and read back a dozen records on DynamoDB Local
// before they lapse (400 ms was not), short enough to keep the one wait per concern cheap.
/** Lifetime of the short-lived records and leases expiry tests create, in milliseconds. */
export const shortTtlMs = 1000;

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
