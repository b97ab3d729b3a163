import { storageUnavailable } from "@credkit/core";
import { defaultTimeoutMs } from "./config.js";

/**
 * Runs one Redis call the way the store does: an ioredis failure, or no answer within `timeoutMs`
 * (which a cluster's offline queue would otherwise wait out; 0 = no timer), becomes
 * `STORAGE_UNAVAILABLE` naming `what`, with `Retry-After` and the original error as `cause`;
 * CredkitErrors (CONFLICT, ...) pass through untouched. For Redis calls outside the store too (a rate
 * limiter, an idempotency cache), so no raw client error ever reaches a response.
 */
export function guardRedis<T>(what: string, op: () => Promise<T>, timeoutMs = defaultTimeoutMs): Promise<T> {
  if (timeoutMs <= 0) return op().catch((error: unknown) => Promise.reject(storageUnavailable(what, error)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(storageUnavailable(what, new Error(`No answer from Redis within ${timeoutMs} ms`)));
    }, timeoutMs);
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
