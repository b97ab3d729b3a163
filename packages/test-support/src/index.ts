export { memoryEventOutbox, memoryStore } from "@credkit/storage-memory";
export * from "./holding-receiver.js";
export * from "./mock-oauth.js";
export * from "./outbox-entry.js";
export * from "./target-service.js";
export * from "./webhook-receiver.js";
