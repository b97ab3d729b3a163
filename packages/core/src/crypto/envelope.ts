import { createCipheriv, createDecipheriv, type KeyObject } from "node:crypto";
import { CredkitError } from "../errors.js";
import type { AuthType, CredentialType, StoredCredential } from "../record.js";
import { pooledRandomBytes } from "./random-pool.js";

/**
 * What a ciphertext is bound to through AES-GCM's additional authenticated data: moving an envelope to
 * another record (another client, id, type, auth type or region) makes it fail to decrypt.
 */
export interface RecordIdentity {
  clientId: string;
  credentialId: string;
  credentialType: CredentialType;
  authType: AuthType;
  region: string;
  /**
   * What the envelope holds when it is not the record's secret (e.g. `token-state`). It joins the AAD
   * only when set, so secret envelopes sealed before it existed still open, and an envelope of one
   * purpose never opens as another's.
   */
  purpose?: string;
}

/** The identity a record's secret is sealed to (its token state adds a `purpose`). */
export function recordIdentity(record: StoredCredential): RecordIdentity {
  return {
    clientId: record.clientId,
    credentialId: record.credentialId,
    credentialType: record.credentialType,
    authType: record.authType,
    region: record.region,
  };
}

/** The envelope format version written today. */
export const ENVELOPE_VERSION = "ck1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** True for a valid key id: 1–64 of `A-Z a-z 0-9 _ -` (no dots: the envelope uses them as separators). */
export function isValidKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

function aadFor(keyId: string, identity: RecordIdentity): Buffer {
  // JSON of an array: unambiguous field boundaries whatever characters the ids contain.
  const fields = [
    ENVELOPE_VERSION,
    keyId,
    identity.clientId,
    identity.credentialId,
    identity.credentialType,
    identity.authType,
    identity.region,
  ];
  if (identity.purpose !== undefined) fields.push(identity.purpose);
  return Buffer.from(JSON.stringify(fields));
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key` (a 32-byte secret KeyObject) and returns the envelope
 *
 * `ck1.<keyId>.<iv>.<ciphertext>.<tag>`
 *
 * where iv (12 random bytes, fresh per call), ciphertext and tag (16 bytes) are base64url without
 * padding. The AAD is the JSON array `["ck1", keyId, clientId, credentialId, credentialType, authType,
 * region]` (plus `purpose` when the identity has one), so the envelope only decrypts for the record (and
 * key id, and purpose) it was made for.
 */
export function sealEnvelope(
  key: KeyObject,
  keyId: string,
  plaintext: string,
  identity: RecordIdentity,
): string {
  const iv = pooledRandomBytes(IV_BYTES);
  // Stryker disable next-line ObjectLiteral: GCM's default tag is 16 bytes, the length asked for here
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(keyId, identity));
  // Stryker disable next-line StringLiteral: a string is encoded as UTF-8 when no encoding is given
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    ENVELOPE_VERSION,
    keyId,
    iv.toString("base64url"),
    ciphertext.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
  ].join(".");
}

/** The parts of an envelope string. Throws DECRYPTION_FAILED when it is not a `ck1` envelope. */
export function parseEnvelope(envelope: string): {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
} {
  const parts = envelope.split(".");
  const [version, keyId, iv, ciphertext, tag] = parts;
  if (
    parts.length !== 5 ||
    version !== ENVELOPE_VERSION ||
    // Stryker disable next-line ConditionalExpression: five parts are five strings; this is for the type checker
    keyId === undefined ||
    !isValidKeyId(keyId) ||
    // Stryker disable next-line ConditionalExpression: five parts are five strings; this is for the type checker
    iv === undefined ||
    // Stryker disable next-line ConditionalExpression: five parts are five strings; this is for the type checker
    ciphertext === undefined ||
    // Stryker disable next-line ConditionalExpression: five parts are five strings; this is for the type checker
    tag === undefined
  ) {
    throw new CredkitError("DECRYPTION_FAILED", "The stored secret is not a valid ck1 envelope");
  }
  return {
    keyId,
    iv: Buffer.from(iv, "base64url"),
    ciphertext: Buffer.from(ciphertext, "base64url"),
    tag: Buffer.from(tag, "base64url"),
  };
}

/** Decrypts an envelope made by {@link sealEnvelope}; DECRYPTION_FAILED on any tampering or mismatch. */
export function openEnvelope(key: KeyObject, envelope: string, identity: RecordIdentity): string {
  const { keyId, iv, ciphertext, tag } = parseEnvelope(envelope);
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new CredkitError("DECRYPTION_FAILED", "The stored secret envelope is malformed");
  }
  try {
    // Stryker disable next-line ObjectLiteral: the length check above already refused any other tag length
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(keyId, identity));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (cause) {
    throw new CredkitError(
      "DECRYPTION_FAILED",
      "The stored secret failed authentication: it was altered, moved to another record, or sealed with another key",
      { cause },
    );
  }
}

/**
 * Parses the plaintext of an envelope that holds JSON (a record's secret, its token state). A value that
 * opens but is not JSON cannot be read any more than a damaged envelope: DECRYPTION_FAILED, like it. The
 * parser's error is not kept as the cause: its message quotes the plaintext, a secret.
 */
export function parseOpenedJson(plaintext: string): unknown {
  try {
    return JSON.parse(plaintext);
  } catch {
    throw new CredkitError("DECRYPTION_FAILED", "The stored secret opened, but does not hold JSON");
  }
}
