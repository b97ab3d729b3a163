export { memoryStore } from "@credkit/storage-memory";
export * from "./mock-oauth.js";
export * from "./target-service.js";
