import { defineConfig } from "vitest/config";

/** Tests read workspace packages from src (the `credkit-source` export condition, which no outside consumer matches): no build needed first. */
export function packageTests(
  overrides: {
    testTimeout?: number;
    globalSetup?: string[];
    setupFiles?: string[];
    fileParallelism?: boolean;
  } = {},
) {
  return defineConfig({
    resolve: { conditions: ["credkit-source"] },
    ssr: { resolve: { conditions: ["credkit-source"] } },
    test: {
      include: ["test/**/*.test.ts", "src/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 15_000,
      hookTimeout: 30_000,
      ...(overrides.globalSetup ? { globalSetup: overrides.globalSetup } : {}),
      ...(overrides.setupFiles ? { setupFiles: overrides.setupFiles } : {}),
      ...(overrides.fileParallelism === undefined ? {} : { fileParallelism: overrides.fileParallelism }),
    },
  });
}
