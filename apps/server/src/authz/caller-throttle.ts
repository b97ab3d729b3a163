import type { Logger } from "pino";
import type { SharedCounter } from "../http/shared-counter.js";

/** Options of {@link callerThrottle}. */
export interface CallerThrottleOptions {
  /** Failed attempts a caller address may make per minute before it gets 429; 0 turns the throttle off. */
  failuresPerMinute: number;
  /** Counts failures across processes (Redis when the deployment has it, else this process). */
  counter: SharedCounter;
  /** A keyed hash of a bucket name: the same in every process, never an address in clear at rest. */
  keyOf: (bucket: string) => string;
  logger: Logger;
  /** Milliseconds between the aggregated `authz callers throttled` lines; default one minute. */
  summaryMs?: number;
  now?: () => number;
}

/** Per-caller throttling of the data plane's failed attempts (see {@link callerThrottle}). */
export interface CallerThrottle {
  /** Seconds the caller must wait when it is over its limit (answer 429 before any lookup), else 0. */
  retryAfter(address: string): number;
  /** Counts one failed attempt of `address` (a bad end-client credential or a bad gateway token). */
  failed(address: string): void;
  /** Logs what is pending and stops the timer. */
  stop(): void;
}

const WINDOW_MS = 60_000;
/** Addresses remembered as blocked in this process: bounded whatever the flood (oldest dropped first). */
const MAX_BLOCKED = 100_000;
/** Addresses a summary names (the most refused first); the rest are counted together. */
const MAX_NAMED = 10;
/** Distinct addresses counted per summary interval (memory stays bounded). */
const MAX_TRACKED = 10_000;
const OTHERS = "(others)";

/**
 * Guessing costs the guesser, not the gateway. Every failed attempt counts against its caller's
 * address in a shared one-minute window; once over the limit, this process remembers the address as
 * blocked until the window resets, and answers its requests 429 with `Retry-After` before any token
 * check or store lookup. The check is a Map read in process (the hot path of valid callers adds no
 * round trip); the count is shared, so a guesser spread over processes is stopped after the limit plus
 * at most one more failure per process. Counting is per address, so a valid caller behind the same
 * proxy is never starved by another address's guessing. Refusals are logged once per interval as
 * counts per address at info (`authz callers throttled`), never a line per request.
 */
export function callerThrottle(options: CallerThrottleOptions): CallerThrottle {
  const { failuresPerMinute: limit, counter, logger } = options;
  const now = options.now ?? Date.now;
  const blockedUntil = new Map<string, number>();
  let failures = new Map<string, number>();
  let throttled = new Map<string, number>();

  const tally = (map: Map<string, number>, address: string) => {
    const key = map.has(address) || map.size < MAX_TRACKED ? address : OTHERS;
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  const top = (map: Map<string, number>) => {
    const ranked = [...map].filter(([a]) => a !== OTHERS).sort((a, b) => b[1] - a[1]);
    const rest = ranked.slice(MAX_NAMED).reduce((sum, [, n]) => sum + n, map.get(OTHERS) ?? 0);
    return Object.fromEntries(
      rest > 0 ? [...ranked.slice(0, MAX_NAMED), [OTHERS, rest]] : ranked.slice(0, MAX_NAMED),
    );
  };
  const flush = () => {
    if (throttled.size > 0 || failures.size > 0) {
      logger.info(
        {
          seconds: Math.round((options.summaryMs ?? WINDOW_MS) / 1000),
          failedByAddress: top(failures),
          throttledByAddress: top(throttled),
        },
        "authz callers throttled",
      );
    }
    failures = new Map();
    throttled = new Map();
  };
  const timer = setInterval(flush, options.summaryMs ?? WINDOW_MS);
  timer.unref();

  return {
    retryAfter(address) {
      if (limit <= 0 || blockedUntil.size === 0) return 0;
      const until = blockedUntil.get(address);
      if (until === undefined) return 0;
      const left = until - now();
      if (left <= 0) {
        blockedUntil.delete(address);
        return 0;
      }
      tally(throttled, address);
      return Math.max(1, Math.ceil(left / 1000));
    },
    failed(address) {
      if (limit <= 0) return;
      tally(failures, address);
      counter.hit(options.keyOf(`authz-failure\n${address}`), WINDOW_MS).then(
        ({ count, resetMs }) => {
          if (count < limit) return;
          if (!blockedUntil.has(address) && blockedUntil.size >= MAX_BLOCKED)
            blockedUntil.delete(blockedUntil.keys().next().value as string);
          blockedUntil.set(address, now() + resetMs);
        },
        // The answer (a refusal) is already on its way; a counter outage must not turn it into an error.
        (error: unknown) => logger.warn({ err: error }, "authz throttle counter unavailable"),
      );
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
