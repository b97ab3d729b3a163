import { admin, authorizeAtMock, memoryStore, targetService, testClock } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore, Keyring, StoredCredential } from "../src/index.js";
import { sealState, useMockOAuth } from "./oauth-fixture.js";

// The lease holder's side of the shared token (issue 26): what it does with token state it cannot
// open, with a record that cannot resolve, and when other writers keep changing the token under it.
// Each case is one a mutant of shared-token.ts let through: the result differs, or the token server
// is asked when it must not be.
const mock = useMockOAuth();

const { clientCredentials, authorizationCode } = mock;

/** Replaces the stored record by `change(record)`, as another writer would (version bumped). */
async function rewrite(
  store: CredentialStore,
  clientId: string,
  id: string,
  change: (r: StoredCredential) => StoredCredential,
) {
  const current = (await store.get(clientId, id)) as StoredCredential;
  return store.update(
    { ...change(current), version: current.version + 1 },
    current.version,
    current.lookupHash,
  );
}

/**
 * A store where, while `interfering()` holds, every token write loses to another writer that stores
 * `competing(record)` as the token state just before it (the write then meets VERSION_CONFLICT).
 */
function contested(
  shared: CredentialStore,
  competing: (record: StoredCredential) => string,
  interfering: () => boolean,
) {
  const store: CredentialStore = {
    ...shared,
    update: async (next, expectedVersion, previousLookupHash) => {
      if (interfering()) {
        await rewrite(shared, next.clientId, next.credentialId, (r) => ({ ...r, tokenState: competing(r) }));
      }
      return shared.update(next, expectedVersion, previousLookupHash);
    },
  };
  return store;
}

describe("token state the holder cannot open", () => {
  // Three ways a token state cannot be read: damaged, sealed under a key that is gone, and opening to
  // something that is not JSON (written by a faulty writer holding the key).
  const unreadable: [string, (keyring: Keyring, record: StoredCredential) => string][] = [
    ["damaged", () => "ck1.k1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"],
    ["sealed under a key that is gone", () => "ck1.gone.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"],
    ["not JSON once opened", (keyring, record) => sealState(keyring, record, "not JSON: SECRET-PLAINTEXT")],
  ];

  it.each(unreadable)(
    "counts as no token for client_credentials (%s): a new one is fetched",
    async (_case, stateFor) => {
      const { service, store, keyring, clientId } = targetService();
      const created = await service.create(admin, clientId, clientCredentials());
      await service.resolveTargetAuth(admin, clientId, created.credentialId);
      await rewrite(store, clientId, created.credentialId, (r) => ({
        ...r,
        tokenState: stateFor(keyring, r),
      }));
      const before = mock.server.tokenRequests();
      const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
      expect(auth.headers.Authorization).toMatch(/^Bearer /);
      expect(mock.server.tokenRequests() - before).toBe(1);
    },
  );

  it.each(unreadable)(
    "is a credkit error for authorization_code, whose refresh token cannot be fetched again (%s)",
    async (_case, stateFor) => {
      const { service, store, keyring, clientId } = targetService();
      const created = await service.create(admin, clientId, authorizationCode());
      await service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
      await rewrite(store, clientId, created.credentialId, (r) => ({
        ...r,
        tokenState: stateFor(keyring, r),
      }));
      const before = mock.server.tokenRequests();
      const failure = await service.resolveTargetAuth(admin, clientId, created.credentialId).catch((e) => e);
      expect(failure).toMatchObject({
        name: "CredkitError",
        code: _case === "sealed under a key that is gone" ? "UNKNOWN_KEY" : "DECRYPTION_FAILED",
      });
      // The JSON parser's message quotes what it read: neither it nor a cause carrying it is kept.
      expect(failure.message).not.toContain("SECRET-PLAINTEXT");
      expect(failure.cause === undefined || !String(failure.cause).includes("SECRET-PLAINTEXT")).toBe(true);
      expect(mock.server.tokenRequests() - before).toBe(0);
    },
  );
});

describe("records that do not resolve", () => {
  it("refuses a proxy credential, naming the credentialId field", async () => {
    const { service, clientId } = targetService();
    const proxy = await service.create(admin, clientId, {
      credentialName: "p",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: "k-0123456789abcdef" },
    });
    await expect(service.resolveTargetAuth(admin, clientId, proxy.credentialId)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "credentialId", message: expect.any(String) }],
    });
  });

  it("resolves a record stored without a status (written before statuses existed) as active", async () => {
    const { service, store, clientId } = targetService();
    const created = await service.create(admin, clientId, clientCredentials());
    await rewrite(store, clientId, created.credentialId, (r) => {
      const { status: _status, ...legacy } = r;
      return legacy as StoredCredential;
    });
    const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(auth.headers.Authorization).toMatch(/^Bearer /);
  });

  it("leaves a restarted authorization pending: resolving neither asks the server nor marks it", async () => {
    const { service, store, clientId } = targetService();
    const created = await service.create(admin, clientId, authorizationCode());
    await service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
    // A new secret starts a new authorization of the (permanent) credential.
    const restarted = await service.update(admin, clientId, created.credentialId, {
      secret: authorizationCode().secret,
    });
    expect(restarted).toMatchObject({
      credentialStatus: "pending_authorization",
      credentialTemporary: false,
    });
    const before = mock.server.tokenRequests();
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "REAUTHORIZATION_REQUIRED",
      message: expect.stringMatching(/waiting for authorization/),
    });
    expect(mock.server.tokenRequests() - before).toBe(0);
    expect((await store.get(clientId, created.credentialId))?.status).toBe("pending_authorization");
    // The end user can still complete it.
    await expect(
      service.completeAuthorization(await authorizeAtMock(restarted.authorizationUrl ?? "")),
    ).resolves.toMatchObject({ credentialStatus: "active" });
  });

  it("marks needs_reauthorization without a request when the server never gave a refresh token", async () => {
    const clock = testClock();
    const { service, clientId } = targetService({ now: clock.now, store: memoryStore({ clock: clock.now }) });
    const created = await service.create(admin, clientId, authorizationCode());
    mock.server.onTokenResponse((response) => {
      delete (response.body as Record<string, unknown>).refresh_token;
    });
    await service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
    clock.advance(3600_000); // the access token is stale
    const before = mock.server.tokenRequests();
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "REAUTHORIZATION_REQUIRED",
    });
    expect(mock.server.tokenRequests() - before).toBe(0);
    expect((await service.get(admin, clientId, created.credentialId)).credentialStatus).toBe(
      "needs_reauthorization",
    );
  });
});

describe("a token changing under the holder", () => {
  it("fetches at most three times, then reports UPSTREAM_ERROR", async () => {
    const shared = memoryStore();
    const setup = targetService({ store: shared });
    let stale = 0;
    // Each competing write stores another token that is already stale, so the holder fetches again.
    const store = contested(
      shared,
      (r) =>
        sealState(setup.keyring, r, { access: { token: `stale-${++stale}`, obtainedAt: 0, expiresAt: 1 } }),
      () => true,
    );
    const { service } = targetService({ store, keyring: setup.keyring });
    const created = await setup.service.create(admin, setup.clientId, clientCredentials());
    const before = mock.server.tokenRequests();
    await expect(
      service.resolveTargetAuth(admin, setup.clientId, created.credentialId),
    ).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringMatching(/kept changing/),
    });
    expect(mock.server.tokenRequests() - before).toBe(3);
  });

  it("uses another holder's fresh token written while its own refresh was refused", async () => {
    const clock = testClock();
    const shared = memoryStore({ clock: clock.now });
    const setup = targetService({ store: shared, now: clock.now });
    const created = await setup.service.create(admin, setup.clientId, authorizationCode());
    await setup.service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
    clock.advance(3600_000);
    let interfere = true;
    // The other holder refreshed with the (rotated) refresh token just before ours was refused.
    const store = contested(
      shared,
      (r) => {
        interfere = false;
        const access = {
          token: "other-holders-token",
          obtainedAt: clock.now(),
          expiresAt: clock.now() + 3600_000,
        };
        return sealState(setup.keyring, r, { access, refreshToken: "rotated" });
      },
      () => interfere,
    );
    const { service } = targetService({ store, keyring: setup.keyring, now: clock.now });
    mock.server.onTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
    });
    const auth = await service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(auth.headers.Authorization).toBe("Bearer other-holders-token");
    expect((await setup.service.get(admin, setup.clientId, created.credentialId)).credentialStatus).toBe(
      "active",
    );
  });
});
