import type { Keyring } from "../crypto/keyring.js";
import { isCredkitError } from "../errors.js";
import { positiveInteger } from "../positive-integer.js";
import type { StoredCredential } from "../record.js";
import { compareAndSet } from "../records/compare-and-set.js";
import { MAX_PAGE_SIZE } from "../records/store-rules.js";
import type { CredentialStore } from "../storage.js";
import { emptyCounts, type ReencryptionCounts, type ReencryptionFailure } from "./progress.js";
import { needsReencryption, resealRecord } from "./reseal-record.js";

/** Options of {@link reencryptStore}. */
export interface ReencryptStoreOptions {
  store: CredentialStore;
  keyring: Keyring;
  /** Resume after this scan cursor (one an earlier run reported); absent or null = from the start. */
  cursor?: string | null;
  /** Records per scan page, 1–1000. Default 100. */
  batchSize?: number;
  /** Records of a page re-encrypted at once (store round trips in flight). Default 8. */
  concurrency?: number;
  /** Attempts per record when concurrent writes keep moving its version. Default 5. */
  maxAttempts?: number;
  /**
   * Called after every page with this run's totals and the cursor to resume after; awaited, so a caller
   * can persist the cursor before the next page starts.
   */
  onProgress?: (progress: StoreProgress) => void | Promise<void>;
  /** Called for each record that could not be re-encrypted. */
  onFailure?: (failure: ReencryptionFailure) => void;
  /** Stops the run at the next page boundary (the page in progress is finished, so its cursor is exact). */
  signal?: AbortSignal;
}

/** Where a store's run stands: this run's totals and the scan cursor to resume after. */
export interface StoreProgress extends ReencryptionCounts {
  /** Pass back as `cursor` to resume after the last finished page; null once the scan is over. */
  cursor: string | null;
  /** True when the whole store has been walked. */
  done: boolean;
}

type Outcome = "reencrypted" | "skipped" | ReencryptionFailure;

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Re-encrypts every record of one store under the keyring's active key, page by page through
 * `store.scan`, and recomputes lookup hashes. Records already under the active key are skipped, so a
 * run resumed from a saved cursor (or re-run from the start) never rewrites a record twice. Each write
 * is a compare-and-set on the version read: when a user wrote in between, the record is read again and
 * re-sealed from what the user wrote, so no update is lost; a record deleted meanwhile is skipped.
 *
 * Verification and reads keep working throughout: the keyring decrypts by each envelope's key id, and
 * proxy lookups try the hashes of every key in the keyring, so a record is found before and after its
 * rewrite. Records that cannot be opened (unknown key, tampered) or whose new lookup hash collides with
 * another record are reported as failed and the run goes on; a storage outage stops it with the error
 * (resume from the last cursor reported to `onProgress`).
 */
export async function reencryptStore(options: ReencryptStoreOptions): Promise<StoreProgress> {
  const { store, keyring, signal } = options;
  const batchSize = positiveInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, "batchSize", MAX_PAGE_SIZE);
  const concurrency = positiveInteger(options.concurrency ?? DEFAULT_CONCURRENCY, "concurrency", 256);
  const maxAttempts = positiveInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, "maxAttempts", 100);
  const counts = emptyCounts();
  let cursor = options.cursor ?? null;
  let started = false;

  async function reencryptOne(scanned: StoredCredential): Promise<Outcome> {
    let unopenable: { error: unknown } | null = null;
    try {
      const saved = await compareAndSet(
        store,
        scanned,
        (record) => {
          if (!needsReencryption(record, keyring)) return null;
          try {
            return resealRecord(record, keyring);
          } catch (error) {
            unopenable = { error };
            throw error;
          }
        },
        { attempts: maxAttempts },
      );
      return saved ? "reencrypted" : "skipped";
    } catch (error) {
      if (unopenable) return failure(scanned, (unopenable as { error: unknown }).error);
      if (isCredkitError(error, "NOT_FOUND")) return "skipped"; // deleted (or expired) meanwhile
      // A lookup hash that collides with another record, or a record that kept moving under the run, is
      // this record's problem, not an outage.
      if (isCredkitError(error, "CONFLICT") || isCredkitError(error, "VERSION_CONFLICT"))
        return failure(scanned, error);
      throw error;
    }
  }

  function failure(record: StoredCredential, error: unknown): ReencryptionFailure {
    const known = isCredkitError(error);
    return {
      clientId: record.clientId,
      credentialId: record.credentialId,
      code: known ? error.code : "INTERNAL",
      // CredkitError messages never carry secret material; other errors are not echoed.
      message: known ? error.message : "unexpected error",
    };
  }

  async function reencryptPage(items: readonly StoredCredential[]): Promise<void> {
    let next = 0;
    let fatal: { error: unknown } | null = null;
    const worker = async () => {
      while (fatal === null && next < items.length) {
        const item = items[next++] as StoredCredential;
        try {
          const outcome = await reencryptOne(item);
          if (outcome === "reencrypted") counts.reencrypted++;
          else if (outcome === "skipped") counts.skipped++;
          else {
            counts.failed++;
            options.onFailure?.(outcome);
          }
        } catch (error) {
          fatal ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    if (fatal) throw (fatal as { error: unknown }).error;
  }

  while (!started || cursor !== null) {
    if (signal?.aborted) return { ...counts, cursor, done: false };
    started = true;
    const page = await store.scan({ limit: batchSize, ...(cursor === null ? {} : { cursor }) });
    counts.scanned += page.items.length;
    await reencryptPage(page.items);
    cursor = page.cursor;
    await options.onProgress?.({ ...counts, cursor, done: cursor === null });
  }
  return { ...counts, cursor: null, done: true };
}
