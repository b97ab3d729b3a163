import { randomUUID } from "node:crypto";
import { admin, memoryStore, testClock, testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AnyCredkitEvent,
  type CreateCredentialInput,
  type CredentialService,
  type CredentialServiceOptions,
  createCredentialService,
  type EventSink,
} from "../src/index.js";

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Two services over one memory store and one clock: two processes as far as the store is concerned
 * (each has its own event bus and in-process memory), so an event emitted twice would show.
 */
function twoProcesses(options: Partial<CredentialServiceOptions> = {}) {
  const clock = testClock();
  const store = memoryStore({ clock: clock.now });
  const keyring = testKeyring();
  const events: AnyCredkitEvent[] = [];
  const services = [0, 1].map(() => {
    const service = createCredentialService({
      regions: { "eu-west-1": store },
      keyring,
      defaultRegion: "eu-west-1",
      now: clock.now,
      ...options,
    });
    service.events.subscribe(["credential.expiring", "credential.expired"], (event) => events.push(event));
    return service;
  });
  const sweepAll = async (rounds = 3) => {
    for (let i = 0; i < rounds; i++) await Promise.all(services.map((s) => s.sweepExpiries()));
  };
  return { clock, store, services, events, sweepAll, clientId: `c-${randomUUID()}` };
}

const keyBody = (expiresAt: number, keyValue = `secret-${randomUUID()}`): CreateCredentialInput => ({
  credentialName: "expiring",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
  expiresAt: iso(expiresAt),
});

const summary = (events: AnyCredkitEvent[]) =>
  events.map((e) => (e.type === "credential.expiring" ? `expiring ${e.data.leadSeconds}` : e.type));

describe("credential.expiring / credential.expired", () => {
  it("come once per threshold across processes, with ids and times but no secret", async () => {
    const { clock, services, events, sweepAll, clientId } = twoProcesses();
    const end = clock.now() + 10 * DAY;
    const keyValue = `secret-${randomUUID()}`;
    const created = await services[0]?.create(admin, clientId, keyBody(end, keyValue));
    await sweepAll();
    expect(events).toEqual([]);
    clock.advance(3 * DAY - 1);
    await sweepAll();
    expect(events).toEqual([]);
    clock.advance(1); // 7 days before
    await sweepAll();
    expect(summary(events)).toEqual(["expiring 604800"]);
    clock.advance(6 * DAY); // 1 day before
    await sweepAll();
    clock.advance(DAY - 1);
    await sweepAll();
    expect(summary(events)).toEqual(["expiring 604800", "expiring 86400"]);
    clock.advance(1); // at expiresAt
    await sweepAll();
    clock.advance(20 * DAY);
    await sweepAll();
    expect(summary(events)).toEqual(["expiring 604800", "expiring 86400", "credential.expired"]);
    expect(events[2]?.data).toEqual({
      clientId,
      credentialId: created?.credentialId,
      credentialName: "expiring",
      credentialType: "proxy",
      credentialAuthType: "apiKey",
      credentialRegion: "eu-west-1",
      credentialVersion: 1,
      credentialExpiresAt: iso(end),
    });
    expect(JSON.stringify(events)).not.toContain(keyValue);
  });

  it("skips thresholds already behind: a credential created 2 hours before its end gets the 1-day one only", async () => {
    const { clock, services, events, sweepAll, clientId } = twoProcesses();
    await services[1]?.create(admin, clientId, keyBody(clock.now() + 2 * 60 * 60 * 1000));
    await sweepAll();
    expect(summary(events)).toEqual(["expiring 86400"]);
  });

  it("warns again about a renewed credential, for its new expiresAt", async () => {
    const { clock, services, events, sweepAll, clientId } = twoProcesses({
      expiryEvents: { leadTimesMs: [1000] },
    });
    const created = await services[0]?.create(admin, clientId, keyBody(clock.now() + 5000));
    clock.advance(4000);
    await sweepAll();
    clock.advance(1000);
    await sweepAll();
    await services[1]?.update(admin, clientId, created?.credentialId ?? "", {
      expiresAt: iso(clock.now() + 5000),
    });
    clock.advance(4000);
    await sweepAll();
    clock.advance(1000);
    await sweepAll();
    expect(summary(events)).toEqual(["expiring 1", "credential.expired", "expiring 1", "credential.expired"]);
    expect(events[3]?.data.credentialExpiresAt).toBe(iso(clock.now()));
  });

  it("emits an event whose sink failed on a later sweep (at least once), never twice", async () => {
    let failures = 0;
    const stored: AnyCredkitEvent[] = [];
    const sink: EventSink = {
      async publish(batch) {
        if (failures-- > 0) throw new Error("outbox down");
        stored.push(...batch);
      },
    };
    const { clock, services, sweepAll, clientId } = twoProcesses({ events: { sink } });
    await services[0]?.create(admin, clientId, keyBody(clock.now() + 1000));
    failures = 1; // the sweep's first publish fails
    clock.advance(1000);
    await expect(services[0]?.sweepExpiries()).rejects.toThrow("outbox down");
    await sweepAll();
    expect(stored.filter((e) => e.type === "credential.expired")).toHaveLength(1);
  });

  it("walks each store once per period across processes; another takes over when the walker stops", async () => {
    const { clock, services } = twoProcesses({ expiryEvents: { sweepEveryMs: 60_000 } });
    const [first, second] = services as [CredentialService, CredentialService];
    const walked = async () =>
      (await Promise.all(services.map((s) => s.sweepExpiries()))).map((r) => r.storesWalked);
    const [a, b] = await walked();
    expect((a ?? 0) + (b ?? 0)).toBe(1);
    const walker = a === 1 ? first : second;
    const other = walker === first ? second : first;
    clock.advance(59_999);
    expect((await other.sweepExpiries()).storesWalked).toBe(0);
    expect((await walker.sweepExpiries()).storesWalked).toBe(1); // the holder walks again, renewing
    // The walker stops (dies): a period later the other process walks the store.
    clock.advance(59_999);
    expect((await other.sweepExpiries()).storesWalked).toBe(0);
    clock.advance(1);
    expect((await other.sweepExpiries()).storesWalked).toBe(1);
    expect((await walker.sweepExpiries()).storesWalked).toBe(0);
  });

  it("lets another process walk at once after a walk that failed", async () => {
    let down = false;
    const sink: EventSink = {
      async publish() {
        if (down) throw new Error("outbox down");
      },
    };
    const { clock, services, clientId } = twoProcesses({ events: { sink } });
    const [first, second] = services as [CredentialService, CredentialService];
    await first.create(admin, clientId, keyBody(clock.now() + 1000));
    clock.advance(1000);
    down = true;
    await expect(first.sweepExpiries()).rejects.toThrow("outbox down");
    await expect(second.sweepExpiries()).rejects.toThrow("outbox down"); // it walked: the lease was free
  });

  it("does nothing while nobody listens", async () => {
    const clock = testClock();
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore({ clock: clock.now }) },
      keyring: testKeyring(),
      defaultRegion: "eu-west-1",
      now: clock.now,
    });
    await service.create(admin, "acme", keyBody(clock.now() + 1000));
    clock.advance(1000);
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 0, storesWalked: 0 });
    const events: string[] = [];
    service.events.subscribe("*", (event) => events.push(event.type));
    expect(await service.sweepExpiries()).toEqual({ expiring: 0, expired: 1, storesWalked: 1 });
    expect(events).toEqual(["credential.expired"]);
  });

  it("refuses lead times that are not whole milliseconds above 0, or too many", () => {
    const refusals = [[0], [-1], [1.5], [Number.NaN], [1000, 0], Array.from({ length: 11 }, (_, i) => i + 1)];
    for (const leadTimesMs of refusals) {
      const create = () =>
        createCredentialService({
          regions: { "eu-west-1": memoryStore() },
          keyring: testKeyring(),
          expiryEvents: { leadTimesMs },
        });
      expect(create, String(leadTimesMs)).toThrow(/leadTimesMs/);
      expect(create, String(leadTimesMs)).toThrow(expect.objectContaining({ code: "CONFIGURATION_ERROR" }));
    }
  });
});
