import { storageUnavailable } from "@credkit/core";

/** Milliseconds a Redis call outside the stores may take before it counts as an outage. */
export const REDIS_CALL_TIMEOUT_MS = 5000;

/**
 * Runs one Redis call the way the stores do: any client failure (or no answer within the timeout, which
 * a cluster's offline queue would otherwise wait out) becomes `STORAGE_UNAVAILABLE` with `Retry-After`
 * and the original error as `cause`, so no raw client error ever reaches a response.
 */
export function guardRedis<T>(
  what: string,
  op: () => Promise<T>,
  timeoutMs = REDIS_CALL_TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(storageUnavailable(what, new Error(`No answer from Redis within ${timeoutMs} ms`))),
      timeoutMs,
    );
    op().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(storageUnavailable(what, error));
      },
    );
  });
}
