import { randomUUID } from "node:crypto";
import { admin, memoryStore, testClock, testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  addStoreHooks,
  type CreateCredentialInput,
  type CredentialServiceOptions,
  type CredentialStore,
  createCredentialService,
} from "../src/index.js";
import { storedRecord } from "./stored-record.js";

// The expiry sweep's markers, exactly: their names (processes of two versions share them during a
// deploy), how long they are held, what a process remembers of a lost claim, and the sweep lease's
// renewal page by page. expiry-events.test.ts has the events as subscribers see them.
const DAY = 24 * 60 * 60 * 1000;
const RETENTION = 10 * DAY;

/** A service (one process) over `store`, on the clock `now`. */
function serviceOver(
  store: CredentialStore,
  now: () => number,
  options: Partial<CredentialServiceOptions> = {},
) {
  return createCredentialService({
    regions: { "eu-west-1": store },
    keyring: testKeyring(),
    defaultRegion: "eu-west-1",
    now,
    expiredRetentionMs: RETENTION,
    ...options,
  });
}

/** One service over a memory store on a test clock, its events, and the store's lease calls counted. */
function sweeper(options: Partial<CredentialServiceOptions> = {}) {
  const clock = testClock();
  const store = memoryStore({ clock: clock.now });
  let leaseCalls = 0;
  addStoreHooks(store, {
    operation: ({ operation }) => {
      if (operation === "acquireLease") leaseCalls++;
    },
  });
  const service = serviceOver(store, clock.now, options);
  const events: string[] = [];
  service.events.subscribe(["credential.expiring", "credential.expired"], (event) =>
    events.push(event.type === "credential.expiring" ? `expiring ${event.data.leadSeconds}` : event.type),
  );
  const leases = () => leaseCalls;
  return { clock, store, service, events, leases, clientId: `c-${randomUUID()}` };
}

const keyBody = (expiresAt: number): CreateCredentialInput => ({
  credentialName: "expiring",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue: `secret-${randomUUID()}` },
  expiresAt: new Date(expiresAt).toISOString(),
});

describe("expiry markers", () => {
  it("are named for the credential, its end and the threshold, and held until its deletion plus a day", async () => {
    const { clock, store, service, events, clientId } = sweeper({ expiryEvents: { leadTimesMs: [1000] } });
    const end = clock.now() + 5000;
    const { credentialId } = await service.create(admin, clientId, keyBody(end));
    clock.advance(4000);
    await service.sweepExpiries();
    clock.advance(1000);
    await service.sweepExpiries();
    expect(events).toEqual(["expiring 1", "credential.expired"]);
    const markers = [1000, "expired"].map(
      (lead) => `expiry-event:${clientId}:${credentialId}:${end}:${lead}`,
    );
    // Whenever each was emitted, both are held until end + retention + a day, to the millisecond.
    clock.advance(RETENTION + DAY - 1);
    for (const marker of markers) expect(await store.acquireLease(marker, "probe", 1), marker).toBe(false);
    clock.advance(1);
    for (const marker of markers) expect(await store.acquireLease(marker, "probe", 1), marker).toBe(true);
  });

  it("a claim lost to a process that died holding it: skipped for a minute, then emitted", async () => {
    const { clock, store, service, events, leases, clientId } = sweeper();
    const end = clock.now() + 1000;
    const { credentialId } = await service.create(admin, clientId, keyBody(end));
    clock.advance(1000);
    const marker = `expiry-event:${clientId}:${credentialId}:${end}:expired`;
    expect(await store.acquireLease(marker, "dead process", 60_000)).toBe(true);
    const before = leases();
    const none = { expiring: 0, expired: 0, storesWalked: 1 };
    expect(await service.sweepExpiries()).toEqual(none); // the sweep lease, then the marker: lost
    expect(events).toEqual([]);
    expect(leases() - before).toBe(2);
    clock.advance(59_999);
    expect(await service.sweepExpiries()).toEqual(none); // remembered as taken: only the sweep lease is asked
    expect(leases() - before).toBe(3);
    clock.advance(1); // the dead process's claim lapsed, and so did what this one remembered
    await service.sweepExpiries();
    expect(events).toEqual(["credential.expired"]);
    const emitted = leases();
    await service.sweepExpiries(); // emitted: never asked about again
    expect(leases() - emitted).toBe(1);
    expect(events).toEqual(["credential.expired"]);
  });

  it("several lost claims are remembered together: the next sweep asks only for the sweep lease", async () => {
    const { clock, store, service, leases, clientId } = sweeper();
    const end = clock.now() + 1000;
    for (let i = 0; i < 2; i++) {
      const { credentialId } = await service.create(admin, clientId, keyBody(end));
      await store.acquireLease(
        `expiry-event:${clientId}:${credentialId}:${end}:expired`,
        "dead process",
        60_000,
      );
    }
    clock.advance(1000);
    const before = leases();
    await service.sweepExpiries(); // the sweep lease and both markers: lost
    expect(leases() - before).toBe(3);
    await service.sweepExpiries();
    expect(leases() - before).toBe(4);
  });

  it("a marker another process emitted is not claimed again once that process stops walking", async () => {
    const { clock, store, service, events, clientId } = sweeper();
    const other = serviceOver(store, clock.now);
    const otherEvents: string[] = [];
    other.events.subscribe("*", (event) => otherEvents.push(event.type));
    await service.create(admin, clientId, keyBody(clock.now() + 1000));
    clock.advance(1000);
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 1, storesWalked: 1 });
    clock.advance(60_000); // the first process's sweep lease lapsed: the other walks the store
    expect(await other.sweepExpiries()).toEqual({ expiring: 0, expired: 0, storesWalked: 1 });
    expect([events, otherEvents]).toEqual([["credential.expired"], []]);
  });

  it("counts in its result only the events it emitted, expiring and expired apart", async () => {
    const { clock, service, events, clientId } = sweeper({ expiryEvents: { leadTimesMs: [1000] } });
    await service.create(admin, clientId, keyBody(clock.now() + 1000));
    expect(await service.sweepExpiries()).toEqual({ expiring: 1, expired: 0, storesWalked: 1 });
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 0, storesWalked: 1 });
    clock.advance(1000);
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 1, storesWalked: 1 });
    expect(events).toEqual(["expiring 1", "credential.expired"]);
  });

  it("warns at the smallest lead reached, whatever the order the lead times were given in", async () => {
    const { clock, service, events, clientId } = sweeper({ expiryEvents: { leadTimesMs: [1000, 5000] } });
    await service.create(admin, clientId, keyBody(clock.now() + 500));
    await service.sweepExpiries();
    expect(events).toEqual(["expiring 1"]);
  });

  it("none for a pending (temporary) record, whatever its lifetime", async () => {
    const { clock, store, service, events, clientId } = sweeper();
    const end = clock.now() + 1000;
    const fields = { clientId, lifetimeEndsAt: end, expiresAt: end + RETENTION };
    await store.create(storedRecord({ ...fields, temporary: true }));
    await store.create(storedRecord(fields));
    clock.advance(1000);
    await service.sweepExpiries();
    expect(events).toEqual(["credential.expired"]);
  });
});

describe("the expiry sweep", () => {
  it("renews its store lease after each page but the last (500 records a page)", async () => {
    for (const [count, acquired] of [
      [500, 1],
      [501, 2],
    ] as const) {
      const { store, service, leases, clientId } = sweeper();
      for (let i = 0; i < count; i++) await store.create(storedRecord({ clientId }));
      const before = leases();
      expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 0, storesWalked: 1 });
      expect(leases() - before, String(count)).toBe(acquired);
    }
  });

  it("walks every page, under its store lease named expiry-sweep", async () => {
    const { clock, store, service, clientId } = sweeper();
    const end = clock.now();
    const fields = { clientId, lifetimeEndsAt: end, expiresAt: end + RETENTION };
    for (let i = 0; i < 501; i++) await store.create(storedRecord(fields));
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 501, storesWalked: 1 });
    expect(await store.acquireLease("expiry-sweep", "probe", 1)).toBe(false);
  });

  it("takes up to 10 lead times, a duplicate counting once", async () => {
    const ten = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000);
    expect(() => sweeper({ expiryEvents: { leadTimesMs: ten } })).not.toThrow();
    const { clock, service, events, clientId } = sweeper({ expiryEvents: { leadTimesMs: [1000, 1000] } });
    await service.create(admin, clientId, keyBody(clock.now() + 1000));
    await service.sweepExpiries();
    expect(events).toEqual(["expiring 1"]);
  });
});
