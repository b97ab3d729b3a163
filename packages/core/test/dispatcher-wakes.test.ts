import { memoryEventOutbox, testKeyring } from "@credkit/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createWebhookDispatcher, type EventOutbox } from "../src/index.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A started dispatcher (its poll far off: only wakes start passes) and how many passes claimed. */
async function started() {
  const inner = memoryEventOutbox();
  const passes = { count: 0 };
  // Every pass claims once: counting claims counts passes.
  const outbox: EventOutbox = Object.assign(Object.create(null), inner, {
    claim: (...args: Parameters<EventOutbox["claim"]>) => {
      passes.count++;
      return inner.claim(...args);
    },
  });
  const dispatcher = createWebhookDispatcher({
    outbox,
    keyring: testKeyring(),
    fetch: () => Promise.reject(new Error("nothing is delivered here")),
    pollMs: 600_000,
  });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  // The start's own pass.
  await vi.waitFor(() => expect(passes.count).toBe(1));
  return { dispatcher, passes };
}

/** Lets `turns` turns of the event loop go by (each after the immediates queued before it). */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("dispatcher wakes", () => {
  it("runs one pass for every wake of one turn of the event loop, after the turn", async () => {
    const { dispatcher, passes } = await started();
    // Ten callbacks of one turn, each waking on its own (as the requests of a busy server do), each
    // followed by its microtasks: a pass started at the first wake would be over before the second.
    const woken = Array.from(
      { length: 10 },
      () => new Promise<void>((resolve) => setImmediate(() => resolve(dispatcher.wake()))),
    );
    await Promise.all(woken);
    await vi.waitFor(() => expect(passes.count).toBe(2));
    await turns(5);
    expect(passes.count).toBe(2);
  });

  it("runs a pass for a wake of a later turn, and one after a pass that a wake came during", async () => {
    const { dispatcher, passes } = await started();
    dispatcher.wake();
    await vi.waitFor(() => expect(passes.count).toBe(2));
    dispatcher.wake();
    await vi.waitFor(() => expect(passes.count).toBe(3));
    // A wake while a pass runs: that pass is followed by one more, not by one per wake.
    dispatcher.wake();
    await turns(1);
    dispatcher.wake();
    dispatcher.wake();
    await vi.waitFor(() => expect(passes.count).toBeGreaterThanOrEqual(4));
    await turns(5);
    expect(passes.count).toBeLessThanOrEqual(5);
  });
});
