export type { ReencryptionCounts, ReencryptionFailure } from "./progress.js";
export * from "./reencrypt-regions.js";
export * from "./reencrypt-store.js";
export { needsReencryption, resealRecord } from "./reseal-record.js";
export * from "./sealed-key-ids.js";
