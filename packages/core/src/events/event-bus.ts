import { isoTime } from "../iso-time.js";
import type { WriteEvents } from "../storage.js";
import { newEventId } from "./event-data.js";
import type { AnyCredkitEvent, CredkitEvent, EventDataMap, EventType } from "./event-types.js";

/** Receives events in process. Called after the change and after the event is in the durable sink. */
export type EventListener = (event: AnyCredkitEvent) => void;

/**
 * In-process subscription to a service's events (`service.events`): no webhook, no network, the
 * embedding service's own code is called.
 */
export interface CredentialEvents {
  /**
   * Calls `listener` with every event of the given types (`"*"`: every type), in the order the
   * changes completed in this process. Returns the function that unsubscribes. A listener that throws
   * does not affect the change nor the other listeners (its error goes to `onListenerError`).
   * Listeners see the events of this process only; webhooks see every process's.
   */
  subscribe(types: readonly EventType[] | "*", listener: EventListener): () => void;
}

/**
 * Where events are kept durably before delivery (the webhook outbox). `publish` resolves once every
 * event is stored; it throws (STORAGE_UNAVAILABLE) when they could not be.
 */
export interface EventSink {
  publish(events: readonly AnyCredkitEvent[]): Promise<void>;
}

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** The durable sink (the webhook outbox); without one, events only reach in-process listeners. */
  sink?: EventSink | undefined;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Where a listener's error goes. Default: ignored (a listener must not break a credential change). */
  onListenerError?: (error: unknown, event: AnyCredkitEvent) => void;
}

/** The producing side of the bus, kept inside the service. */
export interface EventPublisher {
  /** True when someone may receive events: a listener is subscribed or a sink is set. */
  readonly active: boolean;
  /**
   * Builds the event (id, timestamp), stores it in the sink, then tells the listeners: for events no
   * credential write carries (expiry warnings, OAuth refresh outcomes).
   */
  emit<T extends EventType>(type: T, data: EventDataMap[T]): Promise<void>;
  /**
   * The event a credential write is about to report, built before the write (null when nobody
   * listens, and then `data` is never called: a write nobody hears of builds no event data): the write
   * carries it (see {@link EventPublisher.carried}), and {@link EventPublisher.tell} tells the
   * listeners once the write applied.
   */
  draft<T extends EventType>(type: T, data: () => EventDataMap[T]): AnyCredkitEvent | null;
  /**
   * What a store write appends to its pending-event log for `event`: the event when a durable sink
   * (the webhook outbox) is set, so the change and its event are stored in one atomic step; nothing
   * otherwise (in-process listeners only need {@link EventPublisher.tell}).
   */
  carried(event: AnyCredkitEvent | null): WriteEvents | undefined;
  /** Tells the in-process listeners about a drafted event whose write applied (null: nothing). */
  tell(event: AnyCredkitEvent | null): void;
}

/** The in-process bus: the service emits, listeners subscribe, the sink keeps events for webhooks. */
export function createEventBus(options: EventBusOptions = {}): {
  events: CredentialEvents;
  publisher: EventPublisher;
} {
  const now = options.now ?? Date.now;
  const listeners = new Set<{ types: ReadonlySet<EventType> | null; listener: EventListener }>();
  const notify = (event: AnyCredkitEvent) => {
    for (const entry of listeners) {
      if (entry.types !== null && !entry.types.has(event.type)) continue;
      try {
        entry.listener(event);
      } catch (error) {
        options.onListenerError?.(error, event);
      }
    }
  };
  // Someone may receive events: a listener is subscribed or a sink is set.
  const active = () => listeners.size > 0 || options.sink !== undefined;
  const draft = <T extends EventType>(type: T, data: () => EventDataMap[T]): AnyCredkitEvent | null =>
    // Nobody to tell: no id drawn, no time formatted, no data built (a create with no listener nor webhook).
    active()
      ? ({
          id: newEventId(),
          type,
          timestamp: isoTime(now()),
          data: data(),
        } as CredkitEvent as AnyCredkitEvent)
      : null;
  return {
    events: {
      subscribe(types, listener) {
        const entry = { types: types === "*" ? null : new Set(types), listener };
        listeners.add(entry);
        return () => {
          listeners.delete(entry);
        };
      },
    },
    publisher: {
      get active() {
        return active();
      },
      async emit(type, data) {
        const event = draft(type, () => data);
        if (event === null) return;
        if (options.sink) await options.sink.publish([event]);
        notify(event);
      },
      draft,
      carried: (event) => (event !== null && options.sink ? [event] : undefined),
      tell(event) {
        if (event !== null) notify(event);
      },
    },
  };
}
