import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../src/errors.js";
import { retryDelay, retryPolicy, sleep } from "../src/retry.js";

describe("retry policy", () => {
  const policy = retryPolicy({ retries: 3, baseDelayMs: 100, maxDelayMs: 1_000 });

  it("honours Retry-After up to maxDelayMs, and gives up beyond it", () => {
    expect(retryDelay(policy, 1, 0)).toBe(0);
    expect(retryDelay(policy, 1, 1)).toBe(1_000);
    expect(retryDelay(policy, 1, 2)).toBeNull();
  });

  it("backs off exponentially with jitter, within [ceiling/2, ceiling], and stops after `retries`", () => {
    expect(retryDelay(policy, 1, undefined, () => 0)).toBe(50);
    expect(retryDelay(policy, 1, undefined, () => 1)).toBe(100);
    expect(retryDelay(policy, 3, undefined, () => 1)).toBe(400);
    expect(retryDelay(policy, 3, undefined, () => 0)).toBe(200);
    expect(
      retryDelay(retryPolicy({ retries: 9, baseDelayMs: 100, maxDelayMs: 1_000 }), 9, undefined, () => 1),
    ).toBe(1_000);
    expect(retryDelay(policy, 4, undefined)).toBeNull();
    expect(retryDelay(retryPolicy(false), 1, 0)).toBeNull();
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("stops waiting as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
  });
});
