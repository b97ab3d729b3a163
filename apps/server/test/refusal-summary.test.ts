import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { refusalSummary } from "../src/authz/refusal-summary.js";
import { createLogger } from "../src/logger.js";

describe("the authz refusal summary", () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  beforeEach(() => {
    lines.length = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("logs one info line per interval with counts by reason and client, and nothing when quiet", async () => {
    const summary = refusalSummary({ logger, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) summary.count("PROXY_TOKEN_INVALID", "acme", "192.0.2.1");
    summary.count("NO_CREDENTIAL", "beta", "192.0.2.2");
    summary.count("RATE_LIMITED", "beta", "192.0.2.1");
    summary.count("NO_CREDENTIAL", null, null);
    vi.advanceTimersByTime(60_000);
    vi.advanceTimersByTime(60_000);
    summary.stop();
    await vi.waitFor(() => expect(lines.length).toBe(1));
    expect(lines[0]).toMatchObject({
      msg: "authz refusals",
      refusals: 6,
      seconds: 60,
      reasons: { PROXY_TOKEN_INVALID: 3, NO_CREDENTIAL: 2, RATE_LIMITED: 1 },
      clients: { acme: 3, beta: 2 },
      refusedByAddress: { "192.0.2.1": 3, "192.0.2.2": 1 },
      throttledByAddress: { "192.0.2.1": 1 },
    });
  });

  it("names the ten most refused clients and addresses and counts the rest together, however many callers invent", async () => {
    const summary = refusalSummary({ logger, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) summary.count("NO_CREDENTIAL", "top", "198.51.100.1");
    for (let i = 0; i < 5000; i++) summary.count("NO_CREDENTIAL", `client-${i}`, `10.0.${i >> 8}.${i & 255}`);
    summary.stop();
    await vi.waitFor(() => expect(lines.length).toBe(1));
    for (const [field, top] of [
      ["clients", "top"],
      ["refusedByAddress", "198.51.100.1"],
    ] as const) {
      const counts = lines[0]?.[field] as Record<string, number>;
      expect(Object.keys(counts)).toHaveLength(11);
      expect(counts[top]).toBe(3);
      expect(counts["(others)"]).toBe(5000 - 9);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(5003);
    }
  });
});
