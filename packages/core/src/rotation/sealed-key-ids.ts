import type { Keyring } from "../crypto/keyring.js";
import type { StoredCredential } from "../record.js";
import type { CredentialStore } from "../storage.js";
import { envelopeFields } from "./envelope-fields.js";

/** Options of {@link unknownSealedKeyIds}. */
export interface SealedKeyIdsOptions {
  /** Records read from each store (its first scan page), 1–1000. Default 100. */
  sampleSize?: number;
}

/** The key ids a record's envelopes and lookup hash were made with. */
function keyIdsOf(keyring: Keyring, record: StoredCredential): string[] {
  const ids: string[] = [];
  for (const field of envelopeFields) {
    const envelope = record[field.name];
    if (typeof envelope !== "string") continue;
    try {
      ids.push(keyring.keyIdOf(envelope));
    } catch {
      // A malformed envelope is rotation's to report as a failure, not a missing key.
    }
  }
  // `<keyId>.<hash>`: a lookup hash of an unknown key is why a proxy credential is never found.
  const hashKeyId = record.lookupHash?.split(".")[0];
  if (hashKeyId) ids.push(hashKeyId);
  return ids;
}

/**
 * The key ids that a sample of the stores' records were sealed with and that `keyring` lacks, sorted;
 * empty when the keyring opens everything sampled. Reads the first scan page of each distinct store,
 * so the cost is one bounded read per store whatever its size. A keyring with the wrong id for the
 * right key (an embedded service's `{ id: "prod-1" }` beside a server's derived id) is caught here
 * rather than as `NO_CREDENTIAL` for every proxy request and `UNKNOWN_KEY` on every resolve.
 */
export async function unknownSealedKeyIds(
  keyring: Keyring,
  stores: Iterable<CredentialStore>,
  options: SealedKeyIdsOptions = {},
): Promise<string[]> {
  const limit = options.sampleSize ?? 100;
  const known = new Set(keyring.keyIds);
  const unknown = new Set<string>();
  for (const store of new Set(stores)) {
    const page = await store.scan({ limit });
    for (const record of page.items) {
      for (const id of keyIdsOf(keyring, record)) if (!known.has(id)) unknown.add(id);
    }
  }
  return [...unknown].sort();
}
