import { randomUUID } from "node:crypto";
import type { Keyring } from "../crypto/keyring.js";
import { isCredkitError } from "../errors.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import { positiveInteger } from "../positive-integer.js";
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
  /**
   * The outbound fetch (its address policy, timeout and size limit apply to every delivery). Its
   * timeout should stay well below `leaseMs` (5000 against 30000 by default): an attempt still running
   * when 90% of its lease is gone is aborted by the dispatcher and counted as a `timeout`.
   */
  fetch: OutboundFetch;
  retry?: RetrySchedule;
  /** How long a claimed queue stays this process's before another may take it over. Default 30000. */
  leaseMs?: number;
  /** How often the outbox is polled for due entries. Default 1000. */
  pollMs?: number;
  /**
   * Deliveries in flight at most (the pool's slots), 1..1000. Default 16. A pass claims only as many
   * queue heads as there are free slots, and each delivery that ends frees its slot at once.
   */
  batchSize?: number;
  /**
   * Deliveries in flight at most for one client, 1..`batchSize`. Default a quarter of `batchSize`
   * (4). A claimed entry of a client already at this bound waits in this process for one of that
   * client's slots, while at most half its lease is gone; past that it is left to its lease (claimed
   * again once the lease lapses, no attempt counted). So a client whose receivers hang holds at most
   * this many slots, never the others.
   */
  perClientInFlight?: number;
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
  /**
   * Told when a settle found the queue's lease no longer this process's (the settlement was not
   * written; another process may deliver the entry again): the outbox or the clock was slower than
   * the lease allows.
   */
  onLeaseLost?: (entry: OutboxEntry) => void;
}

/** Delivers the outbox's entries: start it in every process; the outbox makes each delivery once. */
export interface WebhookDispatcher {
  /** Starts polling (and delivering at once after a local `wake`). */
  start(): void;
  /**
   * Stops polling and starting deliveries, and waits for every delivery in flight to be settled.
   * Entries claimed but not started (a client at its `perClientInFlight` bound) are left to their
   * lease: claimed again once it lapses.
   */
  stop(): Promise<void>;
  /**
   * One pass: relays the stores' events, claims due heads for the free slots and delivers them.
   * Resolves, once THOSE deliveries are settled (or, for a client at its bound, left to their lease),
   * with how many were attempted. It does not wait for other passes' deliveries.
   */
  runOnce(): Promise<number>;
  /**
   * Asks for a pass (an event was just enqueued in this process): it runs in this turn of the event
   * loop, after its I/O, shared by every wake of the turn (or after the pass running now).
   */
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

/** A claimed entry: its lease ends at `claimedAt + leaseMs`; `done` tells the pass that claimed it. */
interface Claim {
  entry: OutboxEntry;
  claimedAt: number;
  /** True once the entry was attempted and settled; false when it was left to its lease. */
  done: (attempted: boolean) => void;
}

/** The most slots a dispatcher takes: each is one open connection to a receiver. */
const MAX_SLOTS = 1000;

/**
 * Creates the dispatcher: Standard Webhooks signing, retries with backoff and jitter, then failed.
 * Deliveries run in a pool of `batchSize` slots with no barrier between passes: a receiver that
 * answers slowly holds its own slot (and at most `perClientInFlight` of its client's), never the
 * deliveries of other clients.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { outbox, keyring } = options;
  const schedule = { ...DEFAULT_RETRY_SCHEDULE, ...options.retry };
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = positiveInteger(options.batchSize ?? 16, "batchSize", MAX_SLOTS);
  const perClientInFlight = positiveInteger(
    options.perClientInFlight ?? Math.max(1, Math.floor(batchSize / 4)),
    "perClientInFlight",
    batchSize,
  );
  // An attempt is cut at 90% of its lease, so that its settle lands while the queue is still this
  // process's: a delivery never outlives its lease unnoticed, whatever timeout the fetch has.
  const attemptWindowMs = Math.floor(leaseMs * 0.9);
  // A claim waiting for its client's slot starts only while half its lease is left: time enough for
  // a whole attempt under the default timeouts (5 s of 15 s).
  const waitWindowMs = leaseMs / 2;
  // Claims waiting for their client's slot, at most: past it an over-bound claim is left to its lease.
  const maxWaiting = batchSize * 8;
  const owner = randomUUID();
  const relay =
    options.stores && options.stores.length > 0
      ? createEventRelay({ stores: [...new Set(options.stores)], sink: outboxEventSink(outbox), owner })
      : null;
  const inFlight = new Set<Promise<void>>();
  const clientInFlight = new Map<string, number>();
  const waiting = new Map<string, Claim[]>();
  let waitingCount = 0;
  // Passes never overlap: each claims for the slots free when it claims, so the pool never overfills.
  let passing: Promise<unknown> | null = null;
  // A wake came since the last pass began / the last claim filled every free slot: more may be due.
  let woken = false;
  let full = false;
  let polling = false;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  // The wakes of one turn of the event loop share one pass, run once that turn's I/O is handled: on a
  // busy server each change is its own request, and a pass each cost a whole relay (8,000 passes for
  // 10,000 creates, bench http) where one pass serves every change of the turn.
  let wakeQueued = false;
  const wokenPass = () => {
    wakeQueued = false;
    void kick();
  };

  /** POSTs the event to the webhook; null when the receiver answered 2xx, else the failure's class. */
  async function attempt(
    webhook: StoredWebhook,
    entry: OutboxEntry,
    signal: AbortSignal,
  ): Promise<string | null> {
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
        signal,
      });
      // The body is not read for its content: receivers' answers are not credkit's to keep.
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `http_${response.status}`;
    } catch (error) {
      return failureClass(error);
    }
  }

  async function deliver({ entry, claimedAt }: Claim): Promise<void> {
    const webhook = await outbox.getWebhook(entry.clientId, entry.webhookId);
    // A timer cleared when the attempt ends (not AbortSignal.timeout, whose timer outlives it): at
    // a thousand deliveries a second that would be tens of thousands of live timers.
    const cut = new AbortController();
    const timer = setTimeout(
      () => cut.abort(new DOMException("The attempt reached 90% of its lease", "TimeoutError")),
      Math.max(0, claimedAt + attemptWindowMs - now()),
    );
    timer.unref();
    let error: string | null;
    try {
      // A deleted webhook's entries are dropped: nobody wants them any more.
      error = webhook ? await attempt(webhook, entry, cut.signal) : null;
    } finally {
      clearTimeout(timer);
    }
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
    if (!(await outbox.settle(entry, owner, settlement))) options.onLeaseLost?.(entry);
  }

  /** Takes a slot for the claim; the slot is freed when its delivery is settled (or failed to be). */
  function launch(claim: Claim): void {
    const { clientId } = claim.entry;
    clientInFlight.set(clientId, (clientInFlight.get(clientId) ?? 0) + 1);
    const delivery: Promise<void> = deliver(claim)
      .catch(() => undefined) // an unreachable outbox: the lease lapses and the entry comes again
      .then(() => {
        inFlight.delete(delivery);
        const left = (clientInFlight.get(clientId) ?? 1) - 1;
        if (left > 0) clientInFlight.set(clientId, left);
        else clientInFlight.delete(clientId);
        claim.done(true);
        slotFreed(clientId);
      });
    inFlight.add(delivery);
  }

  /** A slot of `clientId` is free: its oldest waiting claim takes it, else a pass may fill it. */
  function slotFreed(clientId: string): void {
    const queue = waiting.get(clientId) ?? [];
    for (let next = queue.shift(); next; next = queue.shift()) {
      waitingCount--;
      if (queue.length === 0) waiting.delete(clientId);
      if (!closing && now() - next.claimedAt <= waitWindowMs) {
        launch(next);
        return;
      }
      next.done(false); // too little of its lease left for an attempt: claimed again once it lapses
    }
    if (woken || full) void kick();
  }

  /** Where a claimed entry goes: a slot, the queue of its client's waiting claims, or back to its lease. */
  function place(claim: Claim): boolean {
    const { clientId } = claim.entry;
    if ((clientInFlight.get(clientId) ?? 0) < perClientInFlight) {
      launch(claim);
      return true;
    }
    if (!closing && waitingCount < maxWaiting) {
      const queue = waiting.get(clientId) ?? [];
      queue.push(claim);
      waiting.set(clientId, queue);
      waitingCount++;
    } else claim.done(false);
    return false;
  }

  /** Relays, then claims heads for the free slots and places them. The claims' outcomes, and how many started. */
  async function pass(): Promise<{ outcomes: Promise<boolean>[]; launched: number }> {
    woken = false;
    // The events changes stored in their own stores go to the outbox first: this pass delivers them.
    await relay?.runOnce().catch(() => 0);
    const free = batchSize - inFlight.size;
    if (free <= 0) {
      full = true; // a slot that frees starts the next pass
      return { outcomes: [], launched: 0 };
    }
    const claimedAt = now();
    const claimed = await outbox.claim(owner, claimedAt, leaseMs, free);
    full = claimed.length >= free;
    let launched = 0;
    // One queue never has two entries out (only heads are claimed), so these are distinct queues.
    const outcomes = claimed.map(
      (entry) =>
        new Promise<boolean>((done) => {
          if (place({ entry, claimedAt, done })) launched++;
        }),
    );
    return { outcomes, launched };
  }

  /** Runs a pass after the one running now, if any; while polling, the pass after it if more may be due. */
  function nextPass(): Promise<{ outcomes: Promise<boolean>[]; launched: number }> {
    const run = (passing ?? Promise.resolve()).catch(() => undefined).then(pass);
    passing = run;
    const clear = () => {
      if (passing === run) passing = null;
    };
    run.then(clear, clear);
    run.then(
      ({ launched }) => {
        // A wake during the pass, or a full claim that started something: more may be due now. A full
        // claim of waiting claims only waits for a slot: claiming more of them would only hold more.
        if ((woken || (full && launched > 0)) && inFlight.size < batchSize) void kick();
      },
      () => undefined, // an unreachable outbox is retried at the next poll
    );
    return run;
  }

  /** A pass in the background (a wake, a poll, a freed slot); one already running is enough. */
  function kick(): Promise<unknown> {
    if (!polling) return Promise.resolve();
    return (passing ?? nextPass()).catch(() => undefined);
  }

  async function runOnce(): Promise<number> {
    const { outcomes } = await nextPass();
    const attempted = await Promise.all(outcomes);
    return attempted.filter(Boolean).length;
  }

  const tick = () => {
    if (!polling) return;
    void kick().finally(() => {
      if (polling) timer = setTimeout(tick, pollMs);
    });
  };

  return {
    start() {
      if (polling) return;
      polling = true;
      closing = false;
      tick();
    },
    async stop() {
      polling = false;
      closing = true;
      if (timer) clearTimeout(timer);
      for (const queue of waiting.values()) for (const claim of queue) claim.done(false);
      waiting.clear();
      waitingCount = 0;
      // A pass running now may still launch what it claims: wait for it, then for every delivery.
      while (passing || inFlight.size > 0) await Promise.all([passing?.catch(() => undefined), ...inFlight]);
    },
    runOnce,
    wake() {
      woken = true;
      // A pass running now starts the next one when it ends (it reads `woken`); one already asked
      // for serves this wake too.
      if (passing || wakeQueued) return;
      wakeQueued = true;
      setImmediate(wokenPass);
    },
  };
}
