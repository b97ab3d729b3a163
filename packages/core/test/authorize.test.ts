import { randomBytes, randomUUID } from "node:crypto";
import { type CreateExtras, memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type AuditEvent,
  type CreateCredentialInput,
  type CredentialStore,
  CredkitError,
  createCredentialService,
  createKeyring,
  systemActor,
} from "../src/index.js";

// authorizeProxyRequest, the data plane's one decision, over a real memory store: scope and access,
// then the proxy credential, then the target; every verdict a value, single use by construction.
const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const gateway: Actor = { userId: "gw", clientIds: "*", scopes: ["authz"] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });

function setup(store: CredentialStore = memoryStore(), auditDataPlaneResolves = false) {
  const events: AuditEvent[] = [];
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    hooks: { audit: (event) => events.push(event) },
    auditDataPlaneResolves,
  });
  return { service, events, clientId: `c-${randomUUID()}` };
}

const key = () => `key-${randomBytes(12).toString("hex")}`;
const apiKey = (keyValue: string, extra: CreateExtras = {}): CreateCredentialInput => ({
  credentialName: "in",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
  ...extra,
});
const bearerTarget = (token: string, extra: CreateExtras = {}): CreateCredentialInput => ({
  credentialName: "out",
  credentialType: "target",
  authType: "bearer",
  secret: { token },
  ...extra,
});

describe("authorizeProxyRequest", () => {
  it("allows a valid proxy credential and carries the target's auth, as values", async () => {
    const { service, clientId } = setup();
    const value = key();
    const upstream = key();
    const proxy = await service.create(admin, clientId, apiKey(value));
    const target = await service.create(admin, clientId, bearerTarget(upstream));
    const headers = { "x-api-key": value };
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers }, target.credentialId)).toEqual({
      allowed: true,
      credentialId: proxy.credentialId,
      degraded: false,
      consumed: false,
      target: { headers: { Authorization: `Bearer ${upstream}` }, query: {} },
    });
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers })).toMatchObject({
      allowed: true,
      target: null,
    });
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers: {} })).toEqual({
      allowed: false,
      reason: "NO_CREDENTIAL",
    });
  });

  it("checks the authz scope and the client itself: FORBIDDEN before anything is read", async () => {
    const { service, clientId } = setup();
    const value = key();
    await service.create(admin, clientId, apiKey(value));
    const headers = { "x-api-key": value };
    // A management token (resolve, every client) is no gateway; nor is a gateway of another client.
    for (const actor of [admin, { ...gateway, clientIds: ["someone-else"] }, { ...gateway, scopes: [] }])
      expect(await service.authorizeProxyRequest(actor, clientId, { headers })).toEqual({
        allowed: false,
        reason: "FORBIDDEN",
      });
    expect(
      await service.authorizeProxyRequest(systemActor({ clientIds: [clientId] }), clientId, { headers }),
    ).toMatchObject({ allowed: true });
  });

  it("rejects a malformed client id (the worst: long, with a newline) as VALIDATION_ERROR naming clientId", async () => {
    const { service } = setup();
    for (const clientId of ["", `a\n${"x".repeat(5000)}`, "-leading-dash"]) {
      const error = await service.authorizeProxyRequest(gateway, clientId, { headers: {} }).catch((e) => e);
      expect(error).toBeInstanceOf(CredkitError);
      expect(error).toMatchObject({ code: "VALIDATION_ERROR", errors: [{ path: "clientId" }] });
    }
  });

  it("audits a plain pass with nothing, and target resolutions only when asked to", async () => {
    const quiet = setup();
    const value = key();
    await quiet.service.create(admin, quiet.clientId, apiKey(value));
    const target = await quiet.service.create(admin, quiet.clientId, bearerTarget(key()));
    const headers = { "x-api-key": value };
    const before = quiet.events.length;
    for (const named of [null, target.credentialId]) {
      expect(
        await quiet.service.authorizeProxyRequest(gateway, quiet.clientId, { headers }, named),
      ).toMatchObject({ allowed: true });
    }
    expect(quiet.events.length).toBe(before);

    const told = setup(memoryStore(), true);
    await told.service.create(admin, told.clientId, apiKey(value));
    const toldTarget = await told.service.create(admin, told.clientId, bearerTarget(key()));
    await told.service.authorizeProxyRequest(gateway, told.clientId, { headers }, toldTarget.credentialId);
    expect(told.events.at(-1)).toMatchObject({
      action: "credential.resolve",
      outcome: "success",
      userId: "gw",
      clientId: told.clientId,
      credentialId: toldTarget.credentialId,
    });
  });

  it("spends a single-use proxy credential even when the target then fails, and says so", async () => {
    const { service, clientId, events } = setup(memoryStore(), true);
    const value = key();
    const proxy = await service.create(admin, clientId, apiKey(value, { singleUse: true }));
    const headers = { "x-api-key": value };
    const missing = "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA";
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers }, missing)).toEqual({
      allowed: false,
      reason: "TARGET_NOT_FOUND",
      credentialId: proxy.credentialId,
      consumed: true,
    });
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers }, missing)).toEqual({
      allowed: false,
      reason: "NO_CREDENTIAL",
    });
    expect(events.map((e) => [e.action, e.outcome, e.credentialId, e.code])).toEqual([
      ["credential.create", "success", proxy.credentialId, undefined],
      ["credential.consume", "success", proxy.credentialId, undefined],
      ["credential.resolve", "failure", missing, "TARGET_NOT_FOUND"],
    ]);
  });

  it("never spends a single-use target for a caller whose proxy credential fails", async () => {
    const { service, clientId } = setup();
    const value = key();
    await service.create(admin, clientId, apiKey(value));
    const target = await service.create(admin, clientId, bearerTarget(key(), { singleUse: true }));
    const wrong = { "x-api-key": `${value}-wrong` };
    for (let i = 0; i < 3; i++)
      expect(
        await service.authorizeProxyRequest(gateway, clientId, { headers: wrong }, target.credentialId),
      ).toEqual({ allowed: false, reason: "NO_CREDENTIAL" });
    const headers = { "x-api-key": value };
    expect(
      await service.authorizeProxyRequest(gateway, clientId, { headers }, target.credentialId),
    ).toMatchObject({ allowed: true, consumed: false });
    expect(
      await service.authorizeProxyRequest(gateway, clientId, { headers }, target.credentialId),
    ).toMatchObject({ allowed: false, reason: "TARGET_NOT_FOUND", consumed: false });
  });

  it("of 20 concurrent passes of a single-use proxy credential, exactly one is allowed", async () => {
    const { service, clientId } = setup();
    const value = key();
    await service.create(admin, clientId, apiKey(value, { singleUse: true }));
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.authorizeProxyRequest(gateway, clientId, { headers: { "x-api-key": value } }),
      ),
    );
    expect(verdicts.filter((v) => v.allowed)).toEqual([expect.objectContaining({ consumed: true })]);
    expect(new Set(verdicts.filter((v) => !v.allowed).map((v) => v.reason))).toEqual(new Set(["INVALID"]));
  });

  it("refuses a proxy credential used as a target, and a target used as a proxy credential", async () => {
    const { service, clientId } = setup();
    const value = key();
    const proxy = await service.create(admin, clientId, apiKey(value));
    const upstream = key();
    await service.create(admin, clientId, bearerTarget(upstream));
    expect(
      await service.authorizeProxyRequest(
        gateway,
        clientId,
        { headers: { "x-api-key": value } },
        proxy.credentialId,
      ),
    ).toMatchObject({ allowed: false, reason: "TARGET_NOT_FOUND" });
    expect(
      await service.authorizeProxyRequest(gateway, clientId, {
        headers: { authorization: `Bearer ${upstream}` },
      }),
    ).toEqual({ allowed: false, reason: "NO_CREDENTIAL" }); // a target has no lookup hash at all
  });

  it("answers STORAGE_UNAVAILABLE for a store outage, INTERNAL (with the cause, for the log) for a bug", async () => {
    const store = memoryStore();
    const { service, clientId } = setup(store);
    const value = key();
    await service.create(admin, clientId, apiKey(value));
    const headers = { "x-api-key": value };
    const original = store.findByLookups.bind(store);
    store.findByLookups = () =>
      Promise.reject(new CredkitError("STORAGE_UNAVAILABLE", "The store at 10.0.0.1 is unavailable"));
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers })).toEqual({
      allowed: false,
      reason: "STORAGE_UNAVAILABLE",
    });
    const bug = new TypeError("boom");
    store.findByLookups = () => Promise.reject(bug);
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers })).toEqual({
      allowed: false,
      reason: "INTERNAL",
      cause: bug,
    });
    store.findByLookups = original;
    expect(await service.authorizeProxyRequest(gateway, clientId, { headers })).toMatchObject({
      allowed: true,
    });
  });
});
