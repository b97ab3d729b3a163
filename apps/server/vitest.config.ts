import { packageTests } from "../../vitest.base.ts";

// Server tests start real processes (each transpiles the server with tsx: seconds on a busy two-core
// machine, and some tests start two or three): give them room. A file's set-up starts Redis and two or
// three servers at once; at a load of 25 that took over 30 s, so set-up gets two minutes.
// Every answer a test receives is checked against the OpenAPI document (test/support/contract-setup.ts).
export default packageTests({
  testTimeout: 60_000,
  hookTimeout: 120_000,
  setupFiles: ["test/support/contract-setup.ts"],
});
