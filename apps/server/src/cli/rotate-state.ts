import { readFile, rename, rm, writeFile } from "node:fs/promises";
import type { ReencryptionState } from "@credkit/core";
import { CredkitError } from "@credkit/core";

/** Where `credkit rotate` keeps its progress unless `--state` names another file. */
export const DEFAULT_STATE_FILE = ".credkit-rotate-state.json";

/** What `credkit rotate` saves after every page: the job's state, plus what the ETA needs. */
export interface RotateStateFile {
  /** Format version of this file. */
  format: 1;
  /** A digest of the durable part of the configuration: a state saved for another one is not resumed. */
  configDigest: string;
  /** Records counted before the first run (null when counting was skipped). */
  total: number | null;
  job: ReencryptionState;
}

/** Reads a saved state, or null when the file does not exist. Refuses a file it cannot understand. */
export async function readRotateState(path: string): Promise<RotateStateFile | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw new CredkitError("CONFIGURATION_ERROR", `Cannot read the state file ${path}`, { cause: error });
  }
  try {
    const state = JSON.parse(text) as RotateStateFile;
    if (
      state.format === 1 &&
      typeof state.job?.activeKeyId === "string" &&
      state.job.stores &&
      state.job.counts
    )
      return state;
  } catch {
    // Reported below with every other unreadable file.
  }
  throw new CredkitError(
    "CONFIGURATION_ERROR",
    `The state file ${path} is not one credkit rotate wrote; move it away to start over`,
  );
}

/** Saves the state atomically (write a sibling, then rename), so a crash never leaves half a file. */
export async function writeRotateState(path: string, state: RotateStateFile): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/** Removes the state file once the job is done (a later run starts over, skipping what is done). */
export async function removeRotateState(path: string): Promise<void> {
  await rm(path, { force: true });
}
