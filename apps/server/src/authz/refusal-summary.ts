import type { Logger } from "pino";

/** How many clients or addresses a summary names (the most refused first); the rest are counted together. */
const MAX_NAMED = 10;
/** Distinct clients or addresses counted per interval: both are the caller's input, so memory stays bounded. */
const MAX_TRACKED = 1000;
const OTHERS = "(others)";

/** Options of {@link refusalSummary}. */
export interface RefusalSummaryOptions {
  logger: Logger;
  /** Milliseconds between summaries. */
  intervalMs: number;
}

/** Counts refusals; logs them at info once per interval (nothing when there were none). */
export interface RefusalSummary {
  /**
   * Counts one refusal: its reason, the client it was about (null when the path named none) and the
   * caller's address (null when unknown). A 429 (`RATE_LIMITED`) counts as throttled, any other as refused.
   */
  count(reason: string, clientId: string | null, address: string | null): void;
  /** Logs what is pending and stops the timer. */
  stop(): void;
}

/** Counts per key, at most {@link MAX_TRACKED} keys (later new keys are counted as `(others)`). */
class Tally {
  private counts = new Map<string, number>();

  add(key: string): void {
    const at = this.counts.has(key) || this.counts.size < MAX_TRACKED ? key : OTHERS;
    this.counts.set(at, (this.counts.get(at) ?? 0) + 1);
  }

  /** The {@link MAX_NAMED} largest counts by key, and the rest summed under `(others)`. */
  top(): Record<string, number> {
    const ranked = [...this.counts].filter(([key]) => key !== OTHERS).sort((a, b) => b[1] - a[1]);
    const named = ranked.slice(0, MAX_NAMED);
    const rest = ranked.slice(MAX_NAMED).reduce((sum, [, n]) => sum + n, this.counts.get(OTHERS) ?? 0);
    return Object.fromEntries(rest > 0 ? [...named, [OTHERS, rest]] : named);
  }
}

/**
 * The data plane's refusals at info level without a line per request: once per interval, one line
 * `authz refusals` with the counts by reason, by client, and by caller address (`refusedByAddress`:
 * refusals other than 429; `throttledByAddress`: the per-caller throttle's 429s). Ids and addresses
 * only, never a header or secret. This is the audit of `/authz` refusals whatever the throttle's
 * setting: a flood of random tokens costs one line a minute, not a line per request. Per-request
 * lines stay at debug, where a busy gateway's traffic belongs.
 */
export function refusalSummary(options: RefusalSummaryOptions): RefusalSummary {
  const { logger, intervalMs } = options;
  let reasons = new Map<string, number>();
  let clients = new Tally();
  let refused = new Tally();
  let throttled = new Tally();
  let total = 0;
  const flush = () => {
    if (total === 0) return;
    logger.info(
      {
        refusals: total,
        seconds: Math.round(intervalMs / 1000),
        reasons: Object.fromEntries(reasons),
        clients: clients.top(),
        refusedByAddress: refused.top(),
        throttledByAddress: throttled.top(),
      },
      "authz refusals",
    );
    reasons = new Map();
    clients = new Tally();
    refused = new Tally();
    throttled = new Tally();
    total = 0;
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    count(reason, clientId, address) {
      total++;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (clientId !== null) clients.add(clientId);
      if (address !== null) (reason === "RATE_LIMITED" ? throttled : refused).add(address);
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
