import { isCredkitError } from "@credkit/core";
import { type CliContext, exitCodes } from "./cli-context.js";
import { describeError } from "./describe-error.js";
import { keygen } from "./keygen.js";
import { DEFAULT_STATE_FILE } from "./rotate-state.js";

/** The CLI's help text. */
export const usage = `Usage: credkit <command> [options]

Commands:
  keygen          print a new random master key (base64 of 32 bytes) alone on stdout, its key id on
                  stderr: CREDKIT_MASTER_KEY=$(pnpm --silent credkit keygen)
    --json                print {"id":"k…","key":"…"} instead (an entry of CREDKIT_KEYRING)
  check-config    validate the configuration (the server's environment) and ping every store;
                  one line per store, exit 0 when all are usable, 1 otherwise
  rotate          re-encrypt every record of every configured Redis/DynamoDB region under the active
                  key of CREDKIT_KEYRING and recompute lookup hashes, then re-seal webhook secrets;
                  resumable, the server keeps serving
    --state <file>        progress file, read to resume and removed when done (default ${DEFAULT_STATE_FILE})
    --batch-size <n>      records per scan page, 1-1000 (default 100)
    --concurrency <n>     records re-encrypted at once, 1-256 (default 8)
    --no-count            skip counting records first (no percentage or ETA)

Exit status: 0 done, 1 failed, 2 bad usage or configuration, 130 interrupted (rotate: run it again).
The configuration is read from the same variables as the server (CREDKIT_*, see the README).
`;

/** Runs one CLI command and returns its exit status; errors become one clear line, never a stack. */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "keygen":
        if (rest.some((arg) => arg !== "--json")) return badUsage(context, "keygen takes only --json");
        return keygen(context, rest);
      case "check-config":
        if (rest.length > 0) return badUsage(context, `check-config takes no arguments`);
        // Loaded when asked for: they import the stores and their SDKs, which keygen and help do not need.
        return await (await import("./check-config.js")).checkConfig(context);
      case "rotate":
        if (rest.includes("--help")) {
          context.out(usage);
          return exitCodes.ok;
        }
        return await (await import("./rotate.js")).rotate(rest, context);
      case undefined:
      case "help":
      case "--help":
        context.out(usage);
        return exitCodes.ok;
      default:
        return badUsage(context, `unknown command "${command}"`);
    }
  } catch (error) {
    const bad = isCredkitError(error, "CONFIGURATION_ERROR");
    context.err(`credkit ${command}: ${describeError(error)}`);
    return bad ? exitCodes.usage : exitCodes.failed;
  }
}

function badUsage(context: CliContext, message: string): number {
  context.err(`credkit: ${message}\n\n${usage}`);
  return exitCodes.usage;
}
