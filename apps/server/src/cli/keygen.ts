import { generateMasterKey } from "@credkit/core";
import { type CliContext, exitCodes } from "./cli-context.js";

/** `credkit keygen`: prints a new master key and its id as JSON (the CLI's one deliberate secret output). */
export function keygen(context: CliContext): number {
  const { id, key } = generateMasterKey();
  context.out(JSON.stringify({ id, key }));
  context.err("Set it as CREDKIT_MASTER_KEY (the key) or in CREDKIT_KEYRING (id and key).");
  return exitCodes.ok;
}
