export { type StoreConformanceOptions, storeConformanceSuite } from "./conformance-suite.js";
export { makeRecord } from "./fixtures.js";
export { type OutboxConformanceOptions, outboxConformanceSuite } from "./outbox-suite.js";
