import { describe, expect, it } from "vitest";
import { accessTokenFrom, createSingleFlight } from "../src/target/token-cache.js";

// The token cache's two small rules: an access token's lifetime (the issuer's expires_in, or the
// configured default), and single flight per key (freshness is in shared-token-wait.test.ts).
describe("accessTokenFrom", () => {
  it("expires a token expires_in seconds after now, or after the default lifetime without one", () => {
    expect(accessTokenFrom("t", 60, 1_000, 5_000)).toEqual({
      token: "t",
      obtainedAt: 1_000,
      expiresAt: 61_000,
    });
    expect(accessTokenFrom("t", undefined, 1_000, 5_000)).toEqual({
      token: "t",
      obtainedAt: 1_000,
      expiresAt: 6_000,
    });
    // expires_in 0 is the issuer's word (expired at once), not "none given".
    expect(accessTokenFrom("t", 0, 1_000, 5_000).expiresAt).toBe(1_000);
  });
});

describe("createSingleFlight", () => {
  it("shares one running call per key, starts another key's at once, and forgets a settled one", async () => {
    const flight = createSingleFlight<string>();
    let started = 0;
    const release: ((value: string) => void)[] = [];
    const work = () => {
      started++;
      return new Promise<string>((resolve) => release.push(resolve));
    };
    const a1 = flight.run("a", work);
    const a2 = flight.run("a", work);
    const b = flight.run("b", work);
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
    expect(started).toBe(2);
    release[0]?.("first");
    release[1]?.("other");
    expect(await a2).toBe("first");
    expect(await b).toBe("other");
    const a3 = flight.run("a", work);
    expect(started).toBe(3);
    release[2]?.("second");
    expect(await a3).toBe("second");
  });

  it("forgets a call that failed, so the next caller tries again", async () => {
    const flight = createSingleFlight<string>();
    await expect(flight.run("a", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await flight.run("a", async () => "up")).toBe("up");
  });
});
