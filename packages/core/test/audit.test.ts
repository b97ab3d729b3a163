import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, unchecked } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AuditAction,
  type AuditEvent,
  authorizationFailedEvent,
  type CredentialService,
  createCredentialService,
  createKeyring,
} from "../src/index.js";

function setup() {
  const events: AuditEvent[] = [];
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    defaultRegion: "eu-west-1",
    hooks: { audit: (event) => events.push(event) },
  });
  return { service, events, clientId: `c-${randomUUID()}` };
}
const actor = { userId: "alice", clientIds: "*" as const, scopes: ["resolve" as const] };
const SECRET = `AUDIT-SECRET-${randomUUID()}`;

describe("audit trail", () => {
  it("records create, update, delete and single-use consumption, successes and failures, without secrets", async () => {
    const { service, events, clientId } = setup();
    const created = await service.create(actor, clientId, {
      credentialName: "k",
      credentialType: "proxy",
      authType: "apiKey",
      singleUse: true,
      secret: { keyName: "X-Key", keyValue: SECRET },
    });
    await expect(service.create(actor, clientId, unchecked({ credentialName: "bad" }))).rejects.toThrow();
    await service.update(actor, clientId, created.credentialId, { credentialName: "renamed" });
    await expect(
      service.update(actor, clientId, created.credentialId, { credentialName: "x" }, { ifMatch: 1 }),
    ).rejects.toThrow();
    expect((await service.verifyProxyRequest(actor, clientId, { headers: { "x-key": SECRET } })).ok).toBe(
      true,
    );
    await expect(service.delete(actor, clientId, created.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    expect(events.map((e) => [e.action, e.outcome, e.code ?? ""])).toEqual([
      ["credential.create", "success", ""],
      ["credential.create", "failure", "VALIDATION_ERROR"],
      ["credential.update", "success", ""],
      ["credential.update", "failure", "VERSION_CONFLICT"],
      ["credential.consume", "success", ""],
      ["credential.delete", "failure", "NOT_FOUND"],
    ]);
    expect(events[0]).toMatchObject({ userId: "alice", clientId, credentialId: created.credentialId });
    for (const event of events) expect(Date.parse(event.time)).not.toBeNaN();
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it("records target resolutions and failed OAuth completions", async () => {
    const { service, events, clientId } = setup();
    const created = await service.create(actor, clientId, {
      credentialName: "t",
      credentialType: "target",
      authType: "bearer",
      secret: { token: SECRET },
    });
    await service.resolveTargetAuth(actor, clientId, created.credentialId);
    await expect(service.completeAuthorization({ state: "forged", code: "x" })).rejects.toThrow();
    expect(events.slice(1).map((e) => [e.action, e.outcome])).toEqual([
      ["credential.resolve", "success"],
      ["oauth.complete", "failure"],
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });
});

/** The names of the service's methods. */
type MethodName = {
  [K in keyof CredentialService]-?: CredentialService[K] extends (...args: never[]) => unknown ? K : never;
}[keyof CredentialService];

/**
 * What each method of the service audits: a new method is a compile error here until it is
 * classified, and the test below fails until the service calls the hook for it.
 */
const audits: { [K in MethodName]: AuditAction | null } = {
  list: null,
  get: null,
  health: null,
  sweepExpiries: null,
  create: "credential.create",
  update: "credential.update",
  delete: "credential.delete",
  verifyProxyRequest: "credential.consume",
  authorizeProxyRequest: "credential.consume",
  resolveTargetAuth: "credential.resolve",
  invalidateTargetToken: "credential.invalidate",
  completeAuthorization: "oauth.complete",
};

describe("the audit hook", () => {
  it("hears every method that changes stored state, with the ids it changed, and nothing else", async () => {
    const { service, events, clientId } = setup();
    const methods = Object.keys(service).filter(
      (name) => typeof (service as unknown as Record<string, unknown>)[name] === "function",
    );
    expect(methods.sort()).toEqual(Object.keys(audits).sort());
    const gateway = { userId: "gw", clientIds: "*" as const, scopes: ["authz" as const] };
    const heard: [MethodName, AuditEvent[]][] = [];
    const call = async (method: MethodName, run: () => Promise<unknown>) => {
      const before = events.length;
      await run().catch(() => undefined);
      heard.push([method, events.slice(before)]);
    };
    const single = (value: string) => ({
      credentialName: "k",
      credentialType: "proxy" as const,
      authType: "apiKey" as const,
      singleUse: true,
      secret: { keyName: "X-Key", keyValue: value },
    });
    let created = "";
    await call("create", async () => {
      created = (await service.create(actor, clientId, single(SECRET))).credentialId;
    });
    await call("update", () => service.update(actor, clientId, created, { credentialName: "renamed" }));
    await call("get", () => service.get(actor, clientId, created));
    await call("list", () => service.list(actor, clientId));
    await call("verifyProxyRequest", () =>
      service.verifyProxyRequest(actor, clientId, { headers: { "x-key": SECRET } }),
    );
    const second = (await service.create(actor, clientId, single(`${SECRET}-2`))).credentialId;
    await call("authorizeProxyRequest", () =>
      service.authorizeProxyRequest(gateway, clientId, { headers: { "x-key": `${SECRET}-2` } }),
    );
    const target = (
      await service.create(actor, clientId, {
        credentialName: "t",
        credentialType: "target",
        authType: "bearer",
        secret: { token: SECRET },
      })
    ).credentialId;
    await call("resolveTargetAuth", () => service.resolveTargetAuth(actor, clientId, target));
    await call("invalidateTargetToken", () => service.invalidateTargetToken(actor, clientId, target));
    await call("completeAuthorization", () => service.completeAuthorization({ state: "forged", code: "x" }));
    await call("delete", () => service.delete(actor, clientId, target));
    await call("health", () => service.health());
    await call("sweepExpiries", () => service.sweepExpiries());

    expect(heard.map(([method]) => method).sort()).toEqual(Object.keys(audits).sort());
    const ids: Partial<Record<MethodName, string>> = {
      create: created,
      update: created,
      verifyProxyRequest: created,
      authorizeProxyRequest: second,
      resolveTargetAuth: target,
      invalidateTargetToken: target,
      delete: target,
    };
    for (const [method, said] of heard) {
      const action = audits[method];
      expect([method, said.map((event) => event.action)]).toEqual([method, action ? [action] : []]);
      if (ids[method])
        expect([method, said[0]?.credentialId, said[0]?.clientId]).toEqual([method, ids[method], clientId]);
    }
    expect(heard.find(([method]) => method === "authorizeProxyRequest")?.[1][0]?.userId).toBe("gw");
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });
});

describe("authorizationFailedEvent", () => {
  it("names the code, user, client and request it knows, and leaves out the empty ones", () => {
    expect(
      authorizationFailedEvent("FORBIDDEN", { userId: "ops", clientId: "acme", requestId: "r1" }, () => 0),
    ).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      action: "authorization.failed",
      outcome: "failure",
      code: "FORBIDDEN",
      userId: "ops",
      clientId: "acme",
      requestId: "r1",
    });
    expect(authorizationFailedEvent("UNAUTHORIZED", { userId: undefined, clientId: "" }, () => 0)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      action: "authorization.failed",
      outcome: "failure",
      code: "UNAUTHORIZED",
    });
  });
});
