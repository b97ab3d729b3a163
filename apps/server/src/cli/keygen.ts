import { generateMasterKey } from "@credkit/core";
import { type CliContext, exitCodes } from "./cli-context.js";

/**
 * `credkit keygen`: prints a new master key, the CLI's one deliberate secret output. Plain (the key
 * alone on stdout, its id on stderr) so that `CREDKIT_MASTER_KEY=$(pnpm --silent credkit keygen)`
 * works; `--json` prints `{"id","key"}` for a keyring entry.
 */
export function keygen(context: CliContext, args: readonly string[] = []): number {
  const { id, key } = generateMasterKey();
  if (args.includes("--json")) {
    context.out(JSON.stringify({ id, key }));
    context.err("Set the key as CREDKIT_MASTER_KEY, or the id and key as an entry of CREDKIT_KEYRING.");
    return exitCodes.ok;
  }
  context.out(key);
  context.err(
    `Key id ${id}. Set the key as CREDKIT_MASTER_KEY (its id is derived from it), or use --json for a CREDKIT_KEYRING entry.`,
  );
  return exitCodes.ok;
}
