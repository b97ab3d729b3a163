import { packageBuild } from "../../tsup.base.ts";

// The server is an app: executables, plus app/config/logger entries for the benchmarks to load.
export default packageBuild({
  entry: ["src/main.ts", "src/cli.ts", "src/app.ts", "src/config.ts", "src/logger.ts"],
  dts: false,
});
