import { packageTests } from "../../vitest.base.ts";

// Server tests start real processes (each transpiles the server with tsx: seconds on a busy two-core
// machine, and some tests start two or three): give them room.
// Every answer a test receives is checked against the OpenAPI document (test/support/contract-setup.ts).
export default packageTests({ testTimeout: 60_000, setupFiles: ["test/support/contract-setup.ts"] });
