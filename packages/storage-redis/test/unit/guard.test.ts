import { CredkitError, isCredkitError } from "@credkit/core";
import { describe, expect, it } from "vitest";
import { guardRedis } from "../../src/index.js";

// The one guard shared by the store and the server's Redis calls outside it (rate limit, idempotency).
describe("guardRedis", () => {
  it("returns the call's value", async () => {
    await expect(guardRedis("rate limit", async () => 7)).resolves.toBe(7);
  });

  it("turns a client failure into STORAGE_UNAVAILABLE naming `what`, with the failure as cause", async () => {
    const failure = new Error("Connection is closed.");
    for (const timeoutMs of [1000, 0]) {
      const error = await guardRedis("idempotency", () => Promise.reject(failure), timeoutMs).catch(
        (e: unknown) => e,
      );
      expect(isCredkitError(error, "STORAGE_UNAVAILABLE")).toBe(true);
      expect(error).toMatchObject({ cause: failure, retryAfterSeconds: 1 });
      expect((error as Error).message).toContain("idempotency");
    }
  });

  it("lets a CredkitError through untouched", async () => {
    const conflict = new CredkitError("CONFLICT", "taken");
    await expect(guardRedis("redis", () => Promise.reject(conflict))).rejects.toBe(conflict);
  });

  it("gives up on a call that never answers", async () => {
    const error = await guardRedis("rate limit", () => new Promise<never>(() => undefined), 1).catch(
      (e: unknown) => e,
    );
    expect(isCredkitError(error, "STORAGE_UNAVAILABLE")).toBe(true);
    expect(String((error as Error).cause)).toContain("No answer from Redis within 1 ms");
  });

  it("sets no timer with timeoutMs 0: a slow answer still arrives", async () => {
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve("late"), 20));
    await expect(guardRedis("rate limit", slow, 0)).resolves.toBe("late");
  });
});
