import { randomBytes } from "node:crypto";
import {
  admin,
  authorizeAtMock,
  memoryStore,
  targetService,
  testClock,
  testKeyring,
} from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type CredentialStore,
  CredkitError,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
  type Keyring,
  type StoredCredential,
  tokenStateIdentity,
} from "../src/index.js";
import { STATE_IDENTITY, sealState, stateOf, useMockOAuth } from "./oauth-fixture.js";

// The callback of the authorization-code flow (complete-authorization.ts, authorization-code.ts) at
// each of its bounds, and the writes that race it: every refusal is AUTHORIZATION_FAILED and changes
// nothing.

const mock = useMockOAuth();

/** A keyring that counts the states it is asked to open. */
function countingKeyring(inner: Keyring = testKeyring()) {
  const counted = { statesOpened: 0 };
  const keyring: Keyring = {
    get activeKeyId() {
      return inner.activeKeyId;
    },
    get keyIds() {
      return inner.keyIds;
    },
    encrypt: (plaintext, identity) => inner.encrypt(plaintext, identity),
    decrypt(envelope, identity) {
      if (identity.purpose === "oauth2-state") counted.statesOpened++;
      return inner.decrypt(envelope, identity);
    },
    keyIdOf: (envelope) => inner.keyIdOf(envelope),
    lookupHash: (value) => inner.lookupHash(value),
    lookupHashes: (value) => inner.lookupHashes(value),
  };
  return { keyring, counted };
}

/** A memory store that counts its reads. */
function countingStore(inner: CredentialStore = memoryStore()) {
  const counted = { gets: 0 };
  const store: CredentialStore = {
    ...inner,
    get(clientId, credentialId) {
      counted.gets++;
      return inner.get(clientId, credentialId);
    },
  };
  return { store, counted };
}

/** A service with a pending authorization-code credential, and the callback the end user brings back. */
async function pendingSetup(options: Parameters<typeof targetService>[0] = {}, extra = {}) {
  const setup = targetService(options);
  const created = await setup.service.create(admin, setup.clientId, mock.authorizationCode(extra));
  const callback = await authorizeAtMock(created.authorizationUrl ?? "");
  return { ...setup, created, callback };
}

/** A store whose next update first runs `before` (another writer landing just ahead of it). */
function racedStore() {
  const shared = memoryStore();
  const race: { before: (() => Promise<void>) | null } = { before: null };
  const store: CredentialStore = {
    ...shared,
    async update(next, expected, ...rest) {
      const before = race.before;
      race.before = null;
      if (before) await before();
      return shared.update(next, expected, ...rest);
    },
  };
  return { shared, store, race };
}

const rawRecord = (store: CredentialStore, clientId: string, credentialId: string) =>
  store.get(clientId, credentialId) as Promise<StoredCredential>;

describe("the callback's state and code at their bounds", () => {
  it("opens no state longer than 1024 characters, and one of exactly 1024", async () => {
    const { keyring, counted } = countingKeyring();
    const { service } = targetService({ keyring });
    for (const [state, opened] of [
      ["x".repeat(1025), 0],
      ["x".repeat(1024), 1],
    ] as const) {
      counted.statesOpened = 0;
      const failure = await service.completeAuthorization({ state, code: "c" }).catch((e) => e);
      expect(failure).toMatchObject({ code: "AUTHORIZATION_FAILED", errors: [{ path: "state" }] });
      expect(counted.statesOpened).toBe(opened);
    }
    // Not a string at all (the callback's query as JSON nobody checked): refused before any work.
    counted.statesOpened = 0;
    await expect(
      service.completeAuthorization({ state: ["a"] as unknown as string, code: "c" }),
    ).rejects.toMatchObject({ code: "AUTHORIZATION_FAILED", errors: [{ path: "state" }] });
    expect(counted.statesOpened).toBe(0);
  });

  it("refuses a missing, empty or over-long code naming `code`, before the state is read", async () => {
    const { keyring, counted } = countingKeyring();
    const { service, callback } = await pendingSetup({ keyring });
    const requests = mock.server.tokenRequests();
    for (const code of ["", "c".repeat(4097), undefined, 42]) {
      await expect(
        service.completeAuthorization({ state: callback.state, code: code as string }),
      ).rejects.toMatchObject({ code: "AUTHORIZATION_FAILED", errors: [{ path: "code" }] });
    }
    expect(counted.statesOpened).toBe(0);
    expect(mock.server.tokenRequests()).toBe(requests);
  });

  it("sends a code of exactly 4096 characters to the token endpoint", async () => {
    const { service, callback } = await pendingSetup();
    const code = "c".repeat(4096);
    const requests = mock.server.tokenRequests();
    // The mock refuses a code it did not issue; what matters is that this one was sent.
    await service.completeAuthorization({ state: callback.state, code }).catch(() => null);
    expect(mock.server.tokenRequests()).toBe(requests + 1);
  });
});

describe("states the service did not seal as they are", () => {
  it("refuses a sealed state whose ids or random part are malformed, reading no record", async () => {
    const { store, counted } = countingStore();
    const { service, keyring, clientId, created } = await pendingSetup({ store });
    const id = created.credentialId;
    const nonce = randomBytes(32).toString("base64url");
    const seal = (value: unknown) => keyring.encrypt(JSON.stringify(value), STATE_IDENTITY);
    const malformed = [
      seal([clientId, id, nonce.slice(1)]), // a random part of 42 characters
      seal([clientId, id, `${nonce}A`]), // of 44
      seal([clientId, id, `${nonce.slice(1)}+`]), // a character outside base64url
      seal([clientId, id, `\n${nonce}`]),
      seal([clientId, id, `${nonce}\n`]),
      seal(["bad client id!", id, nonce]),
      seal([clientId, "no-region-here", nonce]),
      seal([42, id, nonce]),
      seal([clientId, 42, nonce]),
      seal([clientId, id, 42]),
      seal({ clientId, credentialId: id, nonce }),
      keyring.encrypt("not json", STATE_IDENTITY),
      // A well-formed state sealed to another purpose: an envelope of the record's own is no state.
      keyring.encrypt(JSON.stringify([clientId, id, nonce]), { ...STATE_IDENTITY, purpose: "token-state" }),
    ];
    for (const state of malformed) {
      await expect(service.completeAuthorization({ state, code: "c" })).rejects.toMatchObject({
        code: "AUTHORIZATION_FAILED",
        errors: [{ path: "state" }],
      });
    }
    counted.gets = 0;
    // The control: the same shape with a well-formed (if wrong) random part does reach the record.
    await expect(
      service.completeAuthorization({ state: seal([clientId, id, nonce]), code: "c" }),
    ).rejects.toMatchObject({ code: "AUTHORIZATION_FAILED" });
    expect(counted.gets).toBe(1);
    counted.gets = 0;
    for (const state of malformed)
      await service.completeAuthorization({ state, code: "c" }).catch(() => null);
    expect(counted.gets).toBe(0);
  });

  it("keeps only a hash of the random part that no lookup of the bare value can match", async () => {
    const { keyring, store, clientId, created, callback } = await pendingSetup();
    const [, , nonce] = JSON.parse(keyring.decrypt(callback.state, STATE_IDENTITY)) as string[];
    const { pending } = stateOf(keyring, await store.get(clientId, created.credentialId));
    // Prefixed: a presented proxy secret equal to the random part never shares its lookup hash.
    expect(pending.stateHash).not.toBe(keyring.lookupHash(nonce as string));
    expect(pending.stateHash).toBe(keyring.lookupHash(`oauth2-state\n${nonce}`));
  });

  it("refuses the state of a region this deployment does not serve, without a token request", async () => {
    const keyring = testKeyring();
    const { callback } = await pendingSetup({ keyring }); // created in eu-west-1
    const elsewhere = createCredentialService({
      regions: { "us-east-1": memoryStore() },
      keyring,
      defaultRegion: "us-east-1",
      outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
    });
    const requests = mock.server.tokenRequests();
    await expect(elsewhere.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
    expect(mock.server.tokenRequests()).toBe(requests);
  });
});

describe("a genuine state whose credential changed", () => {
  it("refuses it once the credential is deleted", async () => {
    const { service, clientId, created, callback } = await pendingSetup();
    await service.delete(admin, clientId, created.credentialId);
    const requests = mock.server.tokenRequests();
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
    expect(mock.server.tokenRequests()).toBe(requests);
  });

  it("refuses it when the record is no longer pending, though its pending state is still there", async () => {
    const { service, store, clientId, created, callback } = await pendingSetup();
    const record = await rawRecord(store, clientId, created.credentialId);
    await store.update({ ...record, status: "active", version: record.version + 1 }, record.version);
    const requests = mock.server.tokenRequests();
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
    });
    expect(mock.server.tokenRequests()).toBe(requests);
    expect((await rawRecord(store, clientId, created.credentialId)).version).toBe(record.version + 1);
  });

  it("refuses a pending state copied into another auth type's record", async () => {
    const { service, store, keyring, clientId, created, callback } = await pendingSetup();
    const pendingRecord = await rawRecord(store, clientId, created.credentialId);
    // The same pending state, sealed for a bearer credential of the same client, named by a state.
    const bearer = await service.create(admin, clientId, {
      credentialName: "b",
      credentialType: "target",
      authType: "bearer",
      secret: { token: "tok-1" },
    });
    const bearerRecord = await rawRecord(store, clientId, bearer.credentialId);
    const [, , nonce] = JSON.parse(keyring.decrypt(callback.state, STATE_IDENTITY)) as string[];
    await store.update(
      {
        ...bearerRecord,
        status: "pending_authorization",
        tokenState: sealState(keyring, bearerRecord, stateOf(keyring, pendingRecord)),
        version: bearerRecord.version + 1,
      },
      bearerRecord.version,
    );
    const state = keyring.encrypt(JSON.stringify([clientId, bearer.credentialId, nonce]), STATE_IDENTITY);
    const requests = mock.server.tokenRequests();
    await expect(service.completeAuthorization({ state, code: "c" })).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
    });
    expect(mock.server.tokenRequests()).toBe(requests);
  });

  it("refuses a pending record that holds no pending state", async () => {
    const { service, store, clientId, created, callback } = await pendingSetup();
    const record = await rawRecord(store, clientId, created.credentialId);
    await store.update({ ...record, tokenState: null, version: record.version + 1 }, record.version);
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
  });

  it("refuses a state while another completion holds the credential's lease, then completes", async () => {
    const { service, store, clientId, created, callback } = await pendingSetup();
    const lease = `oauth2-callback:${clientId}:${created.credentialId}`;
    expect(await store.acquireLease(lease, "another-process", 60_000)).toBe(true);
    const requests = mock.server.tokenRequests();
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
    expect(mock.server.tokenRequests()).toBe(requests);
    expect(await store.releaseLease(lease, "another-process")).toBe(true);
    await expect(service.completeAuthorization(callback)).resolves.toMatchObject({
      credentialStatus: "active",
    });
    // Released after completing: the next holder gets it at once.
    expect(await store.acquireLease(lease, "next", 60_000)).toBe(true);
  });

  it("refuses a credential that expired during the code exchange, writing nothing", async () => {
    const clock = testClock();
    const { service, store, clientId, created, callback } = await pendingSetup({
      now: clock.now,
      store: memoryStore({ clock: clock.now }),
      pendingAuthorizationTtlMs: 60_000,
    });
    mock.server.onTokenResponse(() => clock.advance(60_001));
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
    expect(await store.get(clientId, created.credentialId)).toBeNull();
  });

  it("refuses a completion whose secret was replaced during the exchange, keeping the new one", async () => {
    const { shared, store, race } = racedStore();
    const { service, keyring, clientId, created, callback } = await pendingSetup({ store });
    const before = await rawRecord(shared, clientId, created.credentialId);
    const id = { ...tokenStateIdentity(before), purpose: undefined };
    const replaced = {
      ...JSON.parse(keyring.decrypt(before.secret, id)),
      clientSecret: "replaced-secret-1",
    };
    race.before = async () => {
      await shared.update(
        { ...before, secret: keyring.encrypt(JSON.stringify(replaced), id), version: before.version + 1 },
        before.version,
      );
    };
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
      errors: [{ path: "state" }],
    });
    expect(race.before).toBeNull();
    const after = await rawRecord(shared, clientId, created.credentialId);
    expect(after.version).toBe(before.version + 1);
    expect(after.status).toBe("pending_authorization");
    expect(JSON.parse(keyring.decrypt(after.secret, id)).clientSecret).toBe("replaced-secret-1");
  });

  it("completes over a write that changed nothing it depends on (a rename during the exchange)", async () => {
    const { shared, store, race } = racedStore();
    const clock = testClock();
    const { service, clientId, created, callback } = await pendingSetup({ store, now: clock.now });
    const before = await rawRecord(shared, clientId, created.credentialId);
    race.before = async () => {
      await shared.update({ ...before, name: "renamed", version: before.version + 1 }, before.version);
    };
    clock.advance(5_000);
    const completed = await service.completeAuthorization(callback);
    expect(completed).toMatchObject({
      credentialName: "renamed",
      credentialStatus: "active",
      credentialTemporary: false,
      credentialExpiresAt: null,
      credentialVersion: before.version + 2,
      credentialUpdatedAt: new Date(clock.now()).toISOString(),
    });
  });
});

describe("a write that lands during the code exchange", () => {
  it("refuses a completion once another writer changed the status alone", async () => {
    const { shared, store, race } = racedStore();
    const { service, clientId, created, callback } = await pendingSetup({ store });
    const before = await rawRecord(shared, clientId, created.credentialId);
    race.before = async () => {
      await shared.update({ ...before, status: "active", version: before.version + 1 }, before.version);
    };
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
    });
    expect((await rawRecord(shared, clientId, created.credentialId)).version).toBe(before.version + 1);
  });

  it("refuses a completion over a secret this keyring cannot open, writing nothing", async () => {
    const { shared, store, race } = racedStore();
    const { service, clientId, created, callback } = await pendingSetup({ store });
    const before = await rawRecord(shared, clientId, created.credentialId);
    const foreign = testKeyring().encrypt("{}", { ...tokenStateIdentity(before), purpose: undefined });
    race.before = async () => {
      await shared.update({ ...before, secret: foreign, version: before.version + 1 }, before.version);
    };
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "AUTHORIZATION_FAILED",
    });
    const after = await rawRecord(shared, clientId, created.credentialId);
    expect(after).toMatchObject({
      version: before.version + 1,
      status: "pending_authorization",
      secret: foreign,
    });
  });

  it("passes a store failure on as it is: the user's state is not spent by an outage", async () => {
    const shared = memoryStore();
    let failNext = false;
    const store: CredentialStore = {
      ...shared,
      async update(...args) {
        if (failNext) {
          failNext = false;
          throw new CredkitError("STORAGE_UNAVAILABLE", "the store is down");
        }
        return shared.update(...args);
      },
    };
    const { service, callback } = await pendingSetup({ store });
    failNext = true;
    await expect(service.completeAuthorization(callback)).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });
  });
});

describe("the authorization request and the code exchange", () => {
  it("sends no scope parameter for an empty scope list", async () => {
    const { created } = await pendingSetup({}, { scopes: [] });
    expect(new URL(created.authorizationUrl ?? "").searchParams.has("scope")).toBe(false);
  });

  it("a public client (no client secret) sends its client_id in the body and no Authorization", async () => {
    const setup = targetService();
    const body = mock.authorizationCode();
    const { clientSecret: _dropped, ...secret } = body.secret as Record<string, unknown>;
    const created = await setup.service.create(admin, setup.clientId, { ...body, secret } as typeof body);
    const callback = await authorizeAtMock(created.authorizationUrl ?? "");
    await setup.service.completeAuthorization(callback);
    const exchange = mock.server.seen.at(-1);
    expect(exchange?.authorization).toBeUndefined();
    expect(exchange?.body).toMatchObject({ grant_type: "authorization_code", client_id: "web-app" });
    expect(exchange?.body.client_secret).toBeUndefined();
  });

  it("completes a state started before a key rotation (a new active key of another id length)", async () => {
    const k1 = { id: "k1", key: randomBytes(32) };
    const before = createKeyring({ activeKeyId: "k1", keys: [k1] });
    const after = createKeyring({
      activeKeyId: "key-two",
      keys: [{ id: "key-two", key: randomBytes(32) }, k1],
    });
    const store = memoryStore();
    const { created, callback } = await pendingSetup({ store, keyring: before });
    const { service, clientId } = targetService({ store, keyring: after });
    expect(created.clientId).not.toBe(clientId); // targetService names a fresh client; the record's is used
    await expect(service.completeAuthorization(callback)).resolves.toMatchObject({
      credentialId: created.credentialId,
      credentialStatus: "active",
    });
  });
});
