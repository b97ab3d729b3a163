import { memoryStore, testKeyring } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { recordIdentity } from "../src/crypto/envelope.js";
import { createEventBus } from "../src/index.js";
import { createRecords } from "../src/records/records.js";
import { createRegionRouter } from "../src/regions.js";
import { createTargetContext } from "../src/target/context.js";
import {
  openTokenState,
  sealTokenState,
  TOKEN_STATE_PURPOSE,
  type TokenState,
  tokenStateIdentity,
} from "../src/target/token-state.js";
import { storedRecord } from "./stored-record.js";

// A target credential's token state at rest (sealed, bound to its record and purpose) and the target
// context's tunables with their defaults.
const record = () => storedRecord({ credentialType: "target", authType: "oauth2" });

describe("sealTokenState and openTokenState", () => {
  const access = { token: "at-1", obtainedAt: 1, expiresAt: 2 };
  it.each<[string, TokenState]>([
    ["an access token", { access }],
    ["a refresh token", { refreshToken: "rt-1" }],
    ["a pending authorization", { pending: { stateHash: "k1.h", verifier: "v" } }],
    ["a failing refresh", { refreshFailing: { since: 5, errorClass: "UPSTREAM_ERROR" } }],
  ])("seals a state holding only %s, and opens it back", (_name, state) => {
    const keyring = testKeyring();
    const owner = record();
    const sealed = sealTokenState(keyring, owner, state);
    expect(sealed).toMatch(/^ck1\./);
    expect(openTokenState(keyring, { ...owner, tokenState: sealed })).toEqual(state);
  });

  it("stores an empty state as null, and opens a record without one as {}", () => {
    const keyring = testKeyring();
    expect(sealTokenState(keyring, record(), {})).toBeNull();
    expect(openTokenState(keyring, { ...record(), tokenState: null })).toEqual({});
  });

  it("binds the envelope to its record and to the token-state purpose", () => {
    const keyring = testKeyring();
    const owner = record();
    const sealed = sealTokenState(keyring, owner, { refreshToken: "rt-1" }) as string;
    expect(TOKEN_STATE_PURPOSE).toBe("token-state");
    expect(tokenStateIdentity(owner)).toEqual({ ...recordIdentity(owner), purpose: "token-state" });
    expect(JSON.parse(keyring.decrypt(sealed, { ...recordIdentity(owner), purpose: "token-state" }))).toEqual(
      {
        refreshToken: "rt-1",
      },
    );
    // Neither as the record's secret, nor in another record, does it open.
    expect(() => keyring.decrypt(sealed, recordIdentity(owner))).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
    expect(() => openTokenState(keyring, { ...record(), tokenState: sealed })).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });
});

describe("createTargetContext", () => {
  const records = createRecords({
    router: createRegionRouter({ "eu-west-1": memoryStore() }),
    keyring: testKeyring(),
    expiredRetentionMs: 0,
  });
  const fetch = (() => {
    throw new Error("no fetch in this test");
  }) as never;

  it("defaults the token tunables to 30 s of skew, a 5 min lifetime and a 15 s lease", () => {
    const ctx = createTargetContext({ records, fetch, now: () => 7 });
    expect(ctx).toMatchObject({ skewMs: 30_000, defaultTtlMs: 300_000, leaseTtlMs: 15_000 });
    expect(ctx.now()).toBe(7);
    expect(ctx.fetch).toBe(fetch);
    expect(ctx.router).toBe(records.router);
    // The default publisher has nobody to tell, and says so.
    expect(ctx.publisher.active).toBe(false);
    expect(() => ctx.publisher.tell(null)).not.toThrow();
  });

  it("takes each tunable and the publisher it is given", () => {
    const { publisher } = createEventBus();
    const ctx = createTargetContext({
      records,
      fetch,
      now: () => 7,
      publisher,
      tokens: { refreshSkewMs: 1, defaultTokenTtlMs: 2, leaseTtlMs: 3 },
    });
    expect(ctx).toMatchObject({ skewMs: 1, defaultTtlMs: 2, leaseTtlMs: 3 });
    expect(ctx.publisher).toBe(publisher);
    // A zero is a value, not "unset".
    const zero = createTargetContext({
      records,
      fetch,
      now: () => 7,
      tokens: { refreshSkewMs: 0, defaultTokenTtlMs: 0, leaseTtlMs: 0 },
    });
    expect(zero).toMatchObject({ skewMs: 0, defaultTtlMs: 0, leaseTtlMs: 0 });
  });
});
