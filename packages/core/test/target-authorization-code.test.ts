import { createHash } from "node:crypto";
import {
  admin,
  authorizeAtMock,
  memoryStore,
  targetService,
  testClock,
  testKeyring,
} from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type CredentialStore, type StoredCredential, tokenStateIdentity } from "../src/index.js";
import { REDIRECT, stateOf, useMockOAuth } from "./oauth-fixture.js";

const mock = useMockOAuth();

const { authorizationCode } = mock;

/** A shared clock for the service and its memory store, so pending credentials expire on cue. */
function clocked(pendingAuthorizationTtlMs?: number) {
  const clock = testClock();
  const setup = targetService({
    now: clock.now,
    store: memoryStore({ clock: clock.now }),
    ...(pendingAuthorizationTtlMs ? { pendingAuthorizationTtlMs } : {}),
  });
  return { ...setup, clock };
}

/** Creates an authorization-code credential and plays the end user up to the callback. */
async function authorized(setup: ReturnType<typeof clocked>) {
  const created = await setup.service.create(admin, setup.clientId, authorizationCode());
  const { code, state } = await authorizeAtMock(created.authorizationUrl ?? "");
  const completed = await setup.service.completeAuthorization({ state, code });
  return { created, completed, state, code };
}

describe("oauth2 authorization_code: starting", () => {
  it("creates a temporary pending credential and an authorization URL with state and PKCE S256", async () => {
    const { service, store, keyring, clientId, clock } = clocked();
    const created = await service.create(admin, clientId, authorizationCode());
    expect(created).toMatchObject({
      credentialTemporary: true,
      credentialStatus: "pending_authorization",
      credentialExpiresAt: new Date(clock.now() + 600_000).toISOString(),
    });
    const url = new URL(created.authorizationUrl ?? "");
    expect(url.origin + url.pathname).toBe(mock.server.authorizeUrl);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      prompt: "consent",
      response_type: "code",
      client_id: "web-app",
      redirect_uri: REDIRECT,
      scope: "openid offline_access",
      code_challenge_method: "S256",
    });
    // Opaque to the authorization server (issue 20): no id of ours is readable in the state, in any
    // of the encodings a log would show (plain, base64url, base64 of a JSON holding it).
    const state = params.state ?? "";
    expect(state).toMatch(/^ck1\.[\w-]+\.[\w.-]+$/);
    const decodings = [
      state,
      ...state.split(".").map((part) => Buffer.from(part, "base64url").toString("latin1")),
    ];
    for (const id of [clientId, created.credentialId, created.credentialId.split(".").at(-1) as string]) {
      for (const text of decodings) expect(text).not.toContain(id);
      expect(state).not.toContain(Buffer.from(id).toString("base64url").slice(0, 8));
    }
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);

    // At rest: the verifier is encrypted, and only a keyed hash of the state's random part is kept.
    const record = await store.get(clientId, created.credentialId);
    expect(JSON.stringify(record)).not.toContain(state);
    const pending = stateOf(keyring, record).pending;
    expect(pending.stateHash).not.toContain(state);
    expect(createHash("sha256").update(pending.verifier).digest("base64url")).toBe(params.code_challenge);

    // Pending: hidden from lists unless asked for, and not resolvable.
    expect((await service.list(admin, clientId)).credentials).toEqual([]);
    expect((await service.list(admin, clientId, { includeTemporary: true })).credentials).toHaveLength(1);
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "REAUTHORIZATION_REQUIRED",
      message: expect.stringMatching(/waiting for authorization/),
    });
  });

  it("leaves PKCE out when pkce is false, and still completes", async () => {
    const setup = clocked();
    const created = await setup.service.create(admin, setup.clientId, authorizationCode({ pkce: false }));
    const url = new URL(created.authorizationUrl ?? "");
    expect(url.searchParams.has("code_challenge")).toBe(false);
    const { code, state } = await authorizeAtMock(url.href);
    await setup.service.completeAuthorization({ state, code });
    expect(mock.server.seen.at(-1)?.body.code_verifier).toBeUndefined();
  });
});

describe("oauth2 authorization_code: the callback", () => {
  it("exchanges the code with the verifier, stores the tokens encrypted and makes the credential permanent", async () => {
    const setup = clocked();
    const { created, completed, code } = await authorized(setup);
    const exchange = mock.server.seen.at(-1);
    expect(exchange?.body).toMatchObject({ grant_type: "authorization_code", code, redirect_uri: REDIRECT });
    expect(exchange?.body.code_verifier).toMatch(/^[\w-]{43}$/); // the mock checked it against the challenge
    expect(exchange?.authorization).toBe(`Basic ${Buffer.from("web-app:web-secret-123").toString("base64")}`);
    expect(completed).toMatchObject({
      credentialId: created.credentialId,
      credentialTemporary: false,
      credentialExpiresAt: null,
      credentialStatus: "active",
      credentialVersion: 2,
    });
    const record = await setup.store.get(setup.clientId, created.credentialId);
    const state = stateOf(setup.keyring, record);
    expect(state.pending).toBeUndefined();
    expect(state.refreshToken).toMatch(/\w/);
    expect(JSON.stringify(record)).not.toContain(state.refreshToken);
    expect(JSON.stringify(record)).not.toContain(state.access.token);

    const auth = await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(auth).toEqual({ headers: { Authorization: `Bearer ${state.access.token}` }, query: {} });
    expect((await setup.service.list(admin, setup.clientId)).credentials).toHaveLength(1);
  });

  it("refuses a replayed state and changes nothing", async () => {
    const setup = clocked();
    const { created, state, code } = await authorized(setup);
    const before = await setup.store.get(setup.clientId, created.credentialId);
    const requests = mock.server.tokenRequests();
    await expect(setup.service.completeAuthorization({ state, code })).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      message: expect.stringMatching(/Unknown, expired or already used/),
    });
    expect(await setup.store.get(setup.clientId, created.credentialId)).toEqual(before);
    expect(mock.server.tokenRequests()).toBe(requests);
  });

  it("refuses forged states without a token request, changing nothing", async () => {
    const setup = clocked();
    const created = await setup.service.create(admin, setup.clientId, authorizationCode());
    const other = await setup.service.create(admin, setup.clientId, authorizationCode());
    const state = new URL(created.authorizationUrl ?? "").searchParams.get("state") ?? "";
    const otherState = new URL(other.authorizationUrl ?? "").searchParams.get("state") ?? "";
    const [prefix, region, id, nonce] = state.split(".") as [string, string, string, string];
    const flipped = `${nonce.slice(0, -1)}${nonce.endsWith("A") ? "B" : "A"}`;
    const forged = [
      `${prefix}.${region}.${id}.${flipped}`, // a guessed random part
      `${prefix}.${region}.${id}.${otherState.split(".").at(-1)}`, // another credential's random part
      `${Buffer.from("someone-else").toString("base64url")}.${region}.${id}.${nonce}`, // another client
      `${prefix}.${region}.${id}`,
      "garbage",
      "",
    ];
    const before = await setup.store.get(setup.clientId, created.credentialId);
    const requests = mock.server.tokenRequests();
    for (const value of forged) {
      await expect(
        setup.service.completeAuthorization({ state: value, code: "some-code" }),
      ).rejects.toMatchObject({
        code: "AUTHORIZATION_FAILED",
      });
    }
    expect(mock.server.tokenRequests()).toBe(requests);
    expect(await setup.store.get(setup.clientId, created.credentialId)).toEqual(before);
    // The genuine state still works afterwards.
    const { code } = await authorizeAtMock(created.authorizationUrl ?? "");
    await expect(setup.service.completeAuthorization({ state, code })).resolves.toMatchObject({
      credentialStatus: "active",
    });
  });

  it("refuses the state of a pending credential that expired", async () => {
    const setup = clocked(60_000);
    const created = await setup.service.create(admin, setup.clientId, authorizationCode());
    const { code, state } = await authorizeAtMock(created.authorizationUrl ?? "");
    setup.clock.advance(60_001);
    await expect(setup.service.completeAuthorization({ state, code })).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
    });
    await expect(setup.service.get(admin, setup.clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("completes once when the same callback arrives 5 times at once", async () => {
    const setup = clocked();
    const created = await setup.service.create(admin, setup.clientId, authorizationCode());
    const { code, state } = await authorizeAtMock(created.authorizationUrl ?? "");
    const requests = mock.server.tokenRequests();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => setup.service.completeAuthorization({ state, code })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const failed of results.filter((r) => r.status === "rejected"))
      expect(failed.reason).toMatchObject({ code: "AUTHORIZATION_FAILED" });
    expect(mock.server.tokenRequests() - requests).toBe(1);
  });

  it("keeps the credential pending when the server refuses the code, so the user can retry", async () => {
    const setup = clocked();
    const created = await setup.service.create(admin, setup.clientId, authorizationCode());
    const { code, state } = await authorizeAtMock(created.authorizationUrl ?? "");
    mock.server.onTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
    });
    await expect(setup.service.completeAuthorization({ state, code })).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      message: expect.stringMatching(/refused the code/),
    });
    expect((await setup.service.get(admin, setup.clientId, created.credentialId)).credentialStatus).toBe(
      "pending_authorization",
    );
    const retry = await authorizeAtMock(created.authorizationUrl ?? "");
    await expect(setup.service.completeAuthorization(retry)).resolves.toMatchObject({
      credentialStatus: "active",
    });
  });
});

describe("oauth2 authorization_code: refresh", () => {
  it("refreshes shortly before expiry and replaces a rotated refresh token", async () => {
    const setup = clocked();
    const { created } = await authorized(setup);
    const read = async () =>
      stateOf(setup.keyring, await setup.store.get(setup.clientId, created.credentialId));
    const first = await read();
    const requests = mock.server.tokenRequests();

    setup.clock.advance(3600_000 - 30_000 - 1);
    await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(mock.server.tokenRequests()).toBe(requests);

    setup.clock.advance(2);
    const refreshed = await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(mock.server.tokenRequests() - requests).toBe(1);
    expect(mock.server.seen.at(-1)?.body).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: first.refreshToken,
    });
    const second = await read();
    expect(refreshed.headers.Authorization).toBe(`Bearer ${second.access.token}`);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const record = await setup.store.get(setup.clientId, created.credentialId);
    expect(
      setup.keyring.decrypt(record?.tokenState ?? "", tokenStateIdentity(record as StoredCredential)),
    ).not.toContain(first.refreshToken);

    // The next refresh presents the rotated token; a server that does not rotate leaves it in place.
    mock.server.onTokenResponse((response) => {
      delete (response.body as Record<string, unknown>).refresh_token;
    });
    setup.clock.advance(3600_000);
    await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(mock.server.seen.at(-1)?.body.refresh_token).toBe(second.refreshToken);
    expect((await read()).refreshToken).toBe(second.refreshToken);
  });

  it("keeps a rotated refresh token when a key rotation re-seals the record during the refresh", async () => {
    const clock = testClock();
    const shared = memoryStore({ clock: clock.now });
    let interfere = false;
    // Just before the token write lands, another writer re-seals the same content (what rotation does).
    const store: CredentialStore = {
      ...shared,
      async update(next, expected) {
        if (interfere) {
          interfere = false;
          const current = (await shared.get(next.clientId, next.credentialId)) as StoredCredential;
          const secretId = { ...tokenStateIdentity(current), purpose: undefined };
          await shared.update(
            {
              ...current,
              secret: keyring.encrypt(keyring.decrypt(current.secret, secretId), secretId),
              tokenState: keyring.encrypt(
                keyring.decrypt(current.tokenState ?? "", tokenStateIdentity(current)),
                tokenStateIdentity(current),
              ),
              version: current.version + 1,
            },
            current.version,
          );
        }
        return shared.update(next, expected);
      },
    };
    const keyring = testKeyring();
    const setup = { ...targetService({ store, keyring, now: clock.now }), clock };
    const { created } = await authorized(setup);
    const first = stateOf(keyring, await store.get(setup.clientId, created.credentialId));
    let rotated = "";
    mock.server.onTokenResponse((response) => {
      rotated = String((response.body as Record<string, unknown>).refresh_token);
    });
    interfere = true;
    clock.advance(3600_000);
    await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(interfere).toBe(false);
    const record = await store.get(setup.clientId, created.credentialId);
    expect(record?.version).toBe(4); // completed (2), re-sealed (3), refreshed (4)
    const after = stateOf(keyring, record);
    expect(after.refreshToken).toBe(rotated);
    expect(after.refreshToken).not.toBe(first.refreshToken);
  });

  it("marks the credential needs_reauthorization on invalid_grant and stops asking", async () => {
    const setup = clocked();
    const { created } = await authorized(setup);
    mock.server.onTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant", error_description: "refresh token revoked" };
    });
    setup.clock.advance(3600_000);
    await expect(
      setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId),
    ).rejects.toMatchObject({
      code: "REAUTHORIZATION_REQUIRED",
      message: expect.stringMatching(/needs re-authorization/),
    });
    const view = await setup.service.get(admin, setup.clientId, created.credentialId);
    expect(view.credentialStatus).toBe("needs_reauthorization");
    expect((await setup.store.get(setup.clientId, created.credentialId))?.tokenState).toBeNull();
    const requests = mock.server.tokenRequests();
    await expect(
      setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId),
    ).rejects.toMatchObject({
      code: "REAUTHORIZATION_REQUIRED",
    });
    expect(mock.server.tokenRequests()).toBe(requests);

    // Updating the secret starts a new authorization; completing it makes the credential active again.
    const restarted = await setup.service.update(admin, setup.clientId, created.credentialId, {
      secret: authorizationCode().secret,
    });
    expect(restarted).toMatchObject({
      credentialStatus: "pending_authorization",
      credentialTemporary: false,
    });
    const callback = await authorizeAtMock(restarted.authorizationUrl ?? "");
    await expect(setup.service.completeAuthorization(callback)).resolves.toMatchObject({
      credentialStatus: "active",
    });
    await expect(
      setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId),
    ).resolves.toMatchObject({
      headers: { Authorization: expect.stringMatching(/^Bearer /) },
    });
  });

  it("fetches a fresh access token with the refresh token after invalidateTargetToken", async () => {
    const setup = clocked();
    const { created } = await authorized(setup);
    const before = stateOf(setup.keyring, await setup.store.get(setup.clientId, created.credentialId));
    await setup.service.invalidateTargetToken(admin, setup.clientId, created.credentialId);
    const kept = stateOf(setup.keyring, await setup.store.get(setup.clientId, created.credentialId));
    expect(kept).toEqual({ refreshToken: before.refreshToken });
    await setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId);
    expect(mock.server.seen.at(-1)?.body).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: before.refreshToken,
    });
  });
});
