import type { Keyring } from "@credkit/core";
import { loadConfig } from "../config.js";
import { checkKeyringOpensStores, keyringFor } from "../keys.js";
import { openStores } from "../stores.js";
import { type CliContext, exitCodes } from "./cli-context.js";
import { describeError } from "./describe-error.js";
import { quietLogger } from "./quiet-logger.js";
import { describeStorage, regionList, storeGroups } from "./store-groups.js";

/**
 * `credkit check-config`: validates the configuration exactly as the server does at start (variables,
 * keyring), opens each store group the way the server would and pings it, printing one line per group.
 * Exits 0 when everything is usable, 1 otherwise. Prints key ids and store addresses, never key
 * material, tokens or passwords.
 */
export async function checkConfig(context: CliContext): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  let keyLine: string;
  let keyring: Keyring | null;
  try {
    config = loadConfig(context.env);
    const loaded = await keyringFor(config);
    const { ephemeral } = loaded;
    keyring = ephemeral ? null : loaded.keyring;
    keyLine = ephemeral
      ? "keyring: none configured; the server generates a key per process (memory stores only)"
      : `keyring: ${loaded.keyring.keyIds.length} key(s), active ${loaded.keyring.activeKeyId}${
          loaded.keyring.keyIds.length > 1 ? `; also ${loaded.keyring.keyIds.slice(1).join(", ")}` : ""
        }`;
  } catch (error) {
    context.out(`configuration: invalid\n${describeError(error)}`);
    return exitCodes.failed;
  }
  context.out("configuration: ok");
  context.out(keyLine);

  let allOk = true;
  // One group at a time, each opened on its own: one unreachable store must not hide the others.
  for (const { storage, regions } of storeGroups(config.regions)) {
    const where = `${describeStorage(storage)} [${regionList(regions)}]`;
    const { logger, lastErrorCode } = quietLogger();
    let opened: Awaited<ReturnType<typeof openStores>> | null = null;
    try {
      opened = await openStores(Object.fromEntries(regions.map((r) => [r, storage])), logger);
      const store = Object.values(opened.regions)[0];
      await store?.ping();
      // As the server does at start: a keyring lacking the ids the records were sealed with is refused.
      if (keyring) await checkKeyringOpensStores(keyring, opened.regions);
      context.out(`ok      ${where}`);
    } catch (error) {
      allOk = false;
      const code = lastErrorCode();
      context.out(`failed  ${where}: ${describeError(error)}${code ? ` [${code}]` : ""}`);
    } finally {
      await opened?.close();
    }
  }
  return allOk ? exitCodes.ok : exitCodes.failed;
}
