import type { CredentialStore } from "@credkit/core";
import { afterAll, describe } from "vitest";
import { suiteContext } from "./context.js";
import { atRestTests } from "./suites/at-rest.js";
import { consumeTests } from "./suites/consume.js";
import { createTests } from "./suites/create.js";
import { deleteTests } from "./suites/delete.js";
import { expiryTests } from "./suites/expiry.js";
import { expiryEventTests } from "./suites/expiry-events.js";
import { getTests } from "./suites/get.js";
import { leaseTests } from "./suites/lease.js";
import { lifetimeTests } from "./suites/lifetime.js";
import { listTests } from "./suites/list.js";
import { lookupTests } from "./suites/lookup.js";
import { lookupBatchTests } from "./suites/lookup-batch.js";
import { pendingEventTests } from "./suites/pending-events.js";
import { pingTests } from "./suites/ping.js";
import { scanTests } from "./suites/scan.js";
import { expiryBoundaryTests, failureTests, sharedRuleTests } from "./suites/shared-rules.js";
import { updateTests } from "./suites/update.js";

/** Options of {@link storeConformanceSuite}. */
export interface StoreConformanceOptions<S extends CredentialStore = CredentialStore> {
  /**
   * Makes a ready store. Called once per concern (`describe`), so about a dozen times per run; the
   * stores may share one backend and keyspace, since every test uses fresh random client ids. The
   * suite closes each store it made.
   */
  makeStore: () => Promise<S> | S;
  /**
   * Text dump of everything `store` holds at rest (Redis: the raw values of its keys; DynamoDB: a
   * scan of its table). Enables the at-rest tests: secrets lie there as the envelopes given, expiry
   * is recorded, and deleted secrets leave nothing behind.
   */
  readRaw?: (store: S) => Promise<string>;
  /**
   * Makes a store whose clock is `clock` (epoch ms) instead of `Date.now`. Enables the expiry
   * boundary test: `expiresAt <= now` is expired for every method.
   */
  makeStoreAt?: (clock: () => number) => Promise<S> | S;
  /**
   * Makes a store whose clock is `clock`, on the same backend and keyspace as every other store it
   * makes, as another process of one deployment would open it (memory: the same store). Enables the
   * expiry-events test across processes: each `credential.expiring`/`.expired` once, whoever sweeps.
   */
  makeSharedStoreAt?: (clock: () => number) => Promise<S> | S;
  /**
   * Makes a store whose backend fails every request (a client pointed at a closed port, a stopped
   * server). Enables the failure test: every method rejects with STORAGE_UNAVAILABLE, never null.
   */
  makeFailingStore?: () => Promise<S> | S;
  /** Runs once after every test and after every store was closed (drop a table, stop a server). */
  cleanup?: () => Promise<void>;
}

/**
 * Registers the storage conformance suite (vitest `describe`/`it`) for one adapter: the
 * {@link CredentialStore} contract, concern by concern, against whatever backend `makeStore` reaches.
 */
export function storeConformanceSuite<S extends CredentialStore>(
  name: string,
  options: StoreConformanceOptions<S>,
): void {
  describe(`${name} store conformance`, () => {
    const ctx = suiteContext(options.makeStore);
    afterAll(async () => {
      await options.cleanup?.();
    });
    createTests(ctx);
    getTests(ctx);
    listTests(ctx);
    updateTests(ctx);
    deleteTests(ctx);
    consumeTests(ctx);
    lookupTests(ctx);
    lookupBatchTests(ctx);
    expiryTests(ctx);
    lifetimeTests(ctx);
    scanTests(ctx);
    leaseTests(ctx);
    pendingEventTests(ctx);
    pingTests(ctx);
    sharedRuleTests(ctx);
    if (options.makeStoreAt) expiryBoundaryTests(options.makeStoreAt);
    if (options.makeSharedStoreAt) expiryEventTests(options.makeSharedStoreAt);
    if (options.makeFailingStore) failureTests(options.makeFailingStore);
    if (options.readRaw) atRestTests(ctx, options.readRaw);
  });
}
