export { type MemoryStoreConfig, memoryStore } from "./memory-store.js";
