import { createHash } from "node:crypto";
import { resolve } from "node:path";
import {
  type CredentialStore,
  CredkitError,
  createRegionRouter,
  isCredkitError,
  MAX_PAGE_SIZE,
  type ReencryptionCounts,
  reencryptRegions,
  resealWebhooks,
} from "@credkit/core";
import { loadConfig } from "../config.js";
import { isDurable, type StorageConfig } from "../config-schema.js";
import { keyringFor } from "../keys.js";
import { announceWrites } from "../near-cache.js";
import { describeStorage, regionList } from "../store-groups.js";
import { openStores } from "../stores.js";
import { openOutbox } from "../webhooks.js";
import { integerOption, parseCliArgs } from "./cli-args.js";
import { type CliContext, exitCodes } from "./cli-context.js";
import { describeError } from "./describe-error.js";
import { quietLogger } from "./quiet-logger.js";
import { progressLine } from "./rotate-progress.js";
import {
  DEFAULT_STATE_FILE,
  type RotateStateFile,
  readRotateState,
  removeRotateState,
  writeRotateState,
} from "./rotate-state.js";

// Progress lines at most this often (plus one per store and a last one): a page can take a millisecond.
const PRINT_INTERVAL_MS = 1000;

/** A digest of where the durable regions live (addresses only), to tell whether a saved state fits. */
function configDigest(regions: Record<string, StorageConfig>): string {
  const entries = Object.keys(regions)
    .sort()
    .map((region) => [region, describeStorage(regions[region] as StorageConfig)]);
  return createHash("sha256").update(JSON.stringify(entries)).digest("base64url").slice(0, 22);
}

/** Counts the records of each store with full-size scan pages (for the ETA). */
async function countRecords(stores: readonly CredentialStore[], signal: AbortSignal): Promise<number> {
  let total = 0;
  for (const store of stores) {
    let cursor: string | null = null;
    do {
      if (signal.aborted) return total;
      const page = await store.scan({ limit: MAX_PAGE_SIZE, ...(cursor === null ? {} : { cursor }) });
      total += page.items.length;
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return total;
}

/**
 * `credkit rotate`: re-encrypts every record of every durable configured region under the active key of
 * the configured keyring and recomputes lookup hashes, saving its progress to a state file after every
 * page so that running it again after an interruption resumes. The server keeps answering meanwhile.
 */
export async function rotate(args: readonly string[], context: CliContext): Promise<number> {
  const options = parseCliArgs(args, { value: ["state", "batch-size", "concurrency"], flag: ["no-count"] });
  const statePath = resolve(
    context.cwd,
    typeof options.state === "string" ? options.state : DEFAULT_STATE_FILE,
  );
  const batchSize = integerOption(options, "batch-size", 100, MAX_PAGE_SIZE);
  const concurrency = integerOption(options, "concurrency", 8, 256);

  const config = loadConfig(context.env);
  const durable = Object.fromEntries(
    Object.entries(config.regions).filter(([, storage]) => isDurable(storage)),
  );
  const inMemory = Object.keys(config.regions).filter((region) => !Object.hasOwn(durable, region));
  if (Object.keys(durable).length === 0) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      "Nothing to rotate: every configured region is in memory, whose records live only inside each server process (and vanish with it). Point the CLI at the server's Redis or DynamoDB configuration.",
    );
  }
  if (inMemory.length > 0) {
    context.err(
      `rotate: skipping ${inMemory.length} memory region(s); their records live only in the server process`,
    );
  }
  const { keyring } = await keyringFor(config);
  const digest = configDigest(durable);

  const saved = await readRotateState(statePath);
  let resume: RotateStateFile | null = null;
  if (saved && saved.configDigest !== digest) {
    context.err(`rotate: ${statePath} was saved for other stores; starting over`);
  } else if (saved && saved.job.activeKeyId !== keyring.activeKeyId) {
    context.err(
      `rotate: ${statePath} was saved for key ${saved.job.activeKeyId}; starting over for ${keyring.activeKeyId}`,
    );
  } else if (saved) {
    resume = saved;
    context.err(`rotate: resuming from ${statePath} (${saved.job.counts.scanned} scanned so far)`);
  }

  const { logger, lastErrorCode } = quietLogger();
  /** The error that stops a run: what went wrong, the client's last error code, and what to do next. */
  const stopped = (error: unknown, progressSaved: boolean) => {
    const code = lastErrorCode();
    const next = progressSaved
      ? `Progress is saved in ${statePath}: run the same command again to resume.`
      : "Nothing was saved yet: run the same command again once the cause is fixed.";
    return new CredkitError(
      isStorage(error) ? "STORAGE_UNAVAILABLE" : "INTERNAL",
      `${describeError(error)}${code ? ` [${code}]` : ""}. ${next}`,
      { cause: error },
    );
  };
  const opened = await openStores(durable, logger).catch((error: unknown) => {
    throw new CredkitError("STORAGE_UNAVAILABLE", `Cannot open the stores: ${describeError(error)}`, {
      cause: error,
    });
  });
  try {
    // Re-encryption updates every record: the servers' near caches hear of each one.
    announceWrites(opened.regions, opened.redis);
    const stores = createRegionRouter(opened.regions).stores;
    context.err(
      `rotate: re-encrypting under key ${keyring.activeKeyId} in ${stores.length} store(s): ${stores
        .map(({ regions }) => regionList(regions))
        .join(" | ")}`,
    );
    // A resumed run keeps the first run's count, so its percentage and ETA continue where they were.
    let total: number | null = null;
    if (resume) total = resume.total;
    else if (!options["no-count"]) {
      const all = stores.map((s) => s.store);
      total = await countRecords(all, context.signal).catch((error: unknown) =>
        Promise.reject(stopped(error, false)),
      );
    }
    if (context.signal.aborted && !resume) {
      context.err("rotate: interrupted before any record was re-encrypted");
      return exitCodes.interrupted;
    }
    if (total !== null && !resume) context.err(`rotate: ${total} record(s) to visit`);

    const started = Date.now();
    const scannedBefore = resume?.job.counts.scanned ?? 0;
    let lastPrint = 0;
    let lastStore = "";
    const print = (counts: ReencryptionCounts, store: string) => {
      lastPrint = Date.now();
      lastStore = store;
      const elapsedMs = lastPrint - started;
      const scannedThisRun = counts.scanned - scannedBefore;
      context.err(
        progressLine({ counts, total, store: regionList(store.split(",")), elapsedMs, scannedThisRun }),
      );
    };

    let progressSaved = resume !== null;
    let result: Awaited<ReturnType<typeof reencryptRegions>>;
    try {
      result = await reencryptRegions({
        regions: opened.regions,
        keyring,
        state: resume?.job ?? null,
        batchSize,
        concurrency,
        signal: context.signal,
        onFailure: (failure, store) =>
          context.err(
            `rotate [${regionList(store.split(","))}] could not re-encrypt client ${failure.clientId} credential ${failure.credentialId}: ${failure.code}: ${failure.message}`,
          ),
        onProgress: async (job, store) => {
          await writeRotateState(statePath, { format: 1, configDigest: digest, total, job });
          progressSaved = true;
          if (store !== lastStore || Date.now() - lastPrint >= PRINT_INTERVAL_MS) print(job.counts, store);
        },
      });
    } catch (error) {
      throw stopped(error, progressSaved);
    }
    const { counts } = result.state;
    print(counts, lastStore || "all");
    if (!result.done) {
      context.err(
        `rotate: interrupted. Progress is saved in ${statePath}: run the same command again to resume.`,
      );
      return exitCodes.interrupted;
    }
    // Webhook signing secrets are sealed like records' secrets: re-sealed after them (a handful per
    // client, in the outbox of the same stores the server uses; a rerun skips what is done).
    const webhooks = await resealWebhooks({
      outbox: openOutbox(opened),
      keyring,
      onFailure: (failure) =>
        context.err(
          `rotate could not re-seal client ${failure.clientId} webhook ${failure.credentialId}: ${failure.code}: ${failure.message}`,
        ),
    }).catch((error: unknown) => Promise.reject(stopped(error, progressSaved)));
    await removeRotateState(statePath);
    context.out(
      JSON.stringify({
        activeKeyId: keyring.activeKeyId,
        ...counts,
        webhooks,
        seconds: (Date.now() - started) / 1000,
      }),
    );
    if (webhooks.failed > 0) {
      context.err(
        `rotate: ${webhooks.failed} webhook secret(s) could not be re-sealed (listed above). Keep their old key in CREDKIT_KEYRING, or delete and re-create those webhooks.`,
      );
      return exitCodes.failed;
    }
    if (counts.failed > 0) {
      context.err(
        `rotate: ${counts.failed} record(s) could not be re-encrypted (listed above). They still need their old key: keep it in CREDKIT_KEYRING until they are fixed or deleted, then run rotate again.`,
      );
      return exitCodes.failed;
    }
    context.err(
      `rotate: done. Every record is under key ${keyring.activeKeyId}; older keys can be removed from CREDKIT_KEYRING.`,
    );
    return exitCodes.ok;
  } finally {
    await opened.close();
  }
}

function isStorage(error: unknown): boolean {
  return isCredkitError(error, "STORAGE_UNAVAILABLE");
}
