import { DeleteTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCredkitTable,
  dynamoDbCounter,
  dynamoDbIdempotencyStore,
  dynamoDbStore,
  sharedStateClientConfig,
} from "../src/index.js";
import { idempotencyItemKey } from "../src/keys.js";
import { dumpTable, localClient, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

// Idempotency claims and rate-limit counters in the credkit table, on DynamoDB Local. A settable clock
// stands in for waiting: expiry is compared in the conditions, never left to TTL deletion.
describe("dynamodb shared state (idempotency, counters)", () => {
  const client = localClient(sharedStateClientConfig);
  const tableName = randomTableName();
  // An hour ahead of real time: DynamoDB Local deletes items whose `ttl` has passed by its own clock,
  // promptly, which would hide what the conditions must decide by themselves.
  let clock = Date.now() + 3_600_000;
  const now = () => clock;
  const idempotency = dynamoDbIdempotencyStore({ client, tableName, now });
  const counter = dynamoDbCounter({ client, tableName, now });
  const log = logRequests(client);
  const claim = (fingerprint: string, owner: string, inProgressMs = 2_000) => ({
    fingerprint,
    owner,
    inProgressMs,
  });
  let n = 0;
  const fresh = () => `k${++n}-${Math.random().toString(36).slice(2)}`;

  beforeAll(() => createCredkitTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });

  it("claims with one conditional write, and answers a second claimer with the entry held", async () => {
    const key = fresh();
    log.length = 0;
    expect(await idempotency.claim(key, claim("fp", "a"))).toBeNull();
    expect(log).toEqual(["PutItem"]);
    log.length = 0;
    expect(await idempotency.claim(key, claim("fp", "b"))).toStrictEqual({ fingerprint: "fp" });
    expect(log).toEqual(["PutItem"]);
    expect(
      await idempotency.complete(
        key,
        "a",
        { fingerprint: "fp", credentialId: "r.1", sealedExtra: "s" },
        60_000,
      ),
    ).toBe(true);
    expect(await idempotency.claim(key, claim("fp", "b"))).toEqual({
      fingerprint: "fp",
      credentialId: "r.1",
      sealedExtra: "s",
    });
  });

  it("answers a claim or completion the SDK sent again after a lost answer as the success it was", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "a"))).toBeNull();
    // The same owner finds its own claim in the way: it holds the key.
    expect(await idempotency.claim(key, claim("fp", "a"))).toBeNull();
    const entry = { fingerprint: "fp", credentialId: "r.1" };
    expect(await idempotency.complete(key, "a", entry, 60_000)).toBe(true);
    // Its own completion in the way (same fingerprint and credential, no owner left): done.
    expect(await idempotency.complete(key, "a", entry, 60_000)).toBe(true);
    // Anything else in the way means the claim was lost.
    expect(await idempotency.complete(key, "a", { ...entry, credentialId: "r.2" }, 60_000)).toBe(false);
    expect(await idempotency.complete(key, "a", { ...entry, fingerprint: "fp2" }, 60_000)).toBe(false);
    expect(await idempotency.complete(fresh(), "a", entry, 60_000)).toBe(false);
    // The same without a credential id (a create that stored nothing to point at).
    const bare = fresh();
    expect(await idempotency.claim(bare, claim("fp", "a"))).toBeNull();
    expect(await idempotency.complete(bare, "a", { fingerprint: "fp" }, 60_000)).toBe(true);
    expect(await idempotency.complete(bare, "a", { fingerprint: "fp" }, 60_000)).toBe(true);
  });

  it("a lost claim cannot be completed even with the fingerprint of the claim now in the way", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "slow", 1_000))).toBeNull();
    clock += 1_000;
    expect(await idempotency.claim(key, claim("fp", "other", 1_000))).toBeNull();
    // Same fingerprint, no credential id on either side: only the owner tells the claim from a completion.
    expect(await idempotency.complete(key, "slow", { fingerprint: "fp" }, 60_000)).toBe(false);
    expect(await idempotency.claim(key, claim("fp", "third"))).toStrictEqual({ fingerprint: "fp" });
  });

  it("gives claims and completions the TTL of their own expiry, in seconds rounded up", async () => {
    const key = fresh();
    const ttlOf = async () => {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: idempotencyItemKey(key), ConsistentRead: true }),
      );
      return [Item?.expiresAt?.N, Item?.ttl?.N];
    };
    expect(await idempotency.claim(key, claim("fp", "a", 2_500))).toBeNull();
    expect(await ttlOf()).toEqual([String(clock + 2_500), String(Math.ceil((clock + 2_500) / 1000))]);
    expect(await idempotency.complete(key, "a", { fingerprint: "fp" }, 60_500)).toBe(true);
    expect(await ttlOf()).toEqual([String(clock + 60_500), String(Math.ceil((clock + 60_500) / 1000))]);
  });

  it("of concurrent claimers exactly one holds the key", async () => {
    const key = fresh();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => idempotency.claim(key, claim("fp", `o${i}`))),
    );
    expect(results.filter((r) => r === null)).toHaveLength(1);
  });

  it("frees a claim whose request never finished after its in-progress bound, not the record TTL", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "dead", 2_000))).toBeNull();
    clock += 1_999;
    expect(await idempotency.claim(key, claim("fp", "next"))).toEqual({ fingerprint: "fp" });
    clock += 1;
    // The item is still there (TTL deletes days late): the condition compared its expiry.
    expect(await idempotency.claim(key, claim("fp", "next"))).toBeNull();
  });

  it("an owner that lost its claim (expired, then taken over) can neither complete nor release it", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "slow", 1_000))).toBeNull();
    clock += 1_000;
    expect(await idempotency.claim(key, claim("fp", "other", 1_000))).toBeNull();
    expect(
      await idempotency.complete(key, "slow", { fingerprint: "fp", credentialId: "r.slow" }, 60_000),
    ).toBe(false);
    await idempotency.release(key, "slow");
    expect(await idempotency.claim(key, claim("fp", "third"))).toEqual({ fingerprint: "fp" });
    expect(
      await idempotency.complete(key, "other", { fingerprint: "fp", credentialId: "r.other" }, 60_000),
    ).toBe(true);
    // Completed: no owner left to release it, and it answers until its record TTL.
    await idempotency.release(key, "other");
    clock += 59_999;
    expect(await idempotency.claim(key, claim("fp", "third"))).toEqual({
      fingerprint: "fp",
      credentialId: "r.other",
    });
    clock += 1;
    expect(await idempotency.claim(key, claim("fp", "third"))).toBeNull();
  });

  it("an owner whose claim expired cannot complete it even when nobody took it over", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "late", 1_000))).toBeNull();
    clock += 1_000;
    expect(await idempotency.complete(key, "late", { fingerprint: "fp", credentialId: "r" }, 60_000)).toBe(
      false,
    );
  });

  it("release frees the owner's claim for a retry", async () => {
    const key = fresh();
    expect(await idempotency.claim(key, claim("fp", "a"))).toBeNull();
    await idempotency.release(key, "b");
    expect(await idempotency.claim(key, claim("fp", "b"))).toEqual({ fingerprint: "fp" });
    await idempotency.release(key, "a");
    expect(await idempotency.claim(key, claim("fp", "b"))).toBeNull();
  });

  it("counts one UpdateItem per hit in a window, restarting a lapsed window", async () => {
    const key = fresh();
    log.length = 0;
    expect(await counter.hit(key, 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    // The first hit of a window: the increment is refused (no window), the restart makes it.
    expect(log).toEqual(["UpdateItem", "UpdateItem"]);
    clock += 10_000;
    log.length = 0;
    expect(await counter.hit(key, 60_000)).toEqual({ count: 2, resetMs: 50_000 });
    expect(log).toEqual(["UpdateItem"]);
    clock += 50_000;
    expect(await counter.hit(key, 60_000)).toEqual({ count: 1, resetMs: 60_000 });
  });

  it("of N concurrent hits, the counts are exactly 1..N", async () => {
    const key = fresh();
    const otherClient = localClient(sharedStateClientConfig);
    const other = dynamoDbCounter({ client: otherClient, tableName, now });
    const hits = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? counter : other).hit(key, 60_000)),
    );
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    otherClient.destroy();
  });

  it("lives beside credentials without disturbing them, holding only hashes the caller gave", async () => {
    const store = dynamoDbStore({ client, tableName, now });
    const record = makeRecord();
    await store.create(record);
    const page = await store.scan({ limit: 100 });
    expect(page.items.map((r) => r.credentialId)).toEqual([record.credentialId]);
    const table = await dumpTable(client, tableName);
    expect(table).toContain("idempotency#");
    expect(table).toContain("counter#");
  });
});
