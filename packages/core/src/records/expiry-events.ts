import { randomUUID } from "node:crypto";
import { CredkitError } from "../errors.js";
import type { EventPublisher } from "../events/event-bus.js";
import { credentialEventData } from "../events/event-data.js";
import type { StoredCredential } from "../record.js";
import type { RegionRouter } from "../regions.js";
import type { CredentialStore } from "../storage.js";
import { toPublicCredential } from "../view.js";
import { isLifetimeOver } from "./lifetime.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The default lead times of `credential.expiring`: 7 days and 1 day before `expiresAt`. */
export const DEFAULT_EXPIRY_LEAD_TIMES_MS: readonly number[] = [7 * DAY_MS, DAY_MS];
// How long a process may hold an event's claim before emitting it: a process that dies holding it
// lets another emit the event once this has passed.
const CLAIM_MS = 60_000;
const SCAN_PAGE = 500;
// Markers this process knows are taken (until when), so a sweep skips them without asking the store.
const MAX_KNOWN_TAKEN = 100_000;
/** The default spacing of two walks of one store across every process (the server's sweep period). */
export const DEFAULT_SWEEP_EVERY_MS = 60_000;
/** The store lease whose holder walks that store; the others skip it. */
export const EXPIRY_SWEEP_LEASE = "expiry-sweep";

/**
 * The lead times, checked: at most 10, each a whole number of milliseconds above 0 (CONFIGURATION_ERROR
 * otherwise); duplicates count once.
 */
export function expiryLeadTimes(leadTimesMs: readonly number[] | undefined): readonly number[] {
  if (leadTimesMs === undefined) return DEFAULT_EXPIRY_LEAD_TIMES_MS;
  if (leadTimesMs.length > 10 || !leadTimesMs.every((ms) => Number.isSafeInteger(ms) && ms > 0)) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      "expiryEvents.leadTimesMs must be at most 10 whole numbers of milliseconds above 0",
    );
  }
  return [...new Set(leadTimesMs)];
}

/** What one sweep did: events emitted by this process (others may have emitted the rest). */
export interface ExpirySweepResult {
  expiring: number;
  expired: number;
  /** Stores this process walked; the others were being walked, or were walked lately, by another process. */
  storesWalked: number;
}

/** The event a credential is due, if any: the most urgent threshold it has reached. */
function dueEvent(
  record: StoredCredential,
  now: number,
  leadTimesMs: readonly number[],
): { leadMs: number | null } | null {
  const end = record.lifetimeEndsAt ?? null;
  if (end === null || record.temporary) return null;
  if (isLifetimeOver(record, now)) return { leadMs: null };
  // The smallest lead already reached: a credential created 2 hours before its end gets the 1-day
  // warning only, never a stale 7-day one after it.
  let due: number | null = null;
  for (const lead of leadTimesMs) if (end - lead <= now && (due === null || lead < due)) due = lead;
  return due === null ? null : { leadMs: due };
}

/**
 * The expiry events, `credential.expiring` (at each lead time before `expiresAt`) and
 * `credential.expired` (at it), found by walking every store and emitted **once per threshold across
 * every process sharing the stores**: each event has a marker lease named for the credential, its
 * lifetime's end and the threshold. A process claims it for a minute, emits, then keeps it until the
 * record is gone; the process that loses the claim emits nothing. A process that dies between claim and
 * emit lets the claim lapse and a later sweep emits (at least once). Renewing a credential (a new
 * `expiresAt`) names new markers, so its warnings come again.
 *
 * Each store is walked by **one process per `sweepEveryMs`**, not by every process: a walk starts by
 * taking the store's `expiry-sweep` lease for `sweepEveryMs` (renewed page by page, so a long walk keeps
 * it); a process that finds it held by another skips that store. The holder keeps it after its walk, so
 * the same process walks it next time while it lives; when it dies, the lease lapses and another takes
 * over, at most one period later. A walk that fails releases it at once. The markers still make each
 * event once when two walks overlap (a lapsed lease, a clock step).
 */
export function createExpirySweep(options: {
  router: RegionRouter;
  publisher: EventPublisher;
  now: () => number;
  expiredRetentionMs: number;
  leadTimesMs: readonly number[];
  /** How long a walk of a store keeps the other processes off it. Default {@link DEFAULT_SWEEP_EVERY_MS}. */
  sweepEveryMs?: number | undefined;
}) {
  const { router, publisher, now, leadTimesMs } = options;
  const sweepEveryMs = options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS;
  const taken = new Map<string, number>();
  const owner = randomUUID();

  async function emitOnce(store: CredentialStore, record: StoredCredential, leadMs: number | null) {
    const end = record.lifetimeEndsAt as number;
    const marker = `expiry-event:${record.clientId}:${record.credentialId}:${end}:${leadMs ?? "expired"}`;
    if ((taken.get(marker) ?? 0) > now()) return false;
    const claimedBy = `${owner}:${randomUUID()}`;
    if (!(await store.acquireLease(marker, claimedBy, CLAIM_MS))) {
      // Another process emitted it, or holds the claim: look again once a claim could have lapsed.
      remember(marker, now() + CLAIM_MS);
      return false;
    }
    const data = credentialEventData(toPublicCredential(record));
    try {
      if (leadMs === null) await publisher.emit("credential.expired", data);
      else await publisher.emit("credential.expiring", { ...data, leadSeconds: Math.round(leadMs / 1000) });
    } catch (error) {
      // Not emitted: free the claim so the next sweep (here or elsewhere) tries again.
      // Stryker disable next-line ArrowFunction,BooleanLiteral: a failed release is ignored, whatever the catch answers
      await store.releaseLease(marker, claimedBy).catch(() => false);
      throw error;
    }
    // Held (by renewing it) until the record itself is gone, plus a day: no sweep can meet it again.
    await store.acquireLease(marker, claimedBy, end + options.expiredRetentionMs - now() + DAY_MS);
    remember(marker, Number.POSITIVE_INFINITY);
    return true;
  }

  function remember(marker: string, until: number) {
    if (taken.size >= MAX_KNOWN_TAKEN) taken.clear();
    taken.set(marker, until);
  }

  /** Walks one store (this process holds its sweep lease) and emits the events that are due. */
  async function walk(store: CredentialStore, result: ExpirySweepResult): Promise<void> {
    let cursor: string | undefined;
    do {
      // Stryker disable next-line ConditionalExpression: every store (defineStore's page) reads a cursor of undefined as none
      const page = await store.scan({ limit: SCAN_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const at = now();
      for (const record of page.items) {
        const due = dueEvent(record, at, leadTimesMs);
        if (due && (await emitOnce(store, record, due.leadMs))) {
          if (due.leadMs === null) result.expired++;
          else result.expiring++;
        }
      }
      cursor = page.cursor ?? undefined;
      // Renewed page by page: a walk longer than a period is not joined by a second walker.
      if (cursor !== undefined) await store.acquireLease(EXPIRY_SWEEP_LEASE, owner, sweepEveryMs);
    } while (cursor !== undefined);
  }

  /** Walks every store this process may walk now, and emits the events that are due. */
  return async function sweepExpiries(): Promise<ExpirySweepResult> {
    const result: ExpirySweepResult = { expiring: 0, expired: 0, storesWalked: 0 };
    if (!publisher.active) return result; // nobody listens: nothing to tell, nothing to mark
    for (const { store } of router.stores) {
      if (!(await store.acquireLease(EXPIRY_SWEEP_LEASE, owner, sweepEveryMs))) continue;
      result.storesWalked++;
      try {
        await walk(store, result);
      } catch (error) {
        // Walk again soon, here or elsewhere, rather than a period later.
        // Stryker disable next-line ArrowFunction,BooleanLiteral: a failed release is ignored, whatever the catch answers
        await store.releaseLease(EXPIRY_SWEEP_LEASE, owner).catch(() => false);
        throw error;
      }
    }
    return result;
  };
}
