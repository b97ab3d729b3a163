import type { Logger } from "pino";

/** How many clients a summary names (the most refused first); the rest are counted together. */
const MAX_CLIENTS = 10;
/** Distinct clients counted per interval: the path is the caller's input, so memory stays bounded. */
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
  count(reason: string, clientId: string | null): void;
  /** Logs what is pending and stops the timer. */
  stop(): void;
}

/**
 * The data plane's refusals at info level without a line per request: once per interval, one line
 * `authz refusals` with the counts by reason and by client (ids only, never a header or secret).
 * Per-request lines stay at debug, where a busy gateway's traffic belongs.
 */
export function refusalSummary(options: RefusalSummaryOptions): RefusalSummary {
  const { logger, intervalMs } = options;
  let reasons = new Map<string, number>();
  let clients = new Map<string, number>();
  let total = 0;
  const flush = () => {
    if (total === 0) return;
    const ranked = [...clients].filter(([id]) => id !== OTHERS).sort((a, b) => b[1] - a[1]);
    const named = ranked.slice(0, MAX_CLIENTS);
    const others = ranked.slice(MAX_CLIENTS).reduce((sum, [, n]) => sum + n, clients.get(OTHERS) ?? 0);
    logger.info(
      {
        refusals: total,
        seconds: Math.round(intervalMs / 1000),
        reasons: Object.fromEntries(reasons),
        clients: Object.fromEntries(others > 0 ? [...named, [OTHERS, others]] : named),
      },
      "authz refusals",
    );
    reasons = new Map();
    clients = new Map();
    total = 0;
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    count(reason, clientId) {
      total++;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (clientId === null) return;
      const key = clients.has(clientId) || clients.size < MAX_TRACKED ? clientId : OTHERS;
      clients.set(key, (clients.get(key) ?? 0) + 1);
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
