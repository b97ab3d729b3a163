import { memoryStore } from "@credkit/storage-memory";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { memoryIdempotencyStore } from "../src/index.js";
import { syncHosts, testApp, tokens } from "./app.js";

const body = (name = "partner") => ({
  credentialName: name,
  credentialType: "target",
  authType: "bearer",
  region: "eu-west-1",
  secret: { token: "t-123" },
});

describe.each(syncHosts)("Idempotency-Key on create, on %s", (host) => {
  it("returns the first result for a retried create instead of a duplicate", async () => {
    const { app } = testApp({}, host);
    const post = () =>
      request(app)
        .post("/api/clients/acme/credentials")
        .set("Authorization", tokens.admin)
        .set("Idempotency-Key", "order-42")
        .send(body());
    const first = await post().expect(201);
    const retry = await post().expect(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.body.credentials[0].credentialId).toBe(first.body.credentials[0].credentialId);
    const list = await request(app)
      .get("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .expect(200);
    expect(list.body.credentials).toHaveLength(1);
    // The same key with the keys of the body in another order is the same request.
    const reordered = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .set("Idempotency-Key", "order-42")
      .send(JSON.stringify(Object.fromEntries(Object.entries(body()).reverse())))
      .set("Content-Type", "application/json")
      .expect(201);
    expect(reordered.body.credentials[0].credentialId).toBe(first.body.credentials[0].credentialId);
  });

  it("answers 409 when the key is reused with a different body", async () => {
    const { app } = testApp({}, host);
    const post = (name: string) =>
      request(app)
        .post("/api/clients/acme/credentials")
        .set("Authorization", tokens.admin)
        .set("Idempotency-Key", "k-1")
        .send(body(name));
    await post("a").expect(201);
    const reused = await post("b").expect(409);
    expect(reused.body.code).toBe("CONFLICT");
    expect(reused.body.message).toContain("different request body");
  });

  it("scopes keys to the client and the token, and frees a key whose create failed", async () => {
    const { app } = testApp({}, host);
    const post = (token: string, clientId: string, payload: unknown) =>
      request(app)
        .post(`/api/clients/${clientId}/credentials`)
        .set("Authorization", token)
        .set("Idempotency-Key", "shared-key")
        .send(payload as object);
    const a = await post(tokens.admin, "acme", body()).expect(201);
    const b = await post(tokens.acme, "acme", body()).expect(201);
    const c = await post(tokens.admin, "globex", body()).expect(201);
    expect(new Set([a, b, c].map((r) => r.body.credentials[0].credentialId)).size).toBe(3);
    await post(tokens.admin, "initech", { ...body(), region: "mars-1" }).expect(400);
    await post(tokens.admin, "initech", body()).expect(201);
    await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .set("Idempotency-Key", "bad key with spaces")
      .send(body())
      .expect(400);
  });

  it("refuses a retry while the first request still runs", async () => {
    const memory = memoryStore();
    let releaseCreate: () => void = () => {};
    let createStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      createStarted = resolve;
    });
    const slow = {
      ...memory,
      create: async (record: Parameters<typeof memory.create>[0]) => {
        createStarted();
        await new Promise<void>((resolve) => {
          releaseCreate = resolve;
        });
        return memory.create(record);
      },
    };
    const { app } = testApp({ store: slow }, host);
    const post = () =>
      request(app)
        .post("/api/clients/acme/credentials")
        .set("Authorization", tokens.admin)
        .set("Idempotency-Key", "slow")
        .send(body());
    const first = post().then((r) => r);
    await started; // the first request holds the key and is inside create
    const busy = await post().expect(409);
    expect(busy.body.message).toContain("still in progress");
    releaseCreate();
    expect((await first).status).toBe(201);
  });
});

describe("memoryIdempotencyStore", () => {
  const claim = (fingerprint: string, owner = "o1", inProgressMs = 60_000) => ({
    fingerprint,
    owner,
    inProgressMs,
  });

  it("keeps at most maxEntries keys, forgetting the oldest first", async () => {
    const store = memoryIdempotencyStore(Date.now, 3);
    for (const key of ["a", "b", "c", "d"]) expect(await store.claim(key, claim(`fp-${key}`))).toBeNull();
    // "a" was the oldest: forgotten, so it can be claimed again; "b".."d" are still held.
    expect(await store.claim("b", claim("fp-b"))).toEqual({ fingerprint: "fp-b" });
    expect(await store.claim("a", claim("fp-a"))).toBeNull();
  });

  it("frees a claim after its in-progress bound and a completed key after its TTL", async () => {
    let at = 0;
    const store = memoryIdempotencyStore(() => at);
    expect(await store.claim("k1", claim("one", "o1", 1000))).toBeNull();
    expect(await store.claim("k2", claim("two", "o2", 1000))).toBeNull();
    at = 999;
    expect(await store.complete("k2", "o2", { fingerprint: "two", credentialId: "eu-west-1.x" }, 5000)).toBe(
      true,
    );
    at = 1000;
    // k1's request never finished: the key is usable again once its in-progress bound has passed.
    expect(await store.claim("k1", claim("again", "o3"))).toBeNull();
    expect(await store.claim("k2", claim("two", "o4"))).toEqual({
      fingerprint: "two",
      credentialId: "eu-west-1.x",
    });
    at = 5998;
    expect(await store.claim("k2", claim("two", "o4"))).toEqual({
      fingerprint: "two",
      credentialId: "eu-west-1.x",
    });
    at = 5999;
    expect(await store.claim("k2", claim("two", "o4"))).toBeNull();
  });

  it("lets only the owner of a live claim complete or release it", async () => {
    let at = 0;
    const store = memoryIdempotencyStore(() => at);
    expect(await store.claim("k", claim("fp", "first", 1000))).toBeNull();
    at = 1000;
    expect(await store.claim("k", claim("fp", "second", 1000))).toBeNull();
    // The first request outlived its claim and another took the key over: it cannot overwrite it.
    expect(await store.complete("k", "first", { fingerprint: "fp", credentialId: "r.1" }, 5000)).toBe(false);
    await store.release("k", "first");
    expect(await store.claim("k", claim("fp", "third"))).toEqual({ fingerprint: "fp" });
    expect(await store.complete("k", "second", { fingerprint: "fp", credentialId: "r.2" }, 5000)).toBe(true);
    await store.release("k", "second"); // completed: no longer a claim to release
    expect(await store.claim("k", claim("fp", "third"))).toEqual({ fingerprint: "fp", credentialId: "r.2" });
  });
});
