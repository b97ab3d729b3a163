import { packageTests } from "../../vitest.base.ts";

// Real servers (a standalone redis-server and a 3-master cluster) are started once for the whole run.
export default packageTests({ globalSetup: ["test/global-setup.ts"] });
