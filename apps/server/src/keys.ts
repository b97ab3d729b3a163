import {
  createKeyring,
  decodeMasterKey,
  generateMasterKey,
  type Keyring,
  type KeySource,
  keyIdFor,
  loadKeyring,
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
