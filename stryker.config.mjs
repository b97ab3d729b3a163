// Mutation testing (issue 26): `pnpm test:mutation [target...]`, see docs/development.md.
// One target per run, chosen by STRYKER_TARGET; STRYKER_MUTATE (comma-separated globs) narrows a run to
// some files. Runs are incremental: results are kept in .cache/stryker/<target>.json (gitignored), so a
// rerun only tests the mutants whose code or covering tests changed.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** What each target mutates: the security-critical code of core, and the adapters' own logic. */
export const targets = {
  core: [
    "packages/core/src/crypto/**/*.ts",
    "packages/core/src/proxy/**/*.ts",
    "packages/core/src/outbound/**/*.ts",
    "packages/core/src/records/**/*.ts",
    "packages/core/src/access.ts",
    "packages/core/src/positive-integer.ts",
    "packages/core/src/authz/**/*.ts",
    "packages/core/src/schemas/**/*.ts",
    "packages/core/src/target/**/*.ts",
  ],
  "storage-memory": ["packages/storage-memory/src/**/*.ts", "!packages/storage-memory/src/index.ts"],
  "storage-redis": ["packages/storage-redis/src/**/*.ts", "!packages/storage-redis/src/index.ts"],
  "storage-dynamodb": ["packages/storage-dynamodb/src/**/*.ts", "!packages/storage-dynamodb/src/index.ts"],
};

// The run's knobs, set by scripts/mutation.sh (or by hand): which target, which files, how many runners.
const {
  STRYKER_TARGET,
  STRYKER_MUTATE,
  STRYKER_CONCURRENCY,
  STRYKER_NO_CHECKER,
  STRYKER_INCREMENTAL_FILE,
  STRYKER_FORCE,
} = process.env;
const target = STRYKER_TARGET ?? "core";
if (!(target in targets)) throw new Error(`STRYKER_TARGET must be one of ${Object.keys(targets).join(", ")}`);
const only = STRYKER_MUTATE?.split(",").filter(Boolean);
// A run over some files keeps its own incremental results: it must not replace the whole target's.
// A long list of files is shortened with a hash of the whole list (file names are limited to 255 bytes;
// names that fit keep their old form, so earlier incremental results stay found).
const onlyName = only?.join("+").replace(/[^A-Za-z0-9.-]+/g, "_");
const resultsName = onlyName
  ? `${target}.${onlyName.length <= 200 ? onlyName : `${onlyName.slice(0, 160)}-${createHash("sha256").update(onlyName).digest("hex").slice(0, 16)}`}`
  : target;
const dir = `packages/${target}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // Under pnpm's isolated layout Stryker's own plugin discovery finds nothing: load them by path.
  plugins: [
    require.resolve("@stryker-mutator/vitest-runner"),
    require.resolve("@stryker-mutator/typescript-checker"),
    new URL("scripts/stryker-ignore-messages.mjs", import.meta.url).pathname,
  ],
  testRunner: "vitest",
  vitest: { configFile: `${dir}/vitest.config.ts`, dir },
  checkers: STRYKER_NO_CHECKER === "1" ? [] : ["typescript"],
  tsconfigFile: `${dir}/tsconfig.json`,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: only ?? targets[target],
  // Error-message text is excluded as a class (scripts/stryker-ignore-messages.mjs): a mutant that only
  // changes what an error says is not a security bug; codes and field paths are still mutated.
  ignorers: ["error-messages"],
  coverageAnalysis: "perTest",
  concurrency: Number(STRYKER_CONCURRENCY ?? 1),
  incremental: true,
  // Every mutant again, the incremental results ignored (scripts/mutation-results.mjs --force).
  force: STRYKER_FORCE === "1",
  // scripts/mutation-results.mjs reruns a recorded group over its own file under mutation/.
  incrementalFile: STRYKER_INCREMENTAL_FILE ?? `.cache/stryker/${resultsName}.json`,
  // In place, not in a sandbox copy: a copy's workspace packages (@credkit/test-support, the conformance
  // suite) resolve through node_modules to the original tree, so a test would mix two copies of core.
  // Stryker restores the files when it ends (Ctrl-C included); after a hard kill, `git checkout` them.
  inPlace: true,
  tempDirName: ".cache/stryker-tmp",
  cleanTempDir: "always",
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: `.cache/stryker/${resultsName}.report.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  thresholds: { high: 90, low: 85, break: null },
  timeoutMS: 10_000,
  timeoutFactor: 2,
  // vitest strips types without checking them: no file needs a @ts-nocheck (in place, it would edit them all).
  disableTypeChecks: false,
};
