// Runs a changesets command (`version` or `status`) with the public packages' `workspace:^` peer
// ranges on each other relaxed for the duration, then restores them.
//
// Why: the peers are `workspace:^` so that the published range (`^0.1.0`) refuses a mismatched 0.x
// minor. Changesets, though, treats a peer dependency leaving its range as a breaking change and bumps
// every dependent to a new major: a minor release of the lockstep group would come out as 1.0.0. The
// group always moves together, so that rule guards nothing here; relaxing the ranges while changesets
// plans the release keeps a minor a minor, and pnpm writes the new `^<version>` when it packs.
//
// Usage: node scripts/changesets-lockstep.mjs version | status [changeset args...]
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const [command, ...rest] = process.argv.slice(2);
if (command !== "version" && command !== "status") {
  console.error("usage: node scripts/changesets-lockstep.mjs version|status [args...]");
  process.exit(2);
}

const manifests = readdirSync(join(root, "packages"))
  .map((dir) => join(root, "packages", dir, "package.json"))
  .filter((file) => statSync(file, { throwIfNoEntry: false }));
const originals = new Map(manifests.map((file) => [file, readFileSync(file, "utf8")]));
let relaxed = 0;
for (const [file, text] of originals) {
  const manifest = JSON.parse(text);
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (name.startsWith("@credkit/") && range === "workspace:^") {
      manifest.peerDependencies[name] = "workspace:>=0.0.0";
      relaxed++;
    }
  }
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

let status = 1;
try {
  const result = spawnSync("pnpm", ["exec", "changeset", command, ...rest], { cwd: root, stdio: "inherit" });
  status = result.status ?? 1;
} finally {
  // `version` may have bumped versions and dependency ranges: put back only the relaxed peer ranges.
  for (const [file, text] of originals) {
    const before = JSON.parse(text);
    const after = JSON.parse(readFileSync(file, "utf8"));
    for (const [name, range] of Object.entries(before.peerDependencies ?? {})) {
      if (after.peerDependencies?.[name] === "workspace:>=0.0.0") after.peerDependencies[name] = range;
    }
    writeFileSync(file, `${JSON.stringify(after, null, 2)}\n`);
  }
}
console.error(
  `changesets-lockstep: ${relaxed} peer range(s) relaxed during \`changeset ${command}\`, restored`,
);
process.exit(status);
