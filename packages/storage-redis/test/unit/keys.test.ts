import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { defaultKeyPrefix, redisKeys } from "../../src/index.js";

// ioredis's own slot function (a dependency of ioredis, not of this package): the slot the client
// routes a key to is the slot Redis Cluster checks in scripts.
const fromIoredis = createRequire(createRequire(import.meta.url).resolve("ioredis"));
const slotOf = fromIoredis("cluster-key-slot") as (key: string) => number;

// What Redis Cluster hashes: the text between the first `{` and the next `}`, when not empty.
function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = key.indexOf("}", open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

const awkwardClientIds = [
  "plain",
  "",
  "{",
  "}",
  "}{",
  "a}b{c",
  "{x}",
  "ünïcode ✓",
  "a:b:c",
  "client/with spaces",
];

describe("redis key layout", () => {
  const keys = redisKeys();

  it.each(awkwardClientIds)(
    "puts every key of client %j under one brace-free hash tag and one slot",
    (clientId) => {
      const tag = keys.tag(clientId);
      expect(tag).toMatch(/^c:[A-Za-z0-9_-]*$/);
      const clientKeys = [
        keys.ids(clientId),
        keys.record(clientId, "eu-west-1.abc}{def"),
        keys.record(clientId, "us-east-1.xyz"),
        keys.lookup(clientId, "h{a}sh"),
      ];
      for (const key of clientKeys) expect(key.startsWith(`${defaultKeyPrefix}{${tag}}:`)).toBe(true);
      expect(new Set(clientKeys.map(hashTag))).toStrictEqual(new Set([tag]));
      expect(new Set(clientKeys.map(slotOf)).size).toBe(1);
    },
  );

  it("gives distinct clients distinct tags", () => {
    const tags = awkwardClientIds.map((clientId) => keys.tag(clientId));
    expect(new Set(tags).size).toBe(awkwardClientIds.length);
  });

  it("spreads clients over slots", () => {
    const slots = new Set(Array.from({ length: 50 }, (_, i) => slotOf(keys.ids(`client-${i}`))));
    expect(slots.size).toBeGreaterThan(40);
  });

  it("keeps leases and the client registry outside every client's tag", () => {
    expect(keys.clients()).toBe("credkit:clients");
    expect(hashTag(keys.lease("refresh:{token}"))).toMatch(/^lease:[A-Za-z0-9_-]+$/);
  });

  it("refuses a key prefix with braces, which would pin every client to one slot", () => {
    for (const keyPrefix of ["app{1}:", "{", "}"]) {
      expect(() => redisKeys(keyPrefix)).toThrow(expect.objectContaining({ code: "CONFIGURATION_ERROR" }));
    }
  });
});
