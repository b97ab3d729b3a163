/** What a command runs with: its environment and where it writes. Tests can pass their own. */
export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Writes one line of the command's result (stdout). */
  out(line: string): void;
  /** Writes one line of progress or diagnostics (stderr). */
  err(line: string): void;
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal;
}

/** Exit statuses of the CLI: 0 done, 1 failed, 2 bad usage or configuration, 130 interrupted. */
export const exitCodes = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
