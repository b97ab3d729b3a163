import { admin, memoryStore, targetService, testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { isFresh } from "../src/target/token-cache.js";
import { useMockOAuth } from "./oauth-fixture.js";

// The waiting side of the shared token: a process that finds another holding the refresh lease polls
// the record and uses the token the holder writes, takes the lease over when it is freed, and gives
// up after twice the lease TTL. Also the freshness rule to the millisecond.
const mock = useMockOAuth();

const { clientCredentials } = mock;
const leaseOf = (clientId: string, credentialId: string) => `target-token:${clientId}:${credentialId}`;

/** A store that reports each refused lease (a waiter entering its poll loop). */
function watched(shared: CredentialStore) {
  let refused: () => void = () => undefined;
  const firstRefusal = new Promise<void>((resolve) => {
    refused = resolve;
  });
  const store: CredentialStore = {
    ...shared,
    acquireLease: async (name, owner, ttlMs) => {
      const won = await shared.acquireLease(name, owner, ttlMs);
      if (!won) refused();
      return won;
    },
  };
  return { store, firstRefusal };
}

describe("waiting for another process's token", () => {
  it("uses the token the lease holder writes, without a request of its own", async () => {
    const shared = memoryStore();
    const keyring = testKeyring();
    const { store, firstRefusal } = watched(shared);
    const waiter = targetService({ store, keyring });
    const clientId = waiter.clientId;
    const created = await waiter.service.create(admin, clientId, clientCredentials());
    // Another process holds the lease...
    expect(await shared.acquireLease(leaseOf(clientId, created.credentialId), "other", 60_000)).toBe(true);
    const before = mock.server.tokenRequests();
    const waiting = waiter.service.resolveTargetAuth(admin, clientId, created.credentialId);
    await firstRefusal;
    // ...and writes the token (a holder over the same records, its lease taken for it).
    const holder = targetService({ store: { ...shared, acquireLease: async () => true }, keyring });
    const written = await holder.service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(await waiting).toEqual(written);
    expect(mock.server.tokenRequests() - before).toBe(1);
  });

  it("takes the lease over when it is freed, and fetches the token itself", async () => {
    const shared = memoryStore();
    const { store, firstRefusal } = watched(shared);
    const waiter = targetService({ store });
    const clientId = waiter.clientId;
    const created = await waiter.service.create(admin, clientId, clientCredentials());
    const lease = leaseOf(clientId, created.credentialId);
    expect(await shared.acquireLease(lease, "other", 60_000)).toBe(true);
    const before = mock.server.tokenRequests();
    const waiting = waiter.service.resolveTargetAuth(admin, clientId, created.credentialId);
    await firstRefusal;
    expect(await shared.releaseLease(lease, "other")).toBe(true);
    expect((await waiting).headers.Authorization).toMatch(/^Bearer /);
    expect(mock.server.tokenRequests() - before).toBe(1);
    // It released the lease it took.
    expect(await shared.acquireLease(lease, "next", 60_000)).toBe(true);
  });

  it("gives up after twice the lease TTL when the holder never writes", async () => {
    const shared = memoryStore();
    const waiter = targetService({ store: shared, tokens: { leaseTtlMs: 100 } });
    const clientId = waiter.clientId;
    const created = await waiter.service.create(admin, clientId, clientCredentials());
    expect(await shared.acquireLease(leaseOf(clientId, created.credentialId), "other", 60_000)).toBe(true);
    const before = mock.server.tokenRequests();
    await expect(
      waiter.service.resolveTargetAuth(admin, clientId, created.credentialId),
    ).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringMatching(/Timed out waiting/),
    });
    expect(mock.server.tokenRequests() - before).toBe(0);
  });

  it("stops waiting when the credential is deleted meanwhile", async () => {
    const shared = memoryStore();
    const { store, firstRefusal } = watched(shared);
    const waiter = targetService({ store });
    const clientId = waiter.clientId;
    const created = await waiter.service.create(admin, clientId, clientCredentials());
    expect(await shared.acquireLease(leaseOf(clientId, created.credentialId), "other", 60_000)).toBe(true);
    const waiting = waiter.service.resolveTargetAuth(admin, clientId, created.credentialId);
    await firstRefusal;
    await waiter.service.delete(admin, clientId, created.credentialId);
    await expect(waiting).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("token freshness", () => {
  const token = (obtainedAt: number, expiresAt: number) => ({ token: "t", obtainedAt, expiresAt });

  it("is fresh until skewMs before expiresAt, to the millisecond", () => {
    const access = token(0, 100_000);
    expect(isFresh(access, 69_999, { skewMs: 30_000 })).toBe(true);
    expect(isFresh(access, 70_000, { skewMs: 30_000 })).toBe(false);
    expect(isFresh(access, 99_999, { skewMs: 0 })).toBe(true);
    expect(isFresh(access, 100_000, { skewMs: 0 })).toBe(false);
    expect(isFresh(undefined, 0, { skewMs: 0 })).toBe(false);
  });

  it("keeps a token shorter-lived than twice the skew for half its life", () => {
    const access = token(1_000, 11_000); // 10 s of life, a 30 s skew: fresh for 5 s
    expect(isFresh(access, 5_999, { skewMs: 30_000 })).toBe(true);
    expect(isFresh(access, 6_000, { skewMs: 30_000 })).toBe(false);
  });
});
