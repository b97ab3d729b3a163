// The recorded mutation results (issue 26, docs/development.md "Mutation testing"): each file under
// mutation/<target>/ is Stryker's own incremental file of one group (some source files, run against the
// test files that exercise them), committed so that a clean clone knows every mutant's last result.
//
//   pnpm test:mutation (CI runs it)   reruns, incrementally, each group whose sources or test files no
//                                     longer read as recorded, prints the per-file table, and fails on a
//                                     file below its target or a file in scope no group measures
//   ... --recorded                    only prints the table as recorded, running nothing
//   ... --force <target>/<group>      reruns that group whole (every mutant), then checks as above
//
// A group is fresh when every file it mutated and every test file it ran reads byte for byte as
// recorded: then Stryker's incremental run would reuse every result, and skipping it saves its start-up
// (a dry run of the group's tests, 30 s to minutes). A stale group is run again through
// scripts/mutation.sh with its own files and tests; Stryker reruns only the mutants whose code or
// covering tests changed, and the group's file is rewritten (commit it). Like Stryker's incremental
// mode, this sees changes to the mutated files and the tests, not to other code they call.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(root, "mutation");

/** The score each target's files must reach (issue 26): core's security code 90, the adapters 85. */
const TARGET_SCORE = { core: 90, "storage-memory": 85, "storage-redis": 85, "storage-dynamodb": 85 };

/** What is in scope: the same lists stryker.config.mjs mutates, read from it (one place). */
const { targets } = await import(path.join(root, "stryker.config.mjs"));

/**
 * The exceptions, each with its reason: files in scope that no group measures, and files measured below
 * their target (what is left to do). A listed file that reaches its target fails the check: the list
 * must stay true.
 */
const { notMeasured, belowTarget } = JSON.parse(
  readFileSync(path.join(resultsDir, "exceptions.json"), "utf8"),
);

/** Each file's score before issue 26's work (the issue's figure, else the file's first run): printed beside. */
const before = JSON.parse(readFileSync(path.join(resultsDir, "before.json"), "utf8"));
const beforeOf = (file) => before.issue26[file] ?? before.firstRun[file];

const check = !process.argv.includes("--recorded");
const forced = process.argv.includes("--force")
  ? process.argv[process.argv.indexOf("--force") + 1]
  : undefined;

/** Stryker's score: killed and timed out over every mutant that ran or had no test (ignored ones excluded). */
function count(mutants) {
  const c = { killed: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const m of mutants) {
    if (m.status === "Killed" || m.status === "Timeout") c.killed++;
    else if (m.status === "Survived") c.survived++;
    else if (m.status === "NoCoverage") c.noCoverage++;
    else if (m.status === "Ignored") c.ignored++;
    else c.errors++; // CompileError, RuntimeError: the mutant is not valid code, not a test gap
  }
  const valid = c.killed + c.survived + c.noCoverage;
  return { ...c, score: valid === 0 ? 100 : (100 * c.killed) / valid };
}

const read = (file) =>
  existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), "utf8") : null;

/** The files of a group that no longer read as recorded (sources and tests). */
function changedFiles(report) {
  const recorded = [
    ...Object.entries(report.files).map(([file, f]) => [file, f.source]),
    ...Object.entries(report.testFiles ?? {}).map(([file, f]) => [file, f.source]),
  ];
  return recorded.filter(([file, source]) => read(file) !== source).map(([file]) => file);
}

/** Runs a group again through scripts/mutation.sh, incrementally, over its own recorded file. */
function rerun(target, groupFile, report, force) {
  const packageDir = `packages/${target}/`;
  const tests = Object.keys(report.testFiles ?? {})
    .filter((file) => read(file) !== null)
    .map((file) => file.slice(packageDir.length));
  execFileSync("bash", ["scripts/mutation.sh", target, "--", ...Object.keys(report.files)], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      CREDKIT_TEST_FILES: tests.join(","),
      STRYKER_INCREMENTAL_FILE: path.relative(root, groupFile),
      STRYKER_NO_CHECKER: "1",
      STRYKER_FORCE: force ? "1" : "0",
    },
  });
  return JSON.parse(readFileSync(groupFile, "utf8"));
}

const rows = [];
const measured = new Set();
let failed = false;
for (const target of Object.keys(TARGET_SCORE)) {
  const dir = path.join(resultsDir, target);
  const groups = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  for (const name of groups) {
    const groupFile = path.join(dir, name);
    let report = JSON.parse(readFileSync(groupFile, "utf8"));
    const group = `${target}/${name.replace(/\.json$/, "")}`;
    const changed = changedFiles(report);
    if (changed.length > 0) {
      console.log(`${group}: ${changed.length} file(s) changed since recorded (${changed.join(", ")})`);
    }
    if (check && (changed.length > 0 || forced === group))
      report = rerun(target, groupFile, report, forced === group);
    for (const [file, { mutants }] of Object.entries(report.files)) {
      if (measured.has(file)) {
        console.error(`${file} is measured by two groups; keep it in one`);
        failed = true;
      }
      measured.add(file);
      const c = count(mutants);
      const below = c.score < TARGET_SCORE[target];
      if (below !== file in belowTarget) {
        console.error(
          below ? `${file} is below its target` : `${file} reached its target: remove it from belowTarget`,
        );
        failed = true;
      }
      rows.push({ file, group, ...c, below, stale: changed.length > 0 && !check });
    }
  }
}

// Every file in scope is measured or listed with its reason.
const inScope = execFileSync(
  "git",
  [
    "ls-files",
    "--",
    ...Object.values(targets)
      .flat()
      .map((g) => `:(glob)${g.replace(/^!/, "")}`),
  ],
  {
    cwd: root,
    encoding: "utf8",
  },
)
  .split("\n")
  .filter(
    (file) =>
      file &&
      !Object.values(targets)
        .flat()
        .some((g) => g.startsWith("!") && g.slice(1) === file),
  );
const missing = inScope.filter((file) => !measured.has(file) && !(file in notMeasured));
// The exceptions stay true: a file listed as not measured that a group now measures, or a listed file
// no longer in scope, is a stale line.
const staleExceptions = Object.keys(notMeasured).filter(
  (file) => measured.has(file) || !inScope.includes(file),
);
const pct = (n) => n.toFixed(1).padStart(6);
console.log(
  `\n${"file".padEnd(58)} ${"before".padStart(6)} ${"score".padStart(6)} killed survived no-cov ignored`,
);
for (const r of rows.sort((a, b) => a.file.localeCompare(b.file))) {
  const mark = r.below
    ? `  < target: ${belowTarget[r.file]}`
    : r.stale
      ? "  (stale: recorded before the last change)"
      : "";
  console.log(
    `${r.file.padEnd(58)} ${beforeOf(r.file) === undefined ? "     -" : pct(beforeOf(r.file))} ${pct(r.score)} ${String(r.killed).padStart(6)} ${String(r.survived).padStart(8)} ${String(r.noCoverage).padStart(6)} ${String(r.ignored).padStart(7)}${mark}`,
  );
}
// Each target's measured files together (the issue's targets are per package and folder).
for (const target of Object.keys(TARGET_SCORE)) {
  const own = rows.filter((r) => r.file.startsWith(`packages/${target}/`));
  const killed = own.reduce((n, r) => n + r.killed, 0);
  const valid = own.reduce((n, r) => n + r.killed + r.survived + r.noCoverage, 0);
  if (valid > 0)
    console.log(
      `${`${target}: ${own.length} files measured, together`.padEnd(58)} ${
        target in before.issue26Packages ? pct(before.issue26Packages[target]) : "     -"
      } ${pct((100 * killed) / valid)}`,
    );
}
for (const file of Object.keys(notMeasured))
  console.log(`${file.padEnd(58)}      -   (${notMeasured[file]})`);
if (staleExceptions.length > 0) {
  console.error(
    `\nlisted in notMeasured but measured or out of scope: ${staleExceptions.join(", ")}; remove them`,
  );
  failed = true;
}
if (missing.length > 0) {
  console.error(`\nin scope but measured by no group: ${missing.join(", ")}`);
  failed = true;
}
if (check && failed) {
  console.error(
    "\nmutation results: a file is below its target, measured twice, or not measured (see above)",
  );
  process.exit(1);
}
