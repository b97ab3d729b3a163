import { defineConfig } from "vitest/config";

// Comma-separated test files (relative to the package) to run instead of all of them: mutation testing
// (scripts/mutation.sh) runs one source file's own tests, where the whole suite would cover each mutant.
const { CREDKIT_TEST_FILES } = process.env;

/** Tests read workspace packages from src (the `credkit-source` export condition, which no outside consumer matches): no build needed first. */
export function packageTests(
  overrides: {
    testTimeout?: number;
    hookTimeout?: number;
    globalSetup?: string[];
    setupFiles?: string[];
    fileParallelism?: boolean;
  } = {},
) {
  return defineConfig({
    resolve: { conditions: ["credkit-source"] },
    ssr: { resolve: { conditions: ["credkit-source"] } },
    test: {
      include: CREDKIT_TEST_FILES ? CREDKIT_TEST_FILES.split(",") : ["test/**/*.test.ts", "src/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 15_000,
      hookTimeout: overrides.hookTimeout ?? 30_000,
      ...(overrides.globalSetup ? { globalSetup: overrides.globalSetup } : {}),
      ...(overrides.setupFiles ? { setupFiles: overrides.setupFiles } : {}),
      ...(overrides.fileParallelism === undefined ? {} : { fileParallelism: overrides.fileParallelism }),
    },
  });
}
