import { outboxConformanceSuite } from "@credkit/storage-test-suite";
import { memoryEventOutbox } from "../src/index.js";

outboxConformanceSuite("memory", { makeOutbox: () => memoryEventOutbox() });
