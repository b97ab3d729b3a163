import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { accept } from "../src/proxy/accept.js";
import { storedRecord } from "./stored-record.js";

// accept, the last check every matched credential passes, on its own: the lookups before it already
// keep target and temporary records out and the stores drop expired ones, so only a direct call shows
// that this layer refuses them too (a near-cache hit, a store that returns what it should not).
const store = memoryStore();
const NOW = 1_000_000;
const at = (ms: number) => () => ms;

describe("accept", () => {
  it("passes a permanent, live, allowed proxy credential, marking it degraded when told", async () => {
    const record = storedRecord();
    expect(await accept({ record, store }, false, at(NOW))).toEqual({
      ok: true,
      record,
      degraded: false,
      consumed: false,
    });
    expect(await accept({ record, store }, true, at(NOW))).toEqual({
      ok: true,
      record,
      degraded: true,
      consumed: false,
    });
  });

  it("refuses a target credential and a temporary one as INVALID", async () => {
    expect(
      await accept({ record: storedRecord({ credentialType: "target" }), store }, false, at(NOW)),
    ).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(await accept({ record: storedRecord({ temporary: true }), store }, false, at(NOW))).toEqual({
      ok: false,
      reason: "INVALID",
    });
  });

  it("refuses a credential from the instant its lifetime ends, not a millisecond before", async () => {
    const record = storedRecord({ lifetimeEndsAt: NOW });
    expect(await accept({ record, store }, false, at(NOW - 1))).toMatchObject({ ok: true });
    expect(await accept({ record, store }, false, at(NOW))).toEqual({ ok: false, reason: "EXPIRED" });
    // Expired before denied: the reason says what would have to change first.
    const denied = storedRecord({ lifetimeEndsAt: NOW, defaultRuleEffect: "deny" });
    expect(await accept({ record: denied, store }, false, at(NOW))).toEqual({ ok: false, reason: "EXPIRED" });
    expect(await accept({ record: denied, store }, false, at(NOW - 1))).toEqual({
      ok: false,
      reason: "DENIED",
    });
  });

  it("reads the clock only for a credential whose lifetime can end", async () => {
    let reads = 0;
    const clock = () => {
      reads++;
      return NOW;
    };
    expect(
      await accept({ record: storedRecord({ lifetimeEndsAt: null }), store }, false, clock),
    ).toMatchObject({
      ok: true,
    });
    expect(reads).toBe(0);
    expect(await accept({ record: storedRecord({ lifetimeEndsAt: NOW }), store }, false, clock)).toEqual({
      ok: false,
      reason: "EXPIRED",
    });
    expect(reads).toBe(1);
  });

  it("spends a single-use credential in its store: the winner passes (consumed), a loser is INVALID", async () => {
    const record = storedRecord({ singleUse: true });
    let asked = 0;
    const once: CredentialStore = {
      ...store,
      consume: async (clientId, credentialId) => {
        asked++;
        expect([clientId, credentialId]).toEqual([record.clientId, record.credentialId]);
        return asked === 1 ? record : null;
      },
    };
    expect(await accept({ record, store: once }, true, at(NOW))).toEqual({
      ok: true,
      record,
      degraded: true,
      consumed: true,
      event: null, // nobody listens: no event drafted
    });
    expect(await accept({ record, store: once }, false, at(NOW))).toEqual({ ok: false, reason: "INVALID" });
    expect(asked).toBe(2);
  });

  it("tells the spend's listeners only when its consume won", async () => {
    const record = storedRecord({ singleUse: true });
    let wins = 1;
    const once: CredentialStore = { ...store, consume: async () => (wins-- > 0 ? record : null) };
    const told: string[] = [];
    const spend = () => ({ event: null, carried: undefined, tell: () => told.push(record.credentialId) });
    expect(await accept({ record, store: once }, false, at(NOW), spend)).toMatchObject({ consumed: true });
    expect(told).toEqual([record.credentialId]);
    expect(await accept({ record, store: once }, false, at(NOW), spend)).toEqual({
      ok: false,
      reason: "INVALID",
    });
    expect(told).toEqual([record.credentialId]);
  });
});
