import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseOpenedJson } from "../src/crypto/envelope.js";
import {
  createKeyring,
  decodeMasterKey,
  ENVELOPE_VERSION,
  isValidKeyId,
  keyIdFor,
  parseEnvelope,
  type RecordIdentity,
} from "../src/index.js";

// Known answers for everything written into stored data: a change to the key-id derivation, the HKDF
// labels, the AAD layout or the lookup-hash format would make every stored record unreadable after an
// upgrade, so each is pinned to a value computed once and never recomputed.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)); // 00 01 02 … 1f
const identity: RecordIdentity = {
  clientId: "acme",
  credentialId: "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA",
  credentialType: "target",
  authType: "bearer",
  region: "eu-west-1",
};
// Made in each test, not at import: a keyring that fails to build must fail tests, not the file's load.
const keyring = () => createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: KEY }] });
const SEALED = "ck1.k1.R29LDX03F_li7RzX.1OpBtBT85hrX8RdOOcpw.8SU8gJbxvOYZ-m_qzxcYNw";
const SEALED_TOKEN_STATE = "ck1.k1.LkOi3LUWpuvUuoqH.sR42M3y_daI7-2AzEVaM.M1DNmjFA8KubYithDKG2Cg";

/** The envelope with part `index` replaced. */
function withPart(envelope: string, index: number, value: string): string {
  const parts = envelope.split(".");
  parts[index] = value;
  return parts.join(".");
}

describe("known answers for stored data", () => {
  it("derives key ids from the key bytes", () => {
    expect(keyIdFor(KEY)).toBe("kqgl7N0EQ9F");
    expect(keyIdFor(Buffer.alloc(32, 0xab))).toBe("k0FS9SKKnqM");
    expect(keyIdFor(decodeMasterKey(KEY.toString("base64")))).toBe("kqgl7N0EQ9F");
    expect(keyIdFor(decodeMasterKey(KEY.toString("base64url")))).toBe("kqgl7N0EQ9F");
  });

  it("opens an envelope sealed by an earlier release", () => {
    expect(keyring().decrypt(SEALED, identity)).toBe('{"token":"kat"}');
    expect(keyring().decrypt(SEALED_TOKEN_STATE, { ...identity, purpose: "token-state" })).toBe(
      '{"token":"kat"}',
    );
    expect(keyring().keyIdOf(SEALED)).toBe("k1");
  });

  it("seals in the ck1.<keyId>.<iv>.<ct>.<tag> format", () => {
    const sealed = keyring().encrypt('{"token":"kat"}', identity);
    expect(sealed).toMatch(/^ck1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{22}$/);
    expect(ENVELOPE_VERSION).toBe("ck1");
    const parsed = parseEnvelope(sealed);
    expect(parsed.keyId).toBe("k1");
    expect(parsed.iv).toHaveLength(12);
    expect(parsed.ciphertext).toHaveLength(15);
    expect(parsed.tag).toHaveLength(16);
  });

  it("computes lookup hashes as <keyId>.<HMAC-SHA256 base64url>", () => {
    expect(keyring().lookupHash("bearer\nabc")).toBe("k1.Ey-1Uqilhlb0OLjZOHSa48CJCiQB3oYhW2N27dQKkL0");
    expect(keyring().lookupHashes("bearer\nabc")).toEqual(["k1.Ey-1Uqilhlb0OLjZOHSa48CJCiQB3oYhW2N27dQKkL0"]);
  });

  it("binds every identity field into the AAD", () => {
    for (const change of [
      { clientId: "acme2" },
      { credentialId: "eu-west-1.AAAAAAAAAAAAAAAAAAAAAB" },
      { credentialType: "proxy" as const },
      { authType: "apiKey" as const },
      { region: "us-east-1" },
      { purpose: "token-state" },
    ])
      expect(() => keyring().decrypt(SEALED, { ...identity, ...change }), JSON.stringify(change)).toThrow(
        /failed authentication/,
      );
  });
});

describe("envelope parsing", () => {
  it("refuses another version, another part count, a bad key id or an empty part", () => {
    for (const bad of [
      withPart(SEALED, 0, "ck2"),
      withPart(SEALED, 0, "CK1"),
      `${SEALED}.extra`,
      SEALED.split(".").slice(0, 4).join("."),
      withPart(SEALED, 1, ""),
      withPart(SEALED, 1, "k!"),
      withPart(SEALED, 1, "k".repeat(65)),
      "",
    ])
      expect(() => parseEnvelope(bad), bad).toThrow(/not a valid ck1 envelope/);
    expect(() => keyring().decrypt(withPart(SEALED, 0, "ck2"), identity)).toThrow(/not a valid ck1 envelope/);
    expect(() => keyring().decrypt(`${SEALED}.AAAA`, identity)).toThrow(/not a valid ck1 envelope/);
  });

  it("takes key ids of 1 to 64 characters of A-Z a-z 0-9 _ -", () => {
    expect(isValidKeyId("a")).toBe(true);
    expect(isValidKeyId("k".repeat(64))).toBe(true);
    expect(isValidKeyId("Az09_-")).toBe(true);
    for (const bad of ["", "k".repeat(65), "a.b", "a b", "ä", "a\n", "\na"])
      expect(isValidKeyId(bad), bad).toBe(false);
  });
});

describe("GCM tag and IV lengths", () => {
  const tag = Buffer.from(SEALED.split(".")[4] as string, "base64url");
  const iv = Buffer.from(SEALED.split(".")[2] as string, "base64url");

  it("refuses a truncated 12-byte tag as malformed, before GCM sees it", () => {
    // GCM itself would accept a 12-byte prefix of the right tag without authTagLength: the explicit
    // length check is what refuses it, and says so.
    const truncated = withPart(SEALED, 4, tag.subarray(0, 12).toString("base64url"));
    expect(() => keyring().decrypt(truncated, identity)).toThrow(/envelope is malformed/);
    expect(() => keyring().decrypt(truncated, identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
    const long = withPart(SEALED, 4, Buffer.concat([tag, Buffer.alloc(1)]).toString("base64url"));
    expect(() => keyring().decrypt(long, identity)).toThrow(/envelope is malformed/);
  });

  it("refuses an IV of another length as malformed", () => {
    for (const other of [iv.subarray(0, 11), Buffer.concat([iv, Buffer.alloc(1)]), randomBytes(16)])
      expect(() => keyring().decrypt(withPart(SEALED, 2, other.toString("base64url")), identity)).toThrow(
        /envelope is malformed/,
      );
  });

  it("refuses a tag of the right length that does not authenticate, keeping GCM's error as the cause", () => {
    const wrong = Buffer.from(tag);
    wrong[15] = (wrong[15] as number) ^ 1;
    expect(() => keyring().decrypt(withPart(SEALED, 4, wrong.toString("base64url")), identity)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED", cause: expect.any(Error) }),
    );
    expect(() => keyring().decrypt(withPart(SEALED, 4, wrong.toString("base64url")), identity)).toThrow(
      /failed authentication/,
    );
  });
});

describe("parseOpenedJson", () => {
  it("parses what an envelope holds, and calls anything else DECRYPTION_FAILED without quoting it", () => {
    expect(parseOpenedJson('{"keyValue":"k"}')).toEqual({ keyValue: "k" });
    expect(parseOpenedJson("[]")).toEqual([]);
    for (const text of ["", "SECRET-PLAINTEXT", '{"keyValue":"SECRET-PLAINTEXT"']) {
      const failure = (() => {
        try {
          parseOpenedJson(text);
        } catch (error) {
          return error as Error & { code?: string };
        }
        return null;
      })();
      expect(failure).toMatchObject({ name: "CredkitError", code: "DECRYPTION_FAILED" });
      expect(failure?.message).not.toContain("SECRET-PLAINTEXT");
      expect(failure?.cause).toBeUndefined();
    }
  });
});
