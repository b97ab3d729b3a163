import { randomUUID } from "node:crypto";
import { admin, type CreateExtras, memoryStore, testKeyring, unchecked } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AnyCredkitEvent,
  type CreateCredentialInput,
  createCredentialService,
  eventTypes,
  isEventType,
} from "../src/index.js";

/** A service over a memory store whose every event is collected in process. */
function setup() {
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: testKeyring(),
    defaultRegion: "eu-west-1",
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

  it("stores a change's event with the change itself, before listeners hear of it; a refused change stores and tells nothing", async () => {
    const published: AnyCredkitEvent[] = [];
    const store = memoryStore();
    const service = createCredentialService({
      regions: { "eu-west-1": store },
      keyring: testKeyring(),
      defaultRegion: "eu-west-1",
      events: { sink: { publish: async (events) => void published.push(...events) } },
    });
    const clientId = `c-${randomUUID()}`;
    const heard: { event: AnyCredkitEvent; pending: Promise<unknown> }[] = [];
    service.events.subscribe("*", (event) =>
      heard.push({ event, pending: store.pendingEvents(1000).then((p) => p.map((e) => e.event)) }),
    );
    const value = `sk-${randomUUID()}`;
    await service.create(admin, clientId, proxyKey(value));
    expect(heard).toHaveLength(1);
    const [first] = heard;
    // When the listener heard of it, the store already held the event: it came with the write.
    expect(await first?.pending).toEqual([first?.event]);
    // The sink is for events no write carries (expiry, OAuth refresh outcomes); the relay moves these.
    expect(published).toEqual([]);

    // The same secret again: CONFLICT, so no record, no stored event, nothing heard.
    await expect(service.create(admin, clientId, proxyKey(value))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(heard).toHaveLength(1);
    expect((await store.pendingEvents(1000)).map((e) => e.event)).toEqual([first?.event]);
  });

  it("names every event type once", () => {
    expect(new Set(eventTypes).size).toBe(eventTypes.length);
    expect(eventTypes.every(isEventType)).toBe(true);
    expect(isEventType("credential.exploded")).toBe(false);
  });
});
