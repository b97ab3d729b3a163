import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const redisScript = fileURLToPath(new URL("../../../scripts/redis.sh", import.meta.url));
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
}

const sh = promisify(execFile);

/** A real standalone redis-server started by scripts/redis.sh in its own temp folder. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "credkit-cli-redis-"));
  const { stdout } = await sh("bash", [redisScript, "start-standalone", dir], { timeout: 60_000 });
  return {
    url: stdout.trim(),
    async stop() {
      await sh("bash", [redisScript, "stop", dir], { timeout: 60_000 }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** A server process started from source (`src/main.ts`) on a free port. */
export interface ServerRun {
  url: string;
  output(): string;
  /** SIGTERM, resolving once it has exited. */
  stop(): Promise<void>;
}

/** Starts the server as `pnpm start` would (from source) with `env`; resolves once it is listening. */
export async function startServer(env: Record<string, string>): Promise<ServerRun> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("CREDKIT_")),
  );
  const child = spawn(process.execPath, [...fromSource, main], {
    env: { ...base, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = once(child, "exit").then(() => {
    running.delete(child);
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      output += d;
      const port = /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child.stderr?.on("data", (d) => {
      output += d;
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
