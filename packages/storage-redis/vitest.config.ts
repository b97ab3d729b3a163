import { fileURLToPath } from "node:url";
import { packageTests } from "../../vitest.base.ts";

// globalSetup by absolute path: mutation testing runs vitest from the repository root, where a relative
// one would not resolve.

// Real servers (a standalone redis-server and a 3-master cluster) are started once for the whole run.
export default packageTests({
  globalSetup: [fileURLToPath(new URL("test/global-setup.ts", import.meta.url))],
});
