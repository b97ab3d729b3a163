export { memoryEventOutbox, memoryStore } from "@credkit/storage-memory";
export * from "./mock-oauth.js";
export * from "./target-service.js";
export * from "./webhook-receiver.js";
