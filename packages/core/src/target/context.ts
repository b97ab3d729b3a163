import { createEventBus, type EventPublisher } from "../events/event-bus.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { Records } from "../records/records.js";

/** Tunables of target token handling, in milliseconds. */
export interface TargetTokenOptions {
  /** A token is replaced this long before it expires. Default 30000. */
  refreshSkewMs?: number;
  /** Lifetime assumed for a token whose response has no `expires_in` (or customToken lifetime). Default 300000. */
  defaultTokenTtlMs?: number;
  /**
   * How long one process may hold the cross-process refresh lease (longer than a token request may
   * take); others wait up to twice this for its token before giving up. Default 15000.
   */
  leaseTtlMs?: number;
}

/** What the target modules share: the record layer, the outbound fetch, the clock and the token tunables. */
export interface TargetContext extends Records {
  fetch: OutboundFetch;
  now: () => number;
  skewMs: number;
  defaultTtlMs: number;
  leaseTtlMs: number;
  /** Where consumption and OAuth token events go. */
  publisher: EventPublisher;
}

/** Builds the target context over the record layer, with the token tunables' defaults. */
export function createTargetContext(options: {
  records: Records;
  fetch: OutboundFetch;
  now: () => number;
  /** Default: a publisher nobody listens to. */
  publisher?: EventPublisher;
  tokens?: TargetTokenOptions;
}): TargetContext {
  return {
    ...options.records,
    fetch: options.fetch,
    now: options.now,
    skewMs: options.tokens?.refreshSkewMs ?? 30_000,
    defaultTtlMs: options.tokens?.defaultTokenTtlMs ?? 300_000,
    leaseTtlMs: options.tokens?.leaseTtlMs ?? 15_000,
    publisher: options.publisher ?? createEventBus().publisher,
  };
}
