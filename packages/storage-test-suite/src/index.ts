export { type StoreConformanceOptions, storeConformanceSuite } from "./conformance-suite.js";
export { makeRecord } from "./fixtures.js";
