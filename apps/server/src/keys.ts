import {
  type CredentialStore,
  CredkitError,
  createKeyring,
  decodeMasterKey,
  generateMasterKey,
  type Keyring,
  type KeySource,
  keyIdFor,
  loadKeyring,
  unknownSealedKeyIds,
} from "@credkit/core";
import type { ServerConfig } from "./config.js";

/** The key source the configuration describes (a KMS-backed source would slot in here). */
export function configKeySource(keys: NonNullable<ServerConfig["keyring"]>): KeySource {
  return {
    async load() {
      const decoded = keys.map((k, index) => {
        const key = decodeMasterKey(
          k.key,
          keys.length === 1 ? "CREDKIT_MASTER_KEY" : `CREDKIT_KEYRING[${index}].key`,
        );
        return { id: k.id ?? keyIdFor(key), key, active: k.active ?? keys.length === 1 };
      });
      const active = decoded.find((k) => k.active) as (typeof decoded)[number];
      return { activeKeyId: active.id, keys: decoded.map(({ id, key }) => ({ id, key })) };
    },
  };
}

/** The keyring, and whether it is ephemeral (generated because only memory stores are configured). */
export async function keyringFor(config: ServerConfig): Promise<{ keyring: Keyring; ephemeral: boolean }> {
  if (config.keyring)
    return { keyring: await loadKeyring(configKeySource(config.keyring)), ephemeral: false };
  const { id, key } = generateMasterKey();
  return {
    keyring: createKeyring({ activeKeyId: id, keys: [{ id, key: decodeMasterKey(key) }] }),
    ephemeral: true,
  };
}

/**
 * The refusal of a keyring that lacks key ids the stored records were sealed with: names the unknown
 * ids, the ids the keyring has, and what to set. Without it the server would start and answer
 * `NO_CREDENTIAL` to every proxy request and `UNKNOWN_KEY` to every resolve.
 */
export function keyringMismatchError(unknown: readonly string[], keyring: Keyring): CredkitError {
  const ids = unknown.map((id) => `"${id}"`).join(", ");
  const have = keyring.keyIds.map((id) => `"${id}"`).join(", ");
  return new CredkitError(
    "CONFIGURATION_ERROR",
    `The stored records were sealed with key id(s) ${ids}, which the keyring lacks (it holds ${have}). ` +
      `Set CREDKIT_KEYRING to a list holding each of those ids with its key, e.g. [{"id":"${unknown[0]}","key":"<base64 key>","active":true}] ` +
      "(a key given as CREDKIT_MASTER_KEY gets an id derived from the key, which differs from an id an embedding service chose), " +
      "or set CREDKIT_MASTER_KEY to the key the records were sealed with.",
    { errors: [{ path: "CREDKIT_KEYRING", message: `missing key id(s) ${ids}` }] },
  );
}

/** Throws {@link keyringMismatchError} when a sample of the stores' records was sealed with unknown keys. */
export async function checkKeyringOpensStores(
  keyring: Keyring,
  stores: Record<string, CredentialStore>,
): Promise<void> {
  const unknown = await unknownSealedKeyIds(keyring, Object.values(stores));
  if (unknown.length > 0) throw keyringMismatchError(unknown, keyring);
}
