import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Absolute path of `scripts/redis.sh`, which starts and stops the real test servers. */
export const redisScriptPath = fileURLToPath(new URL("../../../scripts/redis.sh", import.meta.url));

const run = promisify(execFile);

/** Runs `scripts/redis.sh <command> <stateDir>` and returns what it printed (the address, if any). */
export async function redisScript(
  command: "start-standalone" | "start-cluster" | "start-cluster-replicas" | "stop" | "kill" | "restart",
  stateDir: string,
): Promise<string> {
  const { stdout } = await run("bash", [redisScriptPath, command, stateDir], { timeout: 60_000 });
  return stdout.trim();
}
