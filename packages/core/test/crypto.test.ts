import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createKeyring,
  decodeMasterKey,
  generateMasterKey,
  keyIdFor,
  loadKeyring,
  type RecordIdentity,
  staticKeySource,
} from "../src/index.js";

const identity: RecordIdentity = {
  clientId: "acme",
  credentialId: "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA",
  credentialType: "target",
  authType: "bearer",
  region: "eu-west-1",
};
const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const secret = JSON.stringify({ token: "tok-3f1b0c9e-secret" });

/** Flips one bit in the base64url part `index` (2 = iv, 3 = ciphertext, 4 = tag) of an envelope. */
function flipBit(envelope: string, index: number): string {
  const parts = envelope.split(".");
  const bytes = Buffer.from(parts[index] as string, "base64url");
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("envelope crypto", () => {
  const ring = createKeyring({ activeKeyId: "k1", keys: [k1, k2] });

  it("round-trips and never contains the plaintext", () => {
    const envelope = ring.encrypt(secret, identity);
    expect(envelope).toMatch(/^ck1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(envelope).not.toContain("tok-3f1b0c9e");
    expect(ring.decrypt(envelope, identity)).toBe(secret);
  });

  it("uses a fresh IV for every encryption", () => {
    const a = ring.encrypt(secret, identity).split(".")[2];
    const b = ring.encrypt(secret, identity).split(".")[2];
    expect(a).not.toBe(b);
  });

  it.each([
    [2, "iv"],
    [3, "ciphertext"],
    [4, "tag"],
  ])("fails when one bit of the %s part (%s) is flipped", (index) => {
    const tampered = flipBit(ring.encrypt(secret, identity), index);
    expect(() => ring.decrypt(tampered, identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it.each([
    ["clientId", { clientId: "other" }],
    ["credentialId", { credentialId: "eu-west-1.BBBBBBBBBBBBBBBBBBBBBB" }],
    ["credentialType", { credentialType: "proxy" }],
    ["authType", { authType: "jwt" }],
    ["region", { region: "us-east-1" }],
  ] as const)("fails when the envelope is moved to a record with another %s", (_field, change) => {
    const envelope = ring.encrypt(secret, identity);
    expect(() => ring.decrypt(envelope, { ...identity, ...change })).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it("fails when the key id in the envelope is swapped for another known key", () => {
    const envelope = ring.encrypt(secret, identity).replace(/^ck1\.k1\./, "ck1.k2.");
    expect(() => ring.decrypt(envelope, identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it("names an unknown key id clearly", () => {
    const other = createKeyring({ activeKeyId: "k9", keys: [{ id: "k9", key: randomBytes(32) }] });
    const envelope = other.encrypt(secret, identity);
    expect(() => ring.decrypt(envelope, identity)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_KEY", message: expect.stringContaining('"k9"') }),
    );
  });

  it("rejects what is not an envelope", () => {
    expect(() => ring.decrypt("plain text", identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
    expect(() => ring.decrypt("ck2.k1.a.b.c", identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it("decrypts by the envelope's key id after the active key changes", () => {
    const old = ring.encrypt(secret, identity);
    const rotated = createKeyring({ activeKeyId: "k2", keys: [k1, k2] });
    expect(rotated.decrypt(old, identity)).toBe(secret);
    expect(rotated.keyIdOf(rotated.encrypt(secret, identity))).toBe("k2");
  });
});

describe("envelope purpose", () => {
  const ring = createKeyring({ activeKeyId: "k1", keys: [k1] });
  const tokenState = { ...identity, purpose: "token-state" };

  it("binds an envelope to its purpose: a secret never opens as token state, nor the reverse", () => {
    const sealedSecret = ring.encrypt(secret, identity);
    const sealedState = ring.encrypt(secret, tokenState);
    expect(ring.decrypt(sealedState, tokenState)).toBe(secret);
    expect(() => ring.decrypt(sealedSecret, tokenState)).toThrow(/failed authentication/);
    expect(() => ring.decrypt(sealedState, identity)).toThrow(/failed authentication/);
    expect(() => ring.decrypt(sealedState, { ...tokenState, purpose: "other" })).toThrow(
      /failed authentication/,
    );
  });
});

describe("keyring", () => {
  it("checks key length, ids, duplicates and the active key", () => {
    expect(() => createKeyring({ activeKeyId: "a", keys: [{ id: "a", key: randomBytes(16) }] })).toThrow(
      /exactly 32/,
    );
    expect(() => createKeyring({ activeKeyId: "a.b", keys: [{ id: "a.b", key: randomBytes(32) }] })).toThrow(
      /invalid/,
    );
    expect(() => createKeyring({ activeKeyId: "a", keys: [k1, { ...k1 }] })).toThrow(/twice/);
    expect(() => createKeyring({ activeKeyId: "zz", keys: [k1] })).toThrow(/not in the keyring/);
    expect(() => createKeyring({ activeKeyId: "k1", keys: [] })).toThrow(/no keys/);
  });

  it("makes lookup hashes keyed by every key, active first, stable for one key", () => {
    const ring = createKeyring({ activeKeyId: "k2", keys: [k1, k2] });
    const [active, older] = ring.lookupHashes("bearer\nabc");
    expect(active).toBe(ring.lookupHash("bearer\nabc"));
    expect(active?.startsWith("k2.")).toBe(true);
    expect(older?.startsWith("k1.")).toBe(true);
    expect(createKeyring({ activeKeyId: "k1", keys: [k1] }).lookupHash("bearer\nabc")).toBe(older);
    expect(ring.lookupHash("bearer\nabd")).not.toBe(active);
  });

  it("computes lookup hashes as createHmac does, whatever the value's length and characters", () => {
    const ring = createKeyring({ activeKeyId: "k1", keys: [k1] });
    const subkey = Buffer.from(hkdfSync("sha256", k1.key, Buffer.alloc(0), "credkit/lookup/v1", 32));
    const expected = (value: string) =>
      `k1.${createHmac("sha256", subkey).update(value).digest("base64url")}`;
    const values = [
      "",
      "a",
      // Around SHA-256's block and its padding.
      ..."55 56 63 64 65 119 120 128".split(" ").map((n) => "x".repeat(Number(n))),
      "é€😀",
      "lone \uD800 surrogate \uDC00",
      // At, and one past, the most a value can take without createHmac (3 UTF-8 bytes per unit).
      "€".repeat(16 * 1024),
      "€".repeat(16 * 1024 + 1),
      "y".repeat(100_000),
      // After long values, a short one: nothing of theirs is left to change its hash.
      "short",
    ];
    for (const value of values) expect(ring.lookupHash(value), value.slice(0, 24)).toBe(expected(value));
  });

  it("decodes master keys and derives stable ids", () => {
    const { id, key } = generateMasterKey();
    const decoded = decodeMasterKey(key);
    expect(decoded).toHaveLength(32);
    expect(keyIdFor(decoded)).toBe(id);
    expect(() => decodeMasterKey(randomBytes(31).toString("base64"))).toThrow(/31 bytes/);
    expect(() => decodeMasterKey("not base64!")).toThrow(/not base64/);
  });

  it("refuses every bad key set as CONFIGURATION_ERROR", () => {
    const refusals = [
      () => createKeyring({ activeKeyId: "a", keys: [{ id: "a", key: randomBytes(16) }] }),
      () => createKeyring({ activeKeyId: "a.b", keys: [{ id: "a.b", key: randomBytes(32) }] }),
      () => createKeyring({ activeKeyId: "a", keys: [k1, { ...k1 }] }),
      () => createKeyring({ activeKeyId: "zz", keys: [k1] }),
      () => createKeyring({ activeKeyId: "k1", keys: [] }),
      () => decodeMasterKey(randomBytes(31).toString("base64")),
      () => decodeMasterKey("not base64!"),
      // One character outside the alphabet before valid base64 of 32 bytes: not base64 either.
      () => decodeMasterKey(`*${randomBytes(32).toString("base64")}`),
    ];
    for (const refusal of refusals)
      expect(refusal).toThrow(expect.objectContaining({ code: "CONFIGURATION_ERROR" }));
    expect(() => decodeMasterKey("%%")).toThrow("the master key is not base64");
    expect(() => decodeMasterKey("%%", "CREDKIT_MASTER_KEY")).toThrow("CREDKIT_MASTER_KEY is not base64");
  });

  it("decodes a key in either base64 alphabet, around white space (as read from a file)", () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i)); // bytes that need + / - _
    expect(Buffer.from(decodeMasterKey(`  ${key.toString("base64")}\n`))).toEqual(key);
    expect(Buffer.from(decodeMasterKey(key.toString("base64url")))).toEqual(key);
  });

  it("lists its key ids active first, and loads from a key source", async () => {
    expect(createKeyring({ activeKeyId: "k2", keys: [k1, k2] }).keyIds).toEqual(["k2", "k1"]);
    const loaded = await loadKeyring(staticKeySource({ activeKeyId: "k1", keys: [k1, k2] }));
    expect(loaded.keyIds).toEqual(["k1", "k2"]);
    expect(loaded.decrypt(loaded.encrypt("x", identity), identity)).toBe("x");
  });
});
