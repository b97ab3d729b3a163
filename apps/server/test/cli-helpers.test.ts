import { describe, expect, it } from "vitest";
import { parseCliArgs } from "../src/cli/cli-args.js";
import { formatDuration, progressLine } from "../src/cli/rotate-progress.js";
import { describeStorage, regionList, storeGroups, storeLine } from "../src/store-groups.js";

describe("CLI helpers", () => {
  it("prints progress with percentage and an ETA at this run's rate", () => {
    const line = progressLine({
      counts: { scanned: 2500, reencrypted: 2400, skipped: 90, failed: 10 },
      total: 10_000,
      scannedThisRun: 2000,
      elapsedMs: 4000,
      store: "eu-west-1",
    });
    // 500 records/s over this run; 7,500 left → 15 s.
    expect(line).toBe(
      "rotate [eu-west-1] 2,500/10,000 scanned (25%) · 2,400 re-encrypted · 90 skipped · 10 failed · 500 records/s · ETA 15s",
    );
    const unknown = progressLine({
      counts: { scanned: 10, reencrypted: 10, skipped: 0, failed: 0 },
      total: null,
      scannedThisRun: 10,
      elapsedMs: 0,
      store: "x",
    });
    expect(unknown).not.toContain("ETA");
    expect(formatDuration(3_725_000)).toBe("1h 02m");
    expect(formatDuration(185_000)).toBe("3m 05s");
  });

  it("describes stores without credentials and groups regions like the server", () => {
    expect(describeStorage({ storage: "redis", url: "rediss://user:s3cret@cache.internal:6380/2" })).toBe(
      'redis rediss://cache.internal:6380/2 prefix "credkit:"',
    );
    expect(describeStorage({ storage: "dynamodb", table: "creds", region: "eu-west-1" })).toBe(
      'dynamodb table "creds" in AWS region eu-west-1 at the AWS endpoint',
    );
    expect(
      describeStorage({ storage: "dynamodb", table: "creds", endpoint: "http://u:pw@127.0.0.1:8000/x" }),
    ).toBe('dynamodb table "creds" in the AWS region of the AWS profile at http://127.0.0.1:8000');
    const redis = { storage: "redis" as const, url: "redis://a:6379" };
    expect(storeGroups({ b: redis, a: { storage: "memory" }, c: { ...redis } })).toEqual([
      { storage: { storage: "memory" }, regions: ["a"] },
      { storage: redis, regions: ["b", "c"] },
    ]);
    expect(regionList(["a", "b"])).toBe("a, b");
    expect(storeLine({ storage: redis, regions: ["b"] })).toBe(
      'redis redis://a:6379 prefix "credkit:": serves region b',
    );
    expect(storeLine({ storage: redis, regions: ["b", "c"] })).toBe(
      'redis redis://a:6379 prefix "credkit:": serves 2 regions: b, c, which share this one store',
    );
    expect(regionList(Array.from({ length: 10 }, (_, i) => `r${i}`))).toBe("10 regions: r0, r1, r2, …, r9");
  });

  it("parses options and names what it refuses", () => {
    const accepted = { value: ["state", "batch-size"], flag: ["no-count"] };
    expect(parseCliArgs(["--state", "s.json", "--batch-size=5", "--no-count"], accepted)).toEqual({
      state: "s.json",
      "batch-size": "5",
      "no-count": true,
    });
    expect(() => parseCliArgs(["--nope"], accepted)).toThrow("unknown option --nope");
    expect(() => parseCliArgs(["--state"], accepted)).toThrow("--state needs a value");
    expect(() => parseCliArgs(["stray"], accepted)).toThrow('unexpected argument "stray"');
  });
});
