import type { RecordIdentity } from "../crypto/envelope.js";
import { ENVELOPE_VERSION, recordIdentity } from "../crypto/envelope.js";
import type { StoredCredential } from "../record.js";
import { tokenStateIdentity } from "../target/token-state.js";

/** A field of {@link StoredCredential} that holds an encrypted envelope, and what its AAD binds it to. */
export interface EnvelopeField {
  name: "secret" | "tokenState";
  /** The identity the envelope was sealed with (it must be re-sealed with the same one). */
  identity(record: StoredCredential): RecordIdentity;
}

/**
 * Every envelope-valued field a record has. Re-encryption re-seals each of them; a field added to
 * StoredCredential that holds an envelope must be listed here, or rotation reports the record as failed
 * (see {@link unlistedEnvelopeFields}) instead of silently leaving it under the old key.
 */
export const envelopeFields: readonly EnvelopeField[] = [
  { name: "secret", identity: recordIdentity },
  // Sealed with the `token-state` purpose in its AAD, so it is re-sealed with that same identity.
  { name: "tokenState", identity: tokenStateIdentity },
];

const listed = new Set<string>(envelopeFields.map((field) => field.name));
const ENVELOPE_PREFIX = `${ENVELOPE_VERSION}.`;

/** Names of string fields that look like envelopes but are not in {@link envelopeFields}. */
export function unlistedEnvelopeFields(record: StoredCredential): string[] {
  return Object.entries(record)
    .filter(
      ([name, value]) => !listed.has(name) && typeof value === "string" && value.startsWith(ENVELOPE_PREFIX),
    )
    .map(([name]) => name);
}
