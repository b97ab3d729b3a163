import { admin, memoryStore, targetService } from "@credkit/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { useMockOAuth } from "./oauth-fixture.js";

// The waiter's backoff between polls of the record, pinned exactly without waiting for it: the pauses
// it asks for are recorded (and return at once), and the jitter is fixed. A backoff that shrinks,
// starts at its cap or subtracts its jitter polls the store in a busy loop or far too late.
const pauses = vi.hoisted(() => [] as number[]);
vi.mock("node:timers/promises", async (original) => ({
  ...(await original<typeof import("node:timers/promises")>()),
  setTimeout: async (ms: number) => {
    pauses.push(ms);
  },
}));

const mock = useMockOAuth();
afterEach(() => {
  vi.restoreAllMocks();
  pauses.length = 0;
});

describe("waiting for the lease holder", () => {
  it("doubles its pause from 10 ms to at most 200 ms, plus up to as much again of jitter", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const shared = memoryStore();
    let refusals = 0;
    // The lease is held elsewhere for eight attempts, then free.
    const store: CredentialStore = {
      ...shared,
      acquireLease: async (name, owner, ttlMs) => ++refusals > 8 && shared.acquireLease(name, owner, ttlMs),
    };
    const { service, clientId } = targetService({ store });
    const created = await service.create(admin, clientId, mock.clientCredentials());
    const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(auth.headers.Authorization).toMatch(/^Bearer /);
    // 10, 20, 40, 80, 160, then the 200 ms cap, each plus half of itself (Math.random() = 0.5).
    expect(pauses).toEqual([15, 30, 60, 120, 240, 300, 300, 300]);
  });
});
