import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
// tsx by absolute URL: `--import tsx` would resolve it from the child's cwd, which may be anywhere.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const running = new Set<ChildProcess>();

/** A credkit server process started from source, as `pnpm start` runs it. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** What it printed on stdout only (the JSON log lines). */
  stdout(): string;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` with `env` on a free port; resolves once it says it is listening. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  // The tests' own CREDKIT_* variables must never leak into the configuration under test.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("CREDKIT_")),
  );
  const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", tsx, main], {
    env: { ...base, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  let stdout = "";
  child.stdout?.on("data", (d) => {
    output += d;
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    // The banner is on stderr (stdout carries only JSON log lines).
    const banner = () => {
      const match = /credkit listening on (http:\/\/[^\s/]+:\d+)/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on("data", banner);
    child.stderr?.on("data", banner);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return {
    child,
    url,
    output: () => output,
    stdout: () => stdout,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code as number | null;
    },
  };
}

/** Kills every server process still running (test teardown). */
export function killServers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Calls `check` until it returns true or `timeoutMs` passes (a health check, not a sleep). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
