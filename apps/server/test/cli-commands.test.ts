import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killLeftovers, runCli, startRedis } from "./child-processes.js";

afterEach(killLeftovers);

let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const masterKey = () => randomBytes(32).toString("base64");

describe("credkit keygen", () => {
  it("prints the key alone on stdout (for CREDKIT_MASTER_KEY=$(…)), its id on stderr, a different one each time", async () => {
    const first = await runCli(["keygen"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(first.stdout.trim(), "base64")).toHaveLength(32);
    expect(first.stderr).toMatch(/Key id k[A-Za-z0-9_-]{10}\b/);
    expect(first.stderr).toContain("CREDKIT_MASTER_KEY");
    expect((await runCli(["keygen"])).stdout).not.toBe(first.stdout);
  });

  it("prints the key and its id as JSON with --json", async () => {
    const result = await runCli(["keygen", "--json"]);
    expect(result.code).toBe(0);
    const key = JSON.parse(result.stdout) as { id: string; key: string };
    expect(key.id).toMatch(/^k[A-Za-z0-9_-]{10}$/);
    expect(Buffer.from(key.key, "base64")).toHaveLength(32);
    expect((await runCli(["keygen", "--bogus"])).code).toBe(2);
  });

  it("answers help and refuses unknown commands with status 2", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/rotate[\s\S]*--state <file>/);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});

describe("credkit check-config", () => {
  it("passes a good configuration and names each store group and key id, never key material", async () => {
    const key = masterKey();
    const regions = {
      "eu-west-1": { storage: "redis", url: redis.url, keyPrefix: "cc:" },
      "us-east-1": { storage: "redis", url: redis.url, keyPrefix: "cc:" },
      "ap-south-1": { storage: "memory" },
    };
    const result = await runCli(["check-config"], {
      CREDKIT_REGIONS: JSON.stringify(regions),
      CREDKIT_KEYRING: JSON.stringify([
        { id: "new", key, active: true },
        { id: "old", key: masterKey() },
      ]),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe("configuration: ok");
    expect(lines[1]).toBe("keyring: 2 key(s), active new; also old");
    // One line per store, naming the regions it serves and saying when they share it.
    expect(lines.slice(2)).toEqual([
      "ok      memory (in this process; lost when it stops): serves region ap-south-1; for development: every process has its own",
      `ok      redis ${redis.url} prefix "cc:": serves 2 regions: eu-west-1, us-east-1, which share this one store`,
    ]);
    expect(result.stdout).not.toContain(key);
  });

  it("fails within a bounded time with a clear line when Redis is unreachable", async () => {
    const started = Date.now();
    const result = await runCli(["check-config"], {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://user:hunter2-password@127.0.0.1:1",
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey(),
    });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stdout).toMatch(
      /^failed {2}redis redis:\/\/127\.0\.0\.1:1 prefix "credkit:": serves 38 regions: .*, which share this one store — nothing answers there \(ECONNREFUSED\): start it, or check CREDKIT_REDIS_URL/m,
    );
    expect(result.stdout + result.stderr).not.toContain("hunter2");
  });

  it("reports invalid configuration like the server does, naming the variable, with status 1", async () => {
    const result = await runCli(["check-config"], {
      CREDKIT_STORAGE: "redis",
      CREDKIT_MASTER_KEY: masterKey(),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("configuration: invalid");
    expect(result.stdout).toContain("CREDKIT_REDIS_URL: is required with CREDKIT_STORAGE=redis");
    const badKey = await runCli(["check-config"], {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: redis.url,
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: "c2hvcnQ=",
    });
    expect(badKey.code).toBe(1);
    expect(badKey.stdout).toContain("CREDKIT_MASTER_KEY decodes to 5 bytes");
  });
});

describe("credkit rotate (refusals)", () => {
  it("refuses a memory-only configuration: there is nothing durable to rotate", async () => {
    const result = await runCli(["rotate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Nothing to rotate: every configured region is in memory");
  });

  it("fails with a clear message, within a bounded time, when its store is unreachable", async () => {
    const started = Date.now();
    const result = await runCli(["rotate", "--state", "/nonexistent-dir/state.json"], {
      CREDKIT_STORAGE: "redis",
      CREDKIT_REDIS_URL: "redis://127.0.0.1:1",
      CREDKIT_REGIONS: "*",
      CREDKIT_MASTER_KEY: masterKey(),
    });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stderr).toMatch(
      /credkit rotate: The redis store is unavailable \(\w+\) \[ECONNREFUSED\]\. Nothing was saved yet: run the same command again once the cause is fixed\.\n$/,
    );
  });

  it("refuses unknown options with status 2", async () => {
    const result = await runCli(["rotate", "--batch-size", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--batch-size must be an integer from 1 to 1000");
  });
});
