import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { killServers } from "./support/server-process.js";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const running = new Set<ChildProcess>();
// tsx by absolute URL: `--import tsx` would resolve it from the child's cwd, which may be anywhere.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const fromSource = ["--conditions=credkit-source", "--import", tsx];

/** A CLI run started by {@link startCli}. */
export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Starts `src/cli.ts` as `pnpm credkit` runs it (from source), with only `env` on top of a clean env. */
export function startCli(args: string[], env: Record<string, string>, cwd?: string): CliRun {
  // The tests' own CREDKIT_* variables must never leak into the configuration under test.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("CREDKIT_")),
  );
  const child = spawn(process.execPath, [...fromSource, cli, ...args], {
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd ? { cwd } : {}),
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = once(child, "exit").then(([code, signal]) => {
    running.delete(child);
    return (code as number | null) ?? (signal as string);
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const run = startCli(args, env, cwd);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** SIGKILLs every CLI or server process a test left running. */
export function killLeftovers(): void {
  for (const child of running) child.kill("SIGKILL");
  killServers();
}

export { startRedis } from "./support/real-servers.js";
export { type ServerProcess as ServerRun, startServer } from "./support/server-process.js";
