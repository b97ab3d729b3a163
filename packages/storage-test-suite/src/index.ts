export { type StoreConformanceOptions, storeConformanceSuite } from "./conformance-suite.js";
export { makeEvent, makeRecord, makeWebhook } from "./fixtures.js";
export { type OutboxConformanceOptions, outboxConformanceSuite } from "./outbox-suite.js";
