import { fileURLToPath } from "node:url";
import { mergeConfig } from "vitest/config";
import { packageTests } from "../../vitest.base.ts";

export default mergeConfig(
  // DynamoDB Local answers in milliseconds, but its JVM warms up during the first tests.
  packageTests({
    // By absolute path: mutation testing runs vitest from the repository root.
    globalSetup: [fileURLToPath(new URL("test/global-setup.ts", import.meta.url))],
    testTimeout: 30_000,
  }),
  // The SDK warns on every process under Node 20 (support ends in 2027); the warning is noise here.
  { test: { env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } } },
);
