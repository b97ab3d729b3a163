import { isCredkitError, type Keyring } from "@credkit/core";
import { loadConfig } from "../config.js";
import { checkKeyringOpensStores, keyringFor } from "../keys.js";
import { explainFailure } from "../store-check.js";
import { storeGroups, storeLine } from "../store-groups.js";
import { type Opened, openStore } from "../stores.js";
import { type CliContext, exitCodes } from "./cli-context.js";
import { describeError } from "./describe-error.js";
import { quietLogger } from "./quiet-logger.js";

/**
 * `credkit check-config`: validates the configuration exactly as the server does at start (variables,
 * keyring), opens each store the way the server would and pings it, printing one line per store: the
 * line the server logs at start (where it is, the regions it serves) and, when it fails, why and what to set.
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
  for (const group of storeGroups(config.regions)) {
    const line = storeLine(group);
    const { logger, lastErrorCode } = quietLogger();
    let opened: Opened | null = null;
    try {
      opened = await openStore(group.storage, logger);
      await opened.store.ping();
      // As the server does at start: a keyring lacking the ids the records were sealed with is refused.
      if (keyring) await checkKeyringOpensStores(keyring, { [group.regions[0] as string]: opened.store });
      context.out(`ok      ${line}`);
    } catch (error) {
      allOk = false;
      const code = lastErrorCode();
      const why = isCredkitError(error, "CONFIGURATION_ERROR")
        ? describeError(error)
        : explainFailure(group.storage, error, code);
      context.out(`failed  ${line} — ${why}`);
    } finally {
      await opened?.close();
    }
  }
  return allOk ? exitCodes.ok : exitCodes.failed;
}
