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
    for (let i = 0; i < 3; i++) summary.count("PROXY_TOKEN_INVALID", "acme");
    summary.count("NO_CREDENTIAL", "beta");
    vi.advanceTimersByTime(60_000);
    vi.advanceTimersByTime(60_000);
    summary.stop();
    await vi.waitFor(() => expect(lines.length).toBe(1));
    expect(lines[0]).toMatchObject({
      msg: "authz refusals",
      refusals: 4,
      seconds: 60,
      reasons: { PROXY_TOKEN_INVALID: 3, NO_CREDENTIAL: 1 },
      clients: { acme: 3, beta: 1 },
    });
  });

  it("names the ten most refused clients and counts the rest together, however many ids callers invent", async () => {
    const summary = refusalSummary({ logger, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) summary.count("NO_CREDENTIAL", "top");
    for (let i = 0; i < 5000; i++) summary.count("NO_CREDENTIAL", `client-${i}`);
    summary.stop();
    await vi.waitFor(() => expect(lines.length).toBe(1));
    const clients = lines[0]?.clients as Record<string, number>;
    expect(Object.keys(clients)).toHaveLength(11);
    expect(clients.top).toBe(3);
    expect(Object.values(clients).reduce((a, b) => a + b, 0)).toBe(5003);
  });
});
