import { parseOpenedJson } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import { CredkitError } from "../errors.js";
import { lookupValueOf } from "../lookup.js";
import type { StoredCredential } from "../record.js";
import { envelopeFields, unlistedEnvelopeFields } from "./envelope-fields.js";

/**
 * True when some envelope of `record` (a listed envelope field, or any other string field that looks like
 * one), or its lookup hash, is not under the keyring's active key.
 */
export function needsReencryption(record: StoredCredential, keyring: Keyring): boolean {
  const active = keyring.activeKeyId;
  if (record.lookupHash !== null && !record.lookupHash.startsWith(`${active}.`)) return true;
  const fields = [...envelopeFields.map((field) => field.name), ...unlistedEnvelopeFields(record)];
  return fields.some((name) => {
    const envelope = (record as unknown as Record<string, unknown>)[name];
    return typeof envelope === "string" && keyring.keyIdOf(envelope) !== active;
  });
}

/**
 * The next version of `record` with every envelope re-sealed under the active key (same plaintext, same
 * AAD identity) and the lookup hash recomputed with it. `updatedAt` is kept on purpose: re-encryption is
 * not a change a user made, and clients that watch `credentialUpdatedAt` must not see one. `version`
 * still grows by one, so a concurrent user write is detected by compare-and-set and never lost.
 * Throws UNKNOWN_KEY / DECRYPTION_FAILED when an envelope cannot be opened with this keyring.
 */
export function resealRecord(record: StoredCredential, keyring: Keyring): StoredCredential {
  const unlisted = unlistedEnvelopeFields(record);
  if (unlisted.length > 0) {
    throw new CredkitError(
      "INTERNAL",
      `The record has envelope fields re-encryption does not know (${unlisted.join(", ")}); refusing to leave them under an old key`,
    );
  }
  const next: StoredCredential = { ...record, version: record.version + 1 };
  let secretPlaintext: string | null = null;
  for (const field of envelopeFields) {
    const envelope = record[field.name];
    if (typeof envelope !== "string") continue;
    const identity = field.identity(record);
    const plaintext = keyring.decrypt(envelope, identity);
    if (field.name === "secret") secretPlaintext = plaintext;
    next[field.name] = keyring.encrypt(plaintext, identity);
  }
  // The lookup value is derived from the secret exactly as the service derives it when it seals one.
  const secret: unknown = secretPlaintext === null ? {} : parseOpenedJson(secretPlaintext);
  const lookupValue = lookupValueOf(record.credentialType, record.authType, secret);
  next.lookupHash = lookupValue === null ? null : keyring.lookupHash(lookupValue);
  return next;
}
