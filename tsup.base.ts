import { defineConfig, type Options } from "tsup";

/** The one build shape every package shares: ESM, declarations, source maps, deps left external. */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node20",
    dts: true,
    sourcemap: true,
    clean: true,
    ...overrides,
  });
}
