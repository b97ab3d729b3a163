import { packageTests } from "../../vitest.base.ts";

// The tests start a real server process: give them room on a busy two-core machine.
export default packageTests({ testTimeout: 30_000 });
