import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  type CredentialStore,
  CredkitError,
  createCredentialService,
  createKeyring,
  createNearCache,
  defineCredentialStore,
  type Invalidation,
  type InvalidationChannel,
  type NearCache,
} from "../src/index.js";
import { laxDriver } from "./lax-driver.js";

// When a write returns, to the millisecond of a fake clock: a write that revokes waits out the near
// cache's bound unless every process confirmed, and nothing else waits (near-cache-revocation.test.ts
// shows the same on the real clock, where a loaded machine can hide a missing wait).
const admin: Actor = { userId: "alice", clientIds: "*", scopes: [] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const TTL = 1_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A channel answering `confirm` to every publish (or rejecting), recording what it was asked. */
function channel(confirm: boolean | "reject") {
  const published: [Invalidation, number | undefined][] = [];
  const ch: InvalidationChannel = {
    publish: async (event, confirmWithinMs) => {
      published.push([event, confirmWithinMs]);
      if (confirm === "reject") throw new Error("channel down");
      return confirm;
    },
    subscribe: async () => async () => undefined,
  };
  return { ch, published };
}

/** A service over `store` (one region) with `cache` as its near cache. */
const serviceOver = (store: CredentialStore, cache: NearCache) =>
  createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    nearCache: cache,
  });

function setup(options: { channel?: InvalidationChannel; ttlMs?: number; store?: CredentialStore } = {}) {
  const cache = createNearCache({
    ttlMs: options.ttlMs ?? TTL,
    ...(options.channel ? { channel: options.channel } : {}),
  });
  const service = serviceOver(options.store ?? memoryStore(), cache);
  return { service, cache, clientId: `c-${randomUUID()}` };
}

const key = (): CreateCredentialInput => ({
  credentialName: "k",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue: randomBytes(16).toString("hex") },
});
const target = (): CreateCredentialInput => ({
  credentialName: "t",
  credentialType: "target",
  authType: "bearer",
  secret: { token: "upstream-token" },
});

/** Settles `write` by advancing the fake clock; answers how many milliseconds that took. */
async function millisecondsUntilSettled(write: Promise<unknown>): Promise<number> {
  let settled = false;
  void write.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let waited = 0;
  await vi.advanceTimersByTimeAsync(0);
  while (!settled && waited < 10 * TTL) {
    await vi.advanceTimersByTimeAsync(1);
    waited++;
  }
  await write;
  return waited;
}

describe("when a write returns", () => {
  it("an unconfirmed revocation returns once the bound has passed since it began, not a millisecond sooner", async () => {
    for (const answer of [false, "reject"] as const) {
      const { ch, published } = channel(answer);
      const p = setup({ channel: ch });
      await vi.advanceTimersByTimeAsync(0); // subscribed
      const { credentialId } = await p.service.create(admin, p.clientId, key());
      expect(
        await millisecondsUntilSettled(p.service.delete(admin, p.clientId, credentialId)),
        String(answer),
      ).toBe(TTL);
      expect(published.at(-1)).toEqual([{ clientId: p.clientId, credentialId }, TTL]);
    }
  });

  it("a confirmed revocation returns at once; a create or a target's update never waits", async () => {
    const { ch, published } = channel(true);
    const p = setup({ channel: ch });
    await vi.advanceTimersByTimeAsync(0);
    const { credentialId } = await p.service.create(admin, p.clientId, key());
    expect(published.at(-1)).toEqual([{ clientId: p.clientId, credentialId }, undefined]);
    expect(
      await millisecondsUntilSettled(
        p.service.update(admin, p.clientId, credentialId, { credentialName: "n" }),
      ),
    ).toBe(0);
    expect(published.at(-1)?.[1]).toBe(TTL);

    const deaf = channel(false);
    const q = setup({ channel: deaf.ch });
    await vi.advanceTimersByTimeAsync(0);
    const made = await q.service.create(admin, q.clientId, target());
    expect(
      await millisecondsUntilSettled(
        q.service.update(admin, q.clientId, made.credentialId, { credentialName: "n" }),
      ),
    ).toBe(0);
    expect(deaf.published.at(-1)?.[1]).toBeUndefined();
  });

  it("without a channel, only a switch to single use waits the bound out", async () => {
    const p = setup();
    const { credentialId } = await p.service.create(admin, p.clientId, key());
    expect(
      await millisecondsUntilSettled(
        p.service.update(admin, p.clientId, credentialId, { credentialName: "n" }),
      ),
    ).toBe(0);
    expect(
      await millisecondsUntilSettled(p.service.update(admin, p.clientId, credentialId, { singleUse: true })),
    ).toBe(TTL);
    expect(await millisecondsUntilSettled(p.service.delete(admin, p.clientId, credentialId))).toBe(0);
  });

  it("a cache that is off but has a channel (the rotation job's) announces every write and waits for none", async () => {
    const { ch, published } = channel(false);
    const p = setup({ channel: ch, ttlMs: 0 });
    const { credentialId } = await p.service.create(admin, p.clientId, key());
    expect(await millisecondsUntilSettled(p.service.delete(admin, p.clientId, credentialId))).toBe(0);
    expect(published.map(([event]) => event.credentialId)).toEqual([credentialId, credentialId]);
    // Nothing to wait for: no confirmation is asked of the other processes either.
    expect(published.map(([, confirmWithinMs]) => confirmWithinMs)).toEqual([undefined, undefined]);
  });

  it("a write that failed is announced, but neither waits nor asks for confirmation", async () => {
    const { ch, published } = channel(false);
    const driver = laxDriver();
    const store = defineCredentialStore({
      ...driver,
      delete: async () => {
        throw new CredkitError("STORAGE_UNAVAILABLE", "the store is down");
      },
    });
    const { service, clientId } = setup({ channel: ch, store });
    await vi.advanceTimersByTimeAsync(0);
    const { credentialId } = await service.create(admin, clientId, key());
    const deleting = service.delete(admin, clientId, credentialId);
    const failed = deleting.then(
      () => "deleted",
      (error: CredkitError) => error.code,
    );
    expect(await millisecondsUntilSettled(failed)).toBe(0);
    expect(await failed).toBe("STORAGE_UNAVAILABLE");
    expect(published.at(-1)).toEqual([{ clientId, credentialId }, undefined]);
  });

  it("a cache shared by two services over one store hears each write once", async () => {
    const { ch, published } = channel(true);
    const cache = createNearCache({ ttlMs: TTL, channel: ch });
    const store = memoryStore();
    const service = serviceOver(store, cache);
    serviceOver(store, cache); // a second service: its writes would be heard twice without the one listener
    await vi.advanceTimersByTimeAsync(0);
    const clientId = `c-${randomUUID()}`;
    const { credentialId } = await service.create(admin, clientId, key());
    expect(published).toEqual([[{ clientId, credentialId }, undefined]]);
    expect(cache.stats.invalidations).toBe(1);
  });

  it("a cache that is off and has no channel hears no write", async () => {
    const { service, cache, clientId } = setup({ ttlMs: 0 });
    const { credentialId } = await service.create(admin, clientId, key());
    await service.delete(admin, clientId, credentialId);
    expect(cache.stats.invalidations).toBe(0);
  });
});
