/** When and how long to retry answers 429 and 503. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff when the server sends no Retry-After, doubled each retry (full jitter). Default 200 ms. */
  baseDelayMs?: number;
  /** Longest wait before one retry; a Retry-After asking for more is not waited for (the error is thrown). Default 30 000 ms. */
  maxDelayMs?: number;
}

/** Resolved retry policy. */
export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** `false` turns retries off. */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { retries: 0, baseDelayMs: 0, maxDelayMs: 0 };
  return {
    retries: options?.retries ?? 3,
    baseDelayMs: options?.baseDelayMs ?? 200,
    maxDelayMs: options?.maxDelayMs ?? 30_000,
  };
}

/** Statuses that mean "not now, the same request may work later". */
export const retryableStatus = (status: number) => status === 429 || status === 503;

/**
 * How long to wait before retry number `attempt` (1-based), or null when the policy says stop: the
 * server's Retry-After when it sent one (never more than maxDelayMs), else exponential backoff with jitter.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number | null {
  if (attempt > policy.retries) return null;
  if (retryAfterSeconds !== undefined) {
    const ms = retryAfterSeconds * 1000;
    return ms > policy.maxDelayMs ? null : ms;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
