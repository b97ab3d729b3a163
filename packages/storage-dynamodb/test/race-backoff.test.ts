import { afterEach, describe, expect, it, vi } from "vitest";
import { raceBackoff, storeName } from "../src/context.js";

// The wait before a retry, on a fake clock with a fixed draw of the jitter: 5 ms plus up to 20 ms per
// attempt so far. No real time passes; the test reads when the promise settles.
describe("the backoff after a lost race", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  async function waitOf(attempt: number, draw: number): Promise<number> {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    vi.spyOn(Math, "random").mockReturnValue(draw);
    let done = false;
    void raceBackoff(attempt).then(() => {
      done = true;
    });
    let waited = 0;
    while (!done && waited < 1_000) {
      await vi.advanceTimersByTimeAsync(1);
      waited++;
    }
    return waited;
  }

  it("waits 5 ms plus the jitter's share of 20 ms for each attempt", async () => {
    expect(await waitOf(0, 0)).toBe(5);
    expect(await waitOf(2, 0.5)).toBe(35);
    expect(await waitOf(4, 0.9)).toBe(95);
  });

  it("names the store as errors and metrics do", () => {
    expect(storeName).toBe("dynamodb");
  });
});
