import { packageBuild } from "../../tsup.base.ts";

// The server is an app: its entry points are executables, not a library surface.
export default packageBuild({ entry: ["src/main.ts", "src/cli.ts"], dts: false });
