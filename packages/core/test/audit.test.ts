import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, unchecked } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AuditEvent,
  authorizationFailedEvent,
  createCredentialService,
  createKeyring,
  withAudit,
} from "../src/index.js";

function setup() {
  const events: AuditEvent[] = [];
  const service = withAudit(
    createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      defaultRegion: "eu-west-1",
    }),
    { record: (event) => events.push(event) },
  );
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
