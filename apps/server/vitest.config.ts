import { packageTests } from "../../vitest.base.ts";

// Server tests start real processes: give them room on a busy two-core machine.
export default packageTests({ testTimeout: 30_000 });
