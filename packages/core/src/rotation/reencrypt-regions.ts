import type { Keyring } from "../crypto/keyring.js";
import { createRegionRouter, type RegionMap } from "../regions.js";
import { addCounts, emptyCounts, type ReencryptionCounts, type ReencryptionFailure } from "./progress.js";
import { reencryptStore } from "./reencrypt-store.js";

/**
 * Where a re-encryption of a whole region map stands; plain JSON, so a caller can save it after every
 * page and pass it back to resume after an interruption (a crash, a kill, an outage).
 */
export interface ReencryptionState {
  /** The key everything is being re-sealed under. A state saved for another key is not resumed. */
  activeKeyId: string;
  /** Per distinct store, named by the regions it serves (comma-joined, sorted). */
  stores: Record<string, { cursor: string | null; done: boolean }>;
  /** Totals over every run of this job so far. */
  counts: ReencryptionCounts;
}

/** Options of {@link reencryptRegions}. */
export interface ReencryptRegionsOptions {
  /** The served regions and their stores; each distinct store is walked once. */
  regions: RegionMap;
  keyring: Keyring;
  /** A state an earlier run saved; null or absent (or saved for another active key) = start over. */
  state?: ReencryptionState | null;
  /** Records per scan page, 1–1000. Default 100. */
  batchSize?: number;
  /** Records of a page re-encrypted at once. Default 8. */
  concurrency?: number;
  /** Attempts per record under concurrent writes. Default 5. */
  maxAttempts?: number;
  /** Called after every page with the state to save and the store it came from; awaited. */
  onProgress?: (state: ReencryptionState, store: string) => void | Promise<void>;
  /** Called for each record that could not be re-encrypted. */
  onFailure?: (failure: ReencryptionFailure, store: string) => void;
  /** Stops at the next page boundary; the result then has `done: false` and the state to resume from. */
  signal?: AbortSignal;
}

/** The outcome of {@link reencryptRegions}. */
export interface ReencryptRegionsResult {
  /** True when every store has been walked (failed records may remain: see `state.counts.failed`). */
  done: boolean;
  /** The state to resume from (when not done), with totals over every run. */
  state: ReencryptionState;
}

function snapshot(state: ReencryptionState): ReencryptionState {
  return { activeKeyId: state.activeKeyId, stores: { ...state.stores }, counts: { ...state.counts } };
}

/** The name of a store in a {@link ReencryptionState}: the regions it serves. */
export function storeKeyOf(regions: readonly string[]): string {
  return [...regions].sort().join(",");
}

/** A state that starts the job over for `keyring`'s active key. */
export function initialReencryptionState(keyring: Keyring): ReencryptionState {
  return { activeKeyId: keyring.activeKeyId, stores: {}, counts: emptyCounts() };
}

/**
 * Re-encrypts every record of every distinct store of a region map under the active key (see
 * `reencryptStore`), one store after another, resumable from the state reported after each page.
 * Verification and reads keep working during the run.
 */
export async function reencryptRegions(options: ReencryptRegionsOptions): Promise<ReencryptRegionsResult> {
  const { keyring } = options;
  const router = createRegionRouter(options.regions);
  const saved = options.state;
  const resumable = saved && saved.activeKeyId === keyring.activeKeyId;
  const state: ReencryptionState = resumable ? snapshot(saved) : initialReencryptionState(keyring);

  for (const { store, regions } of router.stores) {
    const key = storeKeyOf(regions);
    const position = state.stores[key] ?? { cursor: null, done: false };
    if (position.done) continue;
    const before = state.counts;
    const progress = await reencryptStore({
      store,
      keyring,
      cursor: position.cursor,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onFailure ? { onFailure: (failure) => options.onFailure?.(failure, key) } : {}),
      onProgress: async ({ cursor, done, ...runCounts }) => {
        state.stores[key] = { cursor, done };
        state.counts = addCounts(before, runCounts);
        await options.onProgress?.(snapshot(state), key);
      },
    });
    // Totals are re-based per store: `progress` counts only this store's run.
    const { cursor, done, ...runCounts } = progress;
    state.stores[key] = { cursor, done };
    state.counts = addCounts(before, runCounts);
    if (!done) return { done: false, state };
  }
  return { done: true, state };
}
