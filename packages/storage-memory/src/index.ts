export { memoryEventOutbox } from "./memory-outbox.js";
export { type MemoryStoreConfig, memoryStore } from "./memory-store.js";
