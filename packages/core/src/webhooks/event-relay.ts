import type { EventSink } from "../events/event-bus.js";
import type { CredentialStore } from "../storage.js";

/** The store lease one relay pass holds on a store's pending-event log. */
export const EVENT_RELAY_LEASE = "event-relay";

/** Options of {@link createEventRelay}. */
export interface EventRelayOptions {
  /** Every distinct store whose pending-event log is relayed (each once, even if it serves many regions). */
  stores: readonly CredentialStore[];
  /** Where the events go: the outbox sink, which fans each event out to its client's webhooks. */
  sink: EventSink;
  /** This process's lease owner token (unique per process). */
  owner: string;
  /** Milliseconds one pass keeps every other process off a store's log. Default 30000. */
  leaseMs?: number;
  /** Events moved per store per read, 1..1000. Default 100. */
  batchSize?: number;
}

/** Moves the events stores hold with their changes into the outbox. */
export interface EventRelay {
  /** One pass over every store: returns how many events were handed to the sink. */
  runOnce(): Promise<number>;
}

/**
 * The relay of the transactional outbox: every credential write stores its event in its own store's
 * pending-event log, in the write's atomic step (see `WriteEvents`); the relay hands those events to the
 * sink (the webhook outbox, where subscribers are resolved) and only then removes them from the log.
 * So an acknowledged change's event survives a crash of the process that made it: whichever process
 * relays next delivers it. One process relays a store at a time (a store lease); one killed after the
 * sink took a batch and before it was removed leaves it to be relayed again: at least once, and every
 * copy has the event's id (the `webhook-id` receivers deduplicate on).
 */
export function createEventRelay(options: EventRelayOptions): EventRelay {
  const { stores, sink, owner } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 100;

  async function relayStore(store: CredentialStore): Promise<number> {
    // The usual case, an empty log, costs one read and no lease write.
    if ((await store.pendingEvents(batchSize)).length === 0) return 0;
    if (!(await store.acquireLease(EVENT_RELAY_LEASE, owner, leaseMs))) return 0;
    let moved = 0;
    try {
      for (;;) {
        // Read again under the lease: another process may have relayed what the first read saw.
        const pending = await store.pendingEvents(batchSize);
        if (pending.length > 0) {
          await sink.publish(pending.map((entry) => entry.event));
          await store.removePendingEvents(pending);
          moved += pending.length;
        }
        if (pending.length < batchSize) return moved;
      }
    } finally {
      await store.releaseLease(EVENT_RELAY_LEASE, owner).catch(() => false);
    }
  }

  return {
    async runOnce() {
      let moved = 0;
      let failure: unknown;
      // One store's outage does not hold back the others' events.
      for (const store of stores) {
        try {
          moved += await relayStore(store);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
      return moved;
    },
  };
}
