import { describe, expect, it } from "vitest";
import {
  credentialExpired,
  DEFAULT_EXPIRED_RETENTION_MS,
  isLifetimeOver,
  refusedFrom,
  retainedUntil,
} from "../src/records/lifetime.js";

// The lifetime rules alone, at their boundaries (the service's use of them is in lifetime.test.ts).
const NOW = 1_000_000;

describe("the lifetime rules", () => {
  it("end a lifetime at lifetimeEndsAt exactly; none without one", () => {
    expect(isLifetimeOver({ lifetimeEndsAt: NOW }, NOW)).toBe(true);
    expect(isLifetimeOver({ lifetimeEndsAt: NOW - 1 }, NOW)).toBe(true);
    expect(isLifetimeOver({ lifetimeEndsAt: NOW + 1 }, NOW)).toBe(false);
    expect(isLifetimeOver({ lifetimeEndsAt: 0 }, NOW)).toBe(true);
    expect(isLifetimeOver({ lifetimeEndsAt: null }, NOW)).toBe(false);
    expect(isLifetimeOver({}, NOW)).toBe(false);
    // null is not 0: a record without a lifetime is never over, even at the epoch.
    expect(isLifetimeOver({ lifetimeEndsAt: null }, 0)).toBe(false);
    expect(isLifetimeOver({}, 0)).toBe(false);
  });

  it("keep an expired record for the retention after its end, and one without a lifetime forever", () => {
    expect(DEFAULT_EXPIRED_RETENTION_MS).toBe(30 * 24 * 60 * 60 * 1000);
    expect(retainedUntil(NOW, 500)).toBe(NOW + 500);
    expect(retainedUntil(0, 500)).toBe(500);
    expect(retainedUntil(null, 500)).toBeNull();
    expect(retainedUntil(undefined, 500)).toBeNull();
  });

  it("refuse a record from its lifetime's end or its pending deadline, the earlier", () => {
    expect(refusedFrom({ lifetimeEndsAt: 10, expiresAt: 20 })).toBe(10);
    expect(refusedFrom({ lifetimeEndsAt: 20, expiresAt: 10 })).toBe(10);
    expect(refusedFrom({ lifetimeEndsAt: 10, expiresAt: null })).toBe(10);
    expect(refusedFrom({ expiresAt: null })).toBeNull();
    expect(refusedFrom({ lifetimeEndsAt: null, expiresAt: 20 })).toBe(20);
    expect(refusedFrom({ expiresAt: 20 })).toBe(20);
    expect(refusedFrom({ lifetimeEndsAt: 0, expiresAt: 20 })).toBe(0);
  });

  it("answer a use of an expired credential with CREDENTIAL_EXPIRED naming the instant", () => {
    const error = credentialExpired({ credentialId: "eu-west-1.a", lifetimeEndsAt: NOW });
    expect(error).toMatchObject({ code: "CREDENTIAL_EXPIRED" });
    expect(error.message).toContain(new Date(NOW).toISOString());
  });
});
