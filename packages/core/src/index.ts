export * from "./errors.js";
export * from "./record.js";
export * from "./storage.js";
