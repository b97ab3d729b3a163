import type { Logger } from "pino";
import type { SharedCounter } from "../http/shared-counter.js";

/** Options of {@link callerThrottle}. */
export interface CallerThrottleOptions {
  /**
   * Failed attempts a caller address may make per minute before it gets 429, and failed attempts on
   * one presented identity (all addresses together) before its guessers get 429; 0 turns it off.
   */
  failuresPerMinute: number;
  /** Counts failures across processes (Redis when the deployment has it, else this process). */
  counter: SharedCounter;
  /** A keyed hash of a bucket name: the same in every process, never an address in clear at rest. */
  keyOf: (bucket: string) => string;
  logger: Logger;
  /** Milliseconds between the aggregated `authz throttle counter unavailable` lines; default one minute. */
  summaryMs?: number;
  now?: () => number;
}

/** Per-caller throttling of the data plane's failed attempts (see {@link callerThrottle}). */
export interface CallerThrottle {
  /** True while no address or identity is held back (see {@link CallerThrottle.retryAfter}): 0 for everyone. */
  idle(): boolean;
  /**
   * Seconds the caller must wait (answer 429 before any lookup), else 0: its address is over its
   * limit, or the `identity` it presents is (see {@link callerThrottle}) and the address failed too.
   */
  retryAfter(address: string, identity?: string | null): number;
  /**
   * Counts one failed attempt of `address` (a bad end-client credential or a bad gateway token) and,
   * when the attempt named one, of the presented `identity` (a client's Basic username).
   */
  failed(address: string, identity?: string | null): void;
  /** Logs what is pending and stops the timer. */
  stop(): void;
}

const WINDOW_MS = 60_000;
/** Addresses and identities remembered in this process: bounded whatever the flood (oldest dropped first). */
const MAX_REMEMBERED = 100_000;

/** A bounded map of key → epoch ms until which it holds; the oldest entry goes first when full. */
class Until {
  private readonly until = new Map<string, number>();

  set(key: string, until: number): void {
    // Re-inserted, so a key seen again is the newest: a flood of fresh keys drops the stale ones first.
    this.until.delete(key);
    if (this.until.size >= MAX_REMEMBERED) this.until.delete(this.until.keys().next().value as string);
    this.until.set(key, until);
  }

  get size(): number {
    return this.until.size;
  }

  /** Drops every lapsed entry (one that is never read again would otherwise stay). */
  purge(now: number): void {
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
  }

  /** Milliseconds left for `key`, or 0 (a lapsed entry is dropped). */
  left(key: string, now: number): number {
    if (this.until.size === 0) return 0;
    const until = this.until.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.until.delete(key);
    return 0;
  }
}

/**
 * Guessing costs the guesser, not the gateway. Every failed attempt counts against its caller's
 * address in a shared one-minute window; once over the limit, this process remembers the address as
 * blocked until the window resets, and answers its requests 429 with `Retry-After` before any token
 * check or store lookup. The check is a Map read in process (the hot path of valid callers adds no
 * round trip); the count is shared, so a guesser spread over processes is stopped after the limit plus
 * at most one more failure per process. Counting is per address, so a valid caller behind the same
 * proxy is never starved by another address's guessing.
 *
 * A guesser with many addresses is also counted per presented identity (a client's Basic username:
 * the one identity a failed attempt names without its secret). Once an identity has failed the limit
 * in the window, from all addresses together, it is under attack until the window resets; meanwhile a
 * request presenting it gets 429 only from an address that itself failed (any attempt) in this process
 * within the last minute. Blocking every request for that identity would let anyone lock its owner out
 * by guessing; this way an address that has not failed, the owner's included, is never refused because
 * of others' failures, while each guessing address gets one failure per window and process on that
 * identity instead of the whole per-address limit.
 *
 * A counter outage does not turn refusals into errors: that failure is not counted, and the outage is
 * logged once when it starts and then as one `authz throttle counter unavailable` count per interval,
 * never a line per request.
 */
export function callerThrottle(options: CallerThrottleOptions): CallerThrottle {
  const { failuresPerMinute: limit, counter, logger } = options;
  const now = options.now ?? Date.now;
  const intervalMs = options.summaryMs ?? WINDOW_MS;
  const blocked = new Until();
  const underAttack = new Until();
  const failedHere = new Until();
  let uncounted = 0;

  const flush = () => {
    // A block that lapsed unread would keep `idle()` false, and every request reading its address.
    blocked.purge(now());
    underAttack.purge(now());
    // One failure was already logged when it happened; more are summed here.
    if (uncounted > 1)
      logger.warn(
        { uncounted, seconds: Math.round(intervalMs / 1000) },
        "authz throttle counter unavailable",
      );
    uncounted = 0;
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();

  /** Counts one failure in `bucket`; `over(resetMs)` runs once the shared count reaches the limit. */
  function count(bucket: string, over: (resetMs: number) => void) {
    counter.hit(options.keyOf(bucket), WINDOW_MS).then(
      ({ count, resetMs }) => {
        if (count >= limit) over(resetMs);
      },
      // The answer (a refusal) is already on its way; a counter outage must not turn it into an error.
      (error: unknown) => {
        // The first of an interval is logged at once, with its cause; the rest are a count at flush.
        if (uncounted++ === 0) logger.warn({ err: error }, "authz throttle counter unavailable");
      },
    );
  }

  return {
    // Two sizes read: while nobody is held back, the listener skips reading the caller's address.
    idle: () => limit <= 0 || (blocked.size === 0 && underAttack.size === 0),
    retryAfter(address, identity) {
      if (limit <= 0) return 0;
      const t = now();
      let left = blocked.left(address, t);
      if (left === 0 && identity != null) {
        const attack = underAttack.left(identity, t);
        if (attack > 0 && failedHere.left(address, t) > 0) left = attack;
      }
      return left === 0 ? 0 : Math.max(1, Math.ceil(left / 1000));
    },
    failed(address, identity) {
      if (limit <= 0) return;
      failedHere.set(address, now() + WINDOW_MS);
      count(`authz-failure\n${address}`, (resetMs) => blocked.set(address, now() + resetMs));
      if (identity != null)
        count(`authz-identity-failure\n${identity}`, (resetMs) => underAttack.set(identity, now() + resetMs));
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
