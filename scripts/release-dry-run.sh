#!/usr/bin/env bash
# The release's dry run (CI): what `pnpm release` would publish, without the network or npm credentials.
#   1. `changeset status` (through the lockstep wrapper) must plan no accidental major: a major only
#      when a changeset asks for one.
#   2. Every public package is publishable: not private, `publishConfig.access` public, in the
#      changesets fixed group, with LICENSE and README.
#   3. With --pack: every public package is packed (each builds first) into a temp folder; the packaging
#      test does this too and then installs the tarballs, so CI runs that instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

node scripts/changesets-lockstep.mjs status --output "$WORK/plan.json" >/dev/null 2>"$WORK/status.log" || {
  cat "$WORK/status.log" >&2
  echo "release dry run: changeset status failed" >&2
  exit 1
}
node - "$WORK/plan.json" <<'NODE'
const fs = require("node:fs");
const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const config = JSON.parse(fs.readFileSync(".changeset/config.json", "utf8"));
const fixed = new Set(config.fixed.flat());
const asked = new Set(plan.changesets.flatMap((c) => c.releases.filter((r) => r.type === "major").map((r) => r.name)));
const problems = [];
for (const r of plan.releases) {
  if (r.type === "major" && !asked.has(r.name) && ![...asked].some((n) => fixed.has(n) && fixed.has(r.name))) {
    problems.push(`${r.name} would be released as a major (${r.newVersion}) without a changeset asking for it`);
  }
}
const dirs = fs.readdirSync("packages").filter((d) => fs.existsSync(`packages/${d}/package.json`));
for (const d of dirs) {
  const p = JSON.parse(fs.readFileSync(`packages/${d}/package.json`, "utf8"));
  if (p.private) continue;
  if (p.publishConfig?.access !== "public") problems.push(`${p.name}: publishConfig.access is not "public"`);
  if (!fixed.has(p.name)) problems.push(`${p.name}: not in the changesets fixed (lockstep) group`);
  for (const f of ["LICENSE", "README.md"]) if (!fs.existsSync(`packages/${d}/${f}`)) problems.push(`${p.name}: no ${f}`);
  if (!p.scripts?.prepack) problems.push(`${p.name}: no prepack build`);
}
for (const r of plan.releases.filter((r) => r.type !== "none")) console.log(`release dry run: ${r.name} ${r.oldVersion} -> ${r.newVersion} (${r.type})`);
if (problems.length) {
  console.error(problems.map((p) => `release dry run: ${p}`).join("\n"));
  process.exit(1);
}
NODE

if [[ "${1:-}" == "--pack" ]]; then
  node scripts/packaging/pack.mjs "$WORK/tarballs"
fi
echo "release dry run: ok"
