import type { ServerResponse } from "node:http";
import { CredkitError } from "@credkit/core";
import { sendError } from "@credkit/express";

/** The request timeout's bookkeeping: a request is tracked when it arrives, released when it closes. */
export interface RequestDeadlines {
  /** Starts the clock of a request that just arrived. */
  track(res: ServerResponse): void;
  /** Stops it: the request was answered, or its connection went away. */
  release(res: ServerResponse): void;
}

/**
 * Answers 503 `REQUEST_TIMEOUT` (with Retry-After) to a tracked request not answered within `ms`, so a
 * slow dependency cannot hold connections forever. The work itself is not interrupted; its late answer
 * is dropped. The caller releases each request when it closes (`requestContext` does it from the one
 * close listener it has per request, so the timeout adds no listener of its own).
 *
 * One sweep for all requests instead of a timer each: every request waits the same `ms`, so the
 * pending ones, kept in arrival order, are also in deadline order and the sweep stops at the first
 * that is not due. A request is answered between `ms` and `ms` plus one sweep interval (a tenth of
 * `ms`, at most a second) after it arrived.
 */
export function requestDeadlines(ms: number): RequestDeadlines {
  const pending = new Map<ServerResponse, number>();
  let sweeper: NodeJS.Timeout | null = null;
  const sweep = () => {
    const now = Date.now();
    for (const [res, deadline] of pending) {
      if (deadline > now) break;
      pending.delete(res);
      if (res.headersSent) continue;
      // no-store as the API's own answers: a late API request used to inherit it from the handler.
      sendError(res, new CredkitError("REQUEST_TIMEOUT", "The request timed out", { retryAfterSeconds: 1 }), [
        "Cache-Control",
        "no-store",
      ]);
    }
    // Idle: no timer keeps running (nor the process alive) between bursts.
    if (pending.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  };
  const every = Math.max(1, Math.min(1000, Math.floor(ms / 10)));
  return {
    track(res) {
      pending.set(res, Date.now() + ms);
      if (!sweeper) {
        sweeper = setInterval(sweep, every);
        sweeper.unref();
      }
    },
    release(res) {
      pending.delete(res);
    },
  };
}
