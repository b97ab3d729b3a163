import { storeConformanceSuite } from "@credkit/storage-test-suite";
import { notebookStore } from "./custom-store.js";

storeConformanceSuite("notebook (third-party)", { makeStore: () => notebookStore() });
