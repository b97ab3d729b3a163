import { EventEmitter } from "node:events";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { reconnectAfterFailover } from "../src/index.js";
import { standaloneClient } from "./clients.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A client that only counts `connect()` calls: ending it is an "end" event, as ioredis emits it. */
function fakeClient(connect: () => Promise<void> = async () => undefined) {
  const emitter = new EventEmitter();
  const calls = { connect: 0 };
  const client = Object.assign(emitter, {
    connect: () => {
      calls.connect++;
      return connect();
    },
  });
  return { client: client as unknown as Redis, end: () => emitter.emit("end"), calls, emitter };
}

describe("reconnectAfterFailover", () => {
  it("connects an ended client again on a real server, which then answers", async () => {
    // No retry strategy: a killed connection ends the client for good, as the Sentinel race does.
    const ending = new Redis(inject("redisUrl"), { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    ending.on("error", () => {}); // the killed connection is the point
    const stop = reconnectAfterFailover(ending);
    cleanups.push(() => ending.disconnect());
    cleanups.push(stop);
    await ending.ping();
    const id = await ending.client("ID");
    const admin = standaloneClient();
    cleanups.push(() => admin.disconnect());
    const ended = new Promise((resolve) => ending.once("end", resolve));
    const ready = new Promise((resolve) => ending.once("ready", resolve));
    await admin.client("KILL", "ID", String(id));
    await ended;
    await ready;
    expect(await ending.ping()).toBe("PONG");
    expect(await ending.client("ID")).not.toBe(id);
  });

  it("connects 100 ms after the end, once however many ends arrive meanwhile, and again after a later end", async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    cleanups.push(reconnectAfterFailover(fake.client));
    fake.end();
    fake.end();
    vi.advanceTimersByTime(99);
    expect(fake.calls.connect).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fake.calls.connect).toBe(1);
    fake.end();
    vi.advanceTimersByTime(100);
    expect(fake.calls.connect).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(fake.calls.connect).toBe(2);
  });

  it("swallows a failed attempt: the client's next end brings the next attempt", async () => {
    vi.useFakeTimers();
    const failure = new Error("Connection is closed.");
    const fake = fakeClient(() => Promise.reject(failure));
    cleanups.push(reconnectAfterFailover(fake.client));
    fake.end();
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.calls.connect).toBe(1);
    fake.end();
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.calls.connect).toBe(2);
  });

  it("stops: a pending attempt is cancelled, later ends are ignored, the listener is removed", async () => {
    vi.useFakeTimers();
    const fake = fakeClient();
    const stop = reconnectAfterFailover(fake.client);
    expect(fake.emitter.listenerCount("end")).toBe(1);
    fake.end();
    stop();
    vi.advanceTimersByTime(1000);
    expect(fake.calls.connect).toBe(0);
    expect(fake.emitter.listenerCount("end")).toBe(0);
    fake.end();
    vi.advanceTimersByTime(1000);
    expect(fake.calls.connect).toBe(0);
  });
});
