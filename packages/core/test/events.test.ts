import { randomUUID } from "node:crypto";
import { admin, type CreateExtras, memoryStore, testKeyring, unchecked } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AnyCredkitEvent,
  type CreateCredentialInput,
  createCredentialService,
  type EventSink,
  eventTypes,
  isEventType,
} from "../src/index.js";

/** A service over a memory store whose every event is collected, in process and through a sink. */
function setup(sink?: EventSink) {
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: testKeyring(),
    defaultRegion: "eu-west-1",
    ...(sink ? { events: { sink } } : {}),
  });
  const seen: AnyCredkitEvent[] = [];
  const unsubscribe = service.events.subscribe("*", (event) => seen.push(event));
  return { service, seen, unsubscribe, clientId: `c-${randomUUID()}` };
}

/** A proxy apiKey body with a fresh secret value (remembered by the caller for the leak scan). */
const proxyKey = (keyValue: string, extra: CreateExtras = {}): CreateCredentialInput => ({
  credentialName: "partner key",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
  ...extra,
});

describe("service.events", () => {
  it("reports created, updated, deleted, consumed (verify and resolve) with ids and metadata only", async () => {
    const { service, seen, clientId } = setup();
    const secrets: string[] = [];
    const secret = () => {
      const value = `sk-${randomUUID()}`;
      secrets.push(value);
      return value;
    };
    const created = await service.create(admin, clientId, proxyKey(secret()));
    const updated = await service.update(admin, clientId, created.credentialId, {
      credentialName: "renamed",
      secret: { keyName: "X-Api-Key", keyValue: secret() },
    });
    await service.delete(admin, clientId, created.credentialId);
    const once = secret();
    const single = await service.create(admin, clientId, proxyKey(once, { singleUse: true }));
    const passed = await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": once } });
    expect(passed.ok).toBe(true);
    const targetToken = secret();
    const target = await service.create(admin, clientId, {
      credentialName: "upstream",
      credentialType: "target",
      authType: "bearer",
      singleUse: true,
      secret: { token: targetToken },
    });
    await service.resolveTargetAuth(admin, clientId, target.credentialId);

    expect(seen.map((e) => [e.type, e.data.credentialId])).toEqual([
      ["credential.created", created.credentialId],
      ["credential.updated", created.credentialId],
      ["credential.deleted", created.credentialId],
      ["credential.created", single.credentialId],
      ["credential.consumed", single.credentialId],
      ["credential.created", target.credentialId],
      ["credential.consumed", target.credentialId],
    ]);
    expect(seen[1]).toMatchObject({
      type: "credential.updated",
      data: {
        clientId,
        credentialName: "renamed",
        credentialType: "proxy",
        credentialAuthType: "apiKey",
        credentialRegion: "eu-west-1",
        credentialVersion: updated.credentialVersion,
        credentialExpiresAt: null,
        userId: "alice",
      },
    });
    for (const event of seen) {
      expect(event.id).toMatch(/^evt_[A-Za-z0-9_-]{22}$/);
      expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
      const text = JSON.stringify(event);
      for (const value of secrets) expect(text).not.toContain(value);
      expect(Object.keys(event.data).sort()).toEqual(
        expect.arrayContaining(["clientId", "credentialId", "credentialName", "credentialVersion"]),
      );
    }
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
  });

  it("emits nothing for a refused change, a failed verification or a lost race", async () => {
    const { service, seen, clientId } = setup();
    await expect(service.create(admin, clientId, unchecked({ credentialName: "" }))).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    const key = `sk-${randomUUID()}`;
    const single = await service.create(admin, clientId, proxyKey(key, { singleUse: true }));
    seen.length = 0;
    expect(
      (await service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": "nope-nope-nope-nope" } }))
        .ok,
    ).toBe(false);
    const both = await Promise.all([
      service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": key } }),
      service.verifyProxyRequest(admin, clientId, { headers: { "x-api-key": key } }),
    ]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    await expect(service.delete(admin, clientId, single.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(seen.map((e) => e.type)).toEqual(["credential.consumed"]);
  });

  it("filters by type, unsubscribes, and a throwing listener breaks neither the change nor the others", async () => {
    const { service, seen, unsubscribe, clientId } = setup();
    const deletes: string[] = [];
    service.events.subscribe(["credential.deleted"], (event) => deletes.push(event.data.credentialId));
    service.events.subscribe("*", () => {
      throw new Error("listener bug");
    });
    const created = await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    unsubscribe();
    await service.delete(admin, clientId, created.credentialId);
    expect(seen.map((e) => e.type)).toEqual(["credential.created"]);
    expect(deletes).toEqual([created.credentialId]);
  });

  it("stores the event in the sink before listeners hear of it; a failing sink fails the call", async () => {
    const order: string[] = [];
    const sink: EventSink = {
      async publish(events) {
        order.push(...events.map((e) => `sink:${e.type}`));
      },
    };
    const { service, clientId } = setup(sink);
    service.events.subscribe("*", (event) => order.push(`listener:${event.type}`));
    await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    expect(order).toEqual(["sink:credential.created", "listener:credential.created"]);

    const broken = setup({
      publish: () => Promise.reject(Object.assign(new Error("down"), { code: "STORAGE_UNAVAILABLE" })),
    });
    await expect(
      broken.service.create(admin, broken.clientId, proxyKey(`sk-${randomUUID()}`)),
    ).rejects.toThrow("down");
    expect(broken.seen).toEqual([]);
  });

  it("names every event type once", () => {
    expect(new Set(eventTypes).size).toBe(eventTypes.length);
    expect(eventTypes.every(isEventType)).toBe(true);
    expect(isEventType("credential.exploded")).toBe(false);
  });
});
