import { randomUUID } from "node:crypto";
import {
  admin,
  authorizeAtMock,
  type CreateExtras,
  type MockOAuth,
  memoryStore,
  startMockOAuth,
  target,
  targetService,
  testClock,
  testKeyring,
  unchecked,
} from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CreateCredentialInput,
  type CredentialServiceOptions,
  createCredentialService,
  DEFAULT_EXPIRED_RETENTION_MS,
  type StoredCredential,
  type UpdateCredentialInput,
} from "../src/index.js";

const DAY = 24 * 60 * 60 * 1000;

/**
 * A service over a memory store sharing one test clock, with the near cache on (a long bound) so a
 * cached verdict is what the lifetime check has to refuse.
 */
function clocked(options: Partial<CredentialServiceOptions> = {}) {
  const clock = testClock();
  const store = memoryStore({ clock: clock.now });
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring: testKeyring(),
    defaultRegion: "eu-west-1",
    now: clock.now,
    nearCache: { ttlMs: 10 * DAY },
    ...options,
  });
  return { service, store, clock, clientId: `c-${randomUUID()}` };
}

const iso = (ms: number) => new Date(ms).toISOString();
const keyValue = () => `key-${randomUUID()}`;
const proxyKey = (value: string, extra: CreateExtras = {}): CreateCredentialInput => ({
  credentialName: "expiring key",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue: value },
  ...extra,
});

describe("credential lifetimes (expiresAt)", () => {
  it("shows expiresAt, keeps the record for the retention grace and refuses a cached verdict at that instant", async () => {
    const { service, store, clock, clientId } = clocked();
    const end = clock.now() + DAY;
    const value = keyValue();
    const created = await service.create(admin, clientId, proxyKey(value, { expiresAt: iso(end) }));
    expect(created.credentialExpiresAt).toBe(iso(end));
    const stored = (await store.get(clientId, created.credentialId)) as StoredCredential;
    expect(stored).toMatchObject({ lifetimeEndsAt: end, expiresAt: end + DEFAULT_EXPIRED_RETENTION_MS });

    const verify = () => service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": value } });
    clock.advance(DAY - 1);
    expect(await verify()).toMatchObject({ ok: true }); // the verdict is now in the near cache
    clock.advance(1);
    expect(await verify()).toEqual({ ok: false, reason: "EXPIRED" });
    // Still kept: readable by id, renewable; gone only when its store's own expiry comes.
    expect((await service.get(admin, clientId, created.credentialId)).credentialExpiresAt).toBe(iso(end));
    clock.advance(DEFAULT_EXPIRED_RETENTION_MS - 1);
    expect(await store.get(clientId, created.credentialId)).not.toBeNull();
    clock.advance(1);
    expect(await store.get(clientId, created.credentialId)).toBeNull();
    await expect(service.get(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("lists an expired credential only with includeExpired", async () => {
    const { service, clock, clientId } = clocked();
    const expiring = await service.create(
      admin,
      clientId,
      proxyKey(keyValue(), { expiresAt: iso(clock.now() + 1000) }),
    );
    const forever = await service.create(admin, clientId, proxyKey(keyValue()));
    const walk = async (includeExpired?: boolean) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.list(admin, clientId, {
          limit: 1,
          ...(includeExpired === undefined ? {} : { includeExpired }),
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.credentials.map((c) => c.credentialId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen.sort();
    };
    const both = [expiring.credentialId, forever.credentialId].sort();
    expect(await walk()).toEqual(both);
    clock.advance(1000);
    expect(await walk()).toEqual([forever.credentialId]);
    expect(await walk(false)).toEqual([forever.credentialId]);
    expect(await walk(true)).toEqual(both);
  });

  it("refuses a target at expiresAt (CREDENTIAL_EXPIRED) and resolves it again once renewed", async () => {
    const { service, clock, clientId } = clocked();
    const end = clock.now() + 5000;
    const created = await service.create(
      admin,
      clientId,
      target("bearer", { token: "t-1" }, { expiresAt: iso(end) }),
    );
    clock.advance(4999);
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toEqual({
      headers: { Authorization: "Bearer t-1" },
      query: {},
    });
    clock.advance(1);
    const refused = service.resolveTargetAuth(admin, clientId, created.credentialId);
    await expect(refused).rejects.toMatchObject({ code: "CREDENTIAL_EXPIRED" });
    await expect(refused).rejects.toThrow(`expired at ${iso(end)}`);
    const renewed = await service.update(admin, clientId, created.credentialId, {
      expiresAt: iso(clock.now() + DAY),
    });
    expect(renewed.credentialExpiresAt).toBe(iso(clock.now() + DAY));
    expect(await service.resolveTargetAuth(admin, clientId, created.credentialId)).toMatchObject({
      headers: { Authorization: "Bearer t-1" },
    });
  });

  it("never spends an expired single-use credential", async () => {
    const { service, store, clock, clientId } = clocked();
    const value = keyValue();
    const proxy = await service.create(
      admin,
      clientId,
      proxyKey(value, { singleUse: true, expiresAt: iso(clock.now() + 10) }),
    );
    const onceTarget = await service.create(
      admin,
      clientId,
      target("bearer", { token: "t-2" }, { singleUse: true, expiresAt: iso(clock.now() + 10) }),
    );
    clock.advance(10);
    expect(await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": value } })).toEqual({
      ok: false,
      reason: "EXPIRED",
    });
    await expect(service.resolveTargetAuth(admin, clientId, onceTarget.credentialId)).rejects.toMatchObject({
      code: "CREDENTIAL_EXPIRED",
    });
    expect(await store.get(clientId, proxy.credentialId)).not.toBeNull();
    expect(await store.get(clientId, onceTarget.credentialId)).not.toBeNull();
  });

  it("clears a lifetime with null: kept forever again, today's shape", async () => {
    const { service, store, clock, clientId } = clocked({ expiredRetentionMs: 0 });
    const created = await service.create(
      admin,
      clientId,
      proxyKey(keyValue(), { expiresAt: iso(clock.now() + 1000) }),
    );
    expect((await store.get(clientId, created.credentialId))?.expiresAt).toBe(clock.now() + 1000);
    const cleared = await service.update(admin, clientId, created.credentialId, { expiresAt: null });
    expect(cleared.credentialExpiresAt).toBeNull();
    const stored = (await store.get(clientId, created.credentialId)) as StoredCredential;
    expect(stored.expiresAt).toBeNull();
    expect("lifetimeEndsAt" in stored).toBe(false);
    clock.advance(100 * 365 * DAY);
    expect(await service.get(admin, clientId, created.credentialId)).toMatchObject({
      credentialExpiresAt: null,
    });
  });

  it("deletes at expiresAt plus a configured grace (0: at expiresAt itself)", async () => {
    const { service, store, clock, clientId } = clocked({ expiredRetentionMs: 0 });
    const created = await service.create(
      admin,
      clientId,
      proxyKey(keyValue(), { expiresAt: iso(clock.now() + 1000) }),
    );
    clock.advance(1000);
    expect(await store.get(clientId, created.credentialId)).toBeNull();
  });

  it("leaves a credential created without expiresAt exactly as before", async () => {
    const { service, store, clientId } = clocked();
    const created = await service.create(admin, clientId, proxyKey(keyValue()));
    expect(created.credentialExpiresAt).toBeNull();
    const stored = (await store.get(clientId, created.credentialId)) as StoredCredential;
    expect(stored.expiresAt).toBeNull();
    expect("lifetimeEndsAt" in stored).toBe(false);
  });

  it.each([
    ["now itself", (now: number) => iso(now)],
    ["the past", (now: number) => iso(now - 1)],
    ["a date without an offset", () => "2999-01-01T00:00:00"],
    ["a date alone", () => "2999-01-01"],
    ["a day that does not exist", () => "2999-02-30T00:00:00Z"],
    ["an expanded year", () => "+275760-09-13T00:00:00Z"],
    ["a number", (now: number) => now + DAY],
    ["an empty string", () => ""],
    ["a long string", () => `2999-01-01T00:00:00${"0".repeat(10_000)}Z`],
  ])("refuses %s with a 400 naming expiresAt, on create and update, writing nothing", async (_, value) => {
    const { service, clock, clientId } = clocked();
    const bad = value(clock.now());
    await expect(
      // A number is what the types refuse: sent as unchecked JSON, as over HTTP.
      service.create(admin, clientId, unchecked({ ...proxyKey(keyValue()), expiresAt: bad })),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [expect.objectContaining({ path: "expiresAt" })],
    });
    expect((await service.list(admin, clientId, { includeExpired: true })).credentials).toEqual([]);
    const created = await service.create(admin, clientId, proxyKey(keyValue()));
    await expect(
      service.update(admin, clientId, created.credentialId, { expiresAt: bad } as UpdateCredentialInput),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [expect.objectContaining({ path: "expiresAt" })],
    });
    expect((await service.get(admin, clientId, created.credentialId)).credentialVersion).toBe(1);
  });

  it("accepts the latest date the format can say, with an offset", async () => {
    const { service, store, clientId } = clocked();
    const created = await service.create(
      admin,
      clientId,
      proxyKey(keyValue(), { expiresAt: "9999-12-31T23:59:59.999+14:00" }),
    );
    expect(created.credentialExpiresAt).toBe("9999-12-31T09:59:59.999Z");
    expect((await store.get(clientId, created.credentialId))?.expiresAt).toBe(
      Date.parse("9999-12-31T09:59:59.999Z") + DEFAULT_EXPIRED_RETENTION_MS,
    );
  });

  it("refuses a retention that is not a whole number of milliseconds", () => {
    for (const expiredRetentionMs of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clocked({ expiredRetentionMs })).toThrow(/expiredRetentionMs/);
    }
  });
});

describe("credential lifetimes: oauth2 authorization code", () => {
  let oauth: MockOAuth;
  beforeAll(async () => {
    oauth = await startMockOAuth();
  });
  afterAll(() => oauth.stop());

  it("shows the pending deadline while pending, then the lifetime, kept for the grace after it", async () => {
    const clock = testClock();
    const setup = targetService({ now: clock.now, store: memoryStore({ clock: clock.now }) });
    const end = clock.now() + 30 * DAY;
    const created = await setup.service.create(
      admin,
      setup.clientId,
      target(
        "oauth2",
        {
          grantType: "authorization_code",
          authorizationUrl: oauth.authorizeUrl,
          tokenUrl: oauth.tokenUrl,
          clientId: "web-app",
          clientSecret: "web-secret-123",
          redirectUri: "https://credkit.example/api/oauth2/callback",
        },
        { expiresAt: iso(end) },
      ),
    );
    expect(created.credentialExpiresAt).toBe(iso(clock.now() + 600_000));
    const { code, state } = await authorizeAtMock(created.authorizationUrl ?? "");
    const completed = await setup.service.completeAuthorization({ state, code });
    expect(completed).toMatchObject({ credentialTemporary: false, credentialExpiresAt: iso(end) });
    expect((await setup.store.get(setup.clientId, created.credentialId))?.expiresAt).toBe(
      end + DEFAULT_EXPIRED_RETENTION_MS,
    );
  });
});
