import { packageTests } from "../../vitest.base.ts";

// Server tests start real processes: give them room on a busy two-core machine.
// Every answer a test receives is checked against the OpenAPI document (test/support/contract-setup.ts).
export default packageTests({ testTimeout: 30_000, setupFiles: ["test/support/contract-setup.ts"] });
