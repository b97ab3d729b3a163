import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { namesIn, valuesIn } from "../src/expression.js";
import { isLive, lookupItem, recordItem, recordOf, ttlSeconds, versionOf } from "../src/item-codec.js";

describe("item layout", () => {
  it("keeps the whole record as JSON in `data`, beside the attributes conditions read", () => {
    const record = makeRecord({ version: 7 });
    const item = recordItem(record);
    expect(item).toStrictEqual({
      pk: { S: record.clientId },
      sk: { S: `cred#${record.credentialId}` },
      data: { S: JSON.stringify(record) },
      credentialId: { S: record.credentialId },
      version: { N: "7" },
      temporary: { BOOL: false },
      lookupHash: { S: record.lookupHash },
    });
    expect(recordOf(item)).toStrictEqual(record);
  });

  it("gives an expiring record expiresAt (ms) and ttl (seconds, rounded up)", () => {
    const item = recordItem(makeRecord({ temporary: true, expiresAt: 1_700_000_000_001, lookupHash: null }));
    expect(item.expiresAt).toStrictEqual({ N: "1700000000001" });
    expect(item.ttl).toStrictEqual({ N: "1700000001" });
    expect(item.lookupHash).toBeUndefined();
  });

  it("gives a credential with a lifetime the TTL of its expiresAt (lifetime end + grace), on both items", () => {
    const record = makeRecord({ lifetimeEndsAt: 1_700_000_000_000, expiresAt: 1_702_592_000_000 });
    for (const item of [recordItem(record), lookupItem({ ...record, lookupHash: record.lookupHash ?? "" })]) {
      expect(item.ttl).toStrictEqual({ N: "1702592000" });
      expect(recordOf(item)).toStrictEqual(record);
    }
  });

  it("puts a full copy of the record in the lookup item", () => {
    const record = makeRecord();
    const hash = record.lookupHash ?? "";
    const item = lookupItem({ ...record, lookupHash: hash });
    expect(item.pk).toStrictEqual({ S: record.clientId });
    expect(item.sk).toStrictEqual({ S: `lookup#${hash}` });
    expect(recordOf(item)).toStrictEqual(record);
  });

  it("rounds ttl up so the sweeper never deletes early", () => {
    expect(ttlSeconds(1_000)).toBe(1);
    expect(ttlSeconds(1_001)).toBe(2);
  });

  it("judges liveness by expiresAt against the given clock", () => {
    const item = recordItem(makeRecord({ expiresAt: 5_000 }));
    expect(isLive(item, 4_999)).toBe(true);
    expect(isLive(item, 5_000)).toBe(false);
    expect(isLive(recordItem(makeRecord()), Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it("refuses an item it did not write with STORAGE_UNAVAILABLE", () => {
    expect(() => recordOf({ pk: { S: "x" } })).toThrow(
      expect.objectContaining({ code: "STORAGE_UNAVAILABLE" }),
    );
    // The parse error is kept as the cause, for the operator who has to find the damaged item.
    expect(() => recordOf({ data: { S: "{" } })).toThrow(
      expect.objectContaining({ code: "STORAGE_UNAVAILABLE", cause: expect.any(SyntaxError) }),
    );
    // A compare-and-set against an item without a version must not read it as "another version".
    const { version: _version, ...unversioned } = recordItem(makeRecord({ version: 3 }));
    expect(versionOf(recordItem(makeRecord({ version: 3 })))).toBe(3);
    expect(() => versionOf(unversioned)).toThrow(expect.objectContaining({ code: "STORAGE_UNAVAILABLE" }));
  });
});

describe("expression placeholders", () => {
  it("lists exactly the names and values an expression uses (DynamoDB rejects unused ones)", () => {
    const expression = "#v = :expected AND (attribute_not_exists(#exp) OR #exp > :now)";
    expect(namesIn(expression)).toStrictEqual({ "#v": "version", "#exp": "expiresAt" });
    expect(
      valuesIn({ ":expected": { N: "1" }, ":now": { N: "2" }, ":unused": { N: "3" } }, expression),
    ).toStrictEqual({
      ":expected": { N: "1" },
      ":now": { N: "2" },
    });
  });

  it("fails loudly on a placeholder it does not know", () => {
    expect(() => namesIn("#nope = :x")).toThrow(/#nope/);
    expect(() => valuesIn({}, "#v = :x")).toThrow(/:x/);
  });
});
