import { afterEach, describe, expect, it, vi } from "vitest";
import { clientRegistry } from "../../src/client-registry.js";
import type { RedisClient } from "../../src/run-script.js";

/** A client that only counts ZADDs per member: all the registry sends. */
function countingClient() {
  const added: string[] = [];
  const client = {
    zadd: async (_key: string, _score: number, member: string) => {
      added.push(member);
      return 1;
    },
  } as unknown as RedisClient;
  return { client, added };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("redis client registry", () => {
  it("skips the ZADD for a client confirmed less than rememberMs ago, and sends it again at rememberMs", async () => {
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const { client, added } = countingClient();
    const registry = clientRegistry(client, "clients", 1000);
    await registry.register("a");
    now += 999;
    await registry.register("a");
    expect(added).toEqual(["a"]);
    now += 1;
    await registry.register("a");
    expect(added).toEqual(["a", "a"]);
    // Remembered from the second ZADD on.
    now += 999;
    await registry.register("a");
    await registry.register("b");
    expect(added).toEqual(["a", "a", "b"]);
  });

  it("remembers at most 10,000 clients, forgetting the least recently confirmed first", async () => {
    vi.spyOn(Date, "now").mockReturnValue(5000);
    const { client, added } = countingClient();
    const registry = clientRegistry(client, "clients", 60_000);
    for (let i = 0; i <= 10_000; i++) await registry.register(`c${i}`);
    expect(added).toHaveLength(10_001);
    // c0 was forgotten when c10000 came; c1 is still remembered.
    await registry.register("c1");
    await registry.register("c0");
    expect(added.slice(10_001)).toEqual(["c0"]);
  });

  it("sends the ZADD every time with rememberMs 0", async () => {
    vi.spyOn(Date, "now").mockReturnValue(5000);
    const { client, added } = countingClient();
    const registry = clientRegistry(client, "clients", 0);
    await registry.register("a");
    await registry.register("a");
    expect(added).toEqual(["a", "a"]);
  });
});
