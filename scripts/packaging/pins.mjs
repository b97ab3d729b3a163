// The packaging test's third-party pins: scripts/packaging/consumer/package.json names exact versions and
// its committed package-lock.json fixes every transitive one, so the gate's answer does not change when a
// registry publishes a release. The @credkit tarballs are installed on top of that tree at test time.
//
//   node pins.mjs check <app dir>        every installed third-party package is the locked version; a
//                                        package the lock lacks (a new dependency of a tarball) is drift too
//   node pins.mjs latest <app dir> <node major>
//                                        rewrite <app dir>/package.json to the newest versions the packages'
//                                        own ranges allow (for `pnpm test:latest`) and drop its lockfile
//   node pins.mjs drift <app dir>        print "name pinned newest" for each direct dependency that moved
//   node pins.mjs update                 regenerate the committed lockfile from the consumer manifest
//                                        (needs the registry; run it when you move a pin on purpose)
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const consumerDir = resolve(import.meta.dirname, "consumer");
const [command, appDir, ...rest] = process.argv.slice(2);
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const lockedPackages = (file) => readJson(file).packages ?? {};
const isCredkit = (path) => /(^|\/)node_modules\/@credkit\//.test(path);

if (command === "check") {
  const pinned = lockedPackages(join(consumerDir, "package-lock.json"));
  const installed = lockedPackages(join(appDir, "node_modules/.package-lock.json"));
  const drift = [];
  for (const [path, entry] of Object.entries(installed)) {
    if (path === "" || isCredkit(path) || entry.link) continue;
    // A dependency nested under a tarball (node_modules/@credkit/x/node_modules/y) is not in the lock either.
    const want = pinned[path]?.version;
    if (want !== entry.version)
      drift.push(
        `${path.replace(/^.*node_modules\//, "")}@${entry.version}${want ? ` (locked: ${want})` : " (not in the lockfile)"}`,
      );
  }
  if (drift.length > 0) {
    console.error(
      `packaging: ${drift.length} third-party package(s) were not installed at the committed lockfile's version:\n  ${drift.join("\n  ")}\n` +
        "packaging: a tarball asks for a package or range the consumer's lockfile does not pin. Add it to\n" +
        "scripts/packaging/consumer/package.json at an exact version, then run `node scripts/packaging/pins.mjs update`.",
    );
    process.exit(1);
  }
  console.log(
    `packaging: all ${Object.keys(installed).length - 1} installed packages match the committed lockfile`,
  );
} else if (command === "latest") {
  const [nodeMajor] = rest;
  const packagesDir = resolve(import.meta.dirname, "../../packages");
  const manifests = readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, "package.json")))
    .map((dir) => readJson(join(packagesDir, dir, "package.json")))
    .filter((m) => m.private !== true);
  const ranges = {};
  for (const m of manifests) {
    for (const [name, range] of Object.entries({ ...m.dependencies, ...m.peerDependencies })) {
      if (!name.startsWith("@credkit/")) ranges[name] = range;
    }
  }
  // vitest 5 needs Node 22: on Node 20 the newest a user can run is the suite's newest 4.x.
  if (Number(nodeMajor) < 22 && ranges.vitest) ranges.vitest = "^4";
  const manifest = readJson(join(appDir, "package.json"));
  for (const deps of [manifest.dependencies, manifest.devDependencies]) {
    for (const name of Object.keys(deps)) deps[name] = ranges[name] ?? newestOf(name, Number(nodeMajor));
  }
  writeFileSync(join(appDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(join(appDir, "package-lock.json"), { force: true });
} else if (command === "drift") {
  const pinned = readJson(join(consumerDir, "package.json"));
  for (const name of Object.keys({ ...pinned.dependencies, ...pinned.devDependencies })) {
    const newest = readJson(join(appDir, "node_modules", name, "package.json")).version;
    const was = pinned.dependencies?.[name] ?? pinned.devDependencies?.[name];
    if (newest !== was) console.log(`${name} ${was} ${newest}`);
  }
} else if (command === "update") {
  execFileSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: consumerDir,
    stdio: "inherit",
    timeout: 300_000,
  });
  console.log("packaging: scripts/packaging/consumer/package-lock.json regenerated; commit it");
} else {
  console.error("usage: pins.mjs check <app> | latest <app> <node major> | drift <app> | update");
  process.exit(2);
}

/** The range a consumer would write today for a package no credkit manifest constrains. */
function newestOf(name, nodeMajor) {
  if (name === "@types/node") return `^${Math.min(nodeMajor, 24)}`;
  // TypeScript 7 is a new compiler: credkit's declarations are checked with the newest 5.x.
  if (name === "typescript") return "^5";
  return "*";
}
