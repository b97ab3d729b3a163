import type { CredentialStore } from "@credkit/core";
import { afterAll, beforeAll } from "vitest";

/** What every concern file receives: a way to get its own store. */
export interface SuiteContext<S extends CredentialStore = CredentialStore> {
  /**
   * Registers hooks in the calling `describe` that make one store before its tests and close it after,
   * and returns a getter for it. One store per concern keeps real backends fast to set up while random
   * client ids keep the tests inside it independent. `setup` runs in the same hook, right after the
   * store exists, for fixtures a whole `describe` shares.
   */
  useStore(setup?: (store: S) => Promise<void>): () => S;
}

/** Builds the {@link SuiteContext} over a store factory. */
export function suiteContext<S extends CredentialStore>(makeStore: () => Promise<S> | S): SuiteContext<S> {
  return {
    useStore(setup) {
      let store: S | undefined;
      // One hook, not two: hooks may run in parallel (`sequence.hooks`), setup must see the store.
      beforeAll(async () => {
        store = await makeStore();
        await setup?.(store);
      });
      afterAll(async () => {
        await store?.close();
      });
      return () => {
        if (store === undefined) throw new Error("The store is only available inside tests");
        return store;
      };
    },
  };
}
