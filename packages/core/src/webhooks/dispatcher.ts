import { randomUUID } from "node:crypto";
import type { Keyring } from "../crypto/keyring.js";
import { isCredkitError } from "../errors.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { CredentialStore } from "../storage.js";
import { createEventRelay } from "./event-relay.js";
import type { EventOutbox, OutboxEntry, Settlement, StoredWebhook } from "./outbox.js";
import { outboxEventSink } from "./outbox-sink.js";
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from "./retry-schedule.js";
import { standardWebhookHeaders } from "./signing.js";
import { webhookSecretIdentity } from "./webhook-service.js";

/** Options of {@link createWebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  outbox: EventOutbox;
  keyring: Keyring;
  /** The outbound fetch (its address policy, timeout and size limit apply to every delivery). */
  fetch: OutboundFetch;
  retry?: RetrySchedule;
  /** How long a claimed queue stays this process's before another may take it over. Default 30000. */
  leaseMs?: number;
  /** How often the outbox is polled for due entries. Default 1000. */
  pollMs?: number;
  /** Queues delivered at the same time per poll. Default 16. */
  batchSize?: number;
  now?: () => number;
  /**
   * The credential stores whose pending events this dispatcher relays into `outbox` at the start of
   * every pass (see `createEventRelay`): the stores of the service whose events it delivers (credential
   * writes store their events there, in the write's own atomic step). A failure is retried at the next
   * pass.
   */
  stores?: readonly CredentialStore[];
  /** Told about each failed attempt (for logs and metrics): the class of failure, never a body. */
  onAttemptFailed?: (entry: OutboxEntry, error: string) => void;
}

/** Delivers the outbox's entries: start it in every process; the outbox makes each delivery once. */
export interface WebhookDispatcher {
  /** Starts polling (and delivering at once after a local `wake`). */
  start(): void;
  /** Stops polling and waits for the deliveries in flight. */
  stop(): Promise<void>;
  /** One pass: claims due entries, delivers them, settles them. Returns how many were attempted. */
  runOnce(): Promise<number>;
  /** Asks for a pass now (an event was just enqueued in this process). */
  wake(): void;
}

/** The class of a failed attempt, never the receiver's body: `http_<status>`, `timeout`, `refused`, `network`. */
function failureClass(error: unknown): string {
  if (isCredkitError(error, "OUTBOUND_REFUSED")) return "refused";
  // The outbound fetch classes its own failures (`upstreamClass`); a fetch injected by an embedder may
  // throw the platform's abort errors. Read from the error's code and name, never its message.
  if (isCredkitError(error, "UPSTREAM_ERROR") && error.upstreamClass === "timeout") return "timeout";
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  return "network";
}

/** Creates the dispatcher: Standard Webhooks signing, retries with backoff and jitter, then failed. */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { outbox, keyring } = options;
  const schedule = { ...DEFAULT_RETRY_SCHEDULE, ...options.retry };
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? 16;
  const owner = randomUUID();
  const relay =
    options.stores && options.stores.length > 0
      ? createEventRelay({ stores: [...new Set(options.stores)], sink: outboxEventSink(outbox), owner })
      : null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = true;

  /** POSTs the event to the webhook; null when the receiver answered 2xx, else the failure's class. */
  async function attempt(webhook: StoredWebhook, entry: OutboxEntry): Promise<string | null> {
    let secret: string;
    try {
      secret = keyring.decrypt(webhook.secret, webhookSecretIdentity(webhook));
    } catch {
      // Sealed under a key the keyring no longer has (or damaged): an attempt that failed, so the
      // entry is retried and finally failed, never claimed again and again without end.
      return "secret_unavailable";
    }
    const body = JSON.stringify(entry.event);
    const headers = standardWebhookHeaders(secret, entry.event.id, Math.floor(now() / 1000), body);
    try {
      const response = await options.fetch(webhook.url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "credkit-webhooks" },
        body,
      });
      // The body is not read for its content: receivers' answers are not credkit's to keep.
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `http_${response.status}`;
    } catch (error) {
      return failureClass(error);
    }
  }

  async function deliver(entry: OutboxEntry): Promise<void> {
    const webhook = await outbox.getWebhook(entry.clientId, entry.webhookId);
    // A deleted webhook's entries are dropped: nobody wants them any more.
    const error = webhook ? await attempt(webhook, entry) : null;
    let settlement: Settlement;
    if (error === null) settlement = { outcome: "delivered" };
    else {
      const attempts = entry.attempts + 1;
      options.onAttemptFailed?.(entry, error);
      settlement =
        attempts >= schedule.maxAttempts
          ? { outcome: "failed", error, failedAt: new Date(now()).toISOString() }
          : { outcome: "retry", error, nextAttemptAt: now() + retryDelayMs(schedule, attempts) };
    }
    await outbox.settle(entry, owner, settlement);
  }

  async function pass(): Promise<number> {
    // The events changes stored in their own stores go to the outbox first: this pass delivers them.
    await relay?.runOnce().catch(() => 0);
    const claimed = await outbox.claim(owner, now(), leaseMs, batchSize);
    // Different queues in parallel; one queue never has two entries out (only heads are claimed).
    await Promise.all(claimed.map((entry) => deliver(entry).catch(() => undefined)));
    return claimed.length;
  }

  function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        for (;;) {
          again = false;
          const n = await pass();
          total += n;
          // A full batch or a wake during the pass: more may be due now.
          if (n < batchSize && !again) break;
        }
      } finally {
        running = null;
      }
      return total;
    })();
    return running;
  }

  const tick = () => {
    if (stopped) return;
    runOnce()
      .catch(() => 0) // an unreachable outbox is retried at the next poll
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => 0);
    },
    runOnce,
    wake() {
      if (!stopped) void runOnce().catch(() => 0);
    },
  };
}
