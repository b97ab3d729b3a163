#!/usr/bin/env bash
# Mutation testing (issue 26; docs/development.md): `pnpm test:mutation [target...] [-- file...]`.
#   no argument: the recorded groups under mutation/, rerun where they changed (scripts/mutation-results.mjs)
#   targets: core storage-memory storage-redis storage-dynamodb (all of a target's files: hours)
#   files:   only these source files (one target), e.g. `pnpm test:mutation core -- packages/core/src/access.ts`
# Runs are incremental (.cache/stryker/, gitignored): a rerun tests only mutants whose code or covering
# tests changed. Stryker mutates the files in place and restores them when it ends (Ctrl-C included);
# do not edit or commit the mutated sources while it runs. STRYKER_CONCURRENCY (default 1) sets the
# number of test runners, STRYKER_NO_CHECKER=1 skips the TypeScript checker (faster, more noise).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || exec node scripts/mutation-results.mjs

targets=()
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; files=("$@"); break ;;
    core | storage-memory | storage-redis | storage-dynamodb) targets+=("$1"); shift ;;
    *) echo "unknown target: $1 (core, storage-memory, storage-redis, storage-dynamodb)" >&2; exit 2 ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "name a target before the files" >&2
  exit 2
fi
if [ ${#files[@]} -gt 0 ] && [ ${#targets[@]} -ne 1 ]; then
  echo "name one target when naming files" >&2
  exit 2
fi

# A previous run killed hard leaves instrumented sources behind: refuse to start over them.
if grep -rlq "stryMutAct_9fa48" packages/*/src 2>/dev/null; then
  echo "instrumented sources found (a killed Stryker run?): git checkout them first" >&2
  grep -rl "stryMutAct_9fa48" packages/*/src >&2
  exit 1
fi

mkdir -p .cache/stryker
for target in "${targets[@]}"; do
  echo "== mutation testing: $target"
  if [ ${#files[@]} -gt 0 ]; then
    STRYKER_TARGET="$target" STRYKER_MUTATE="$(IFS=,; echo "${files[*]}")" pnpm exec stryker run stryker.config.mjs
  else
    STRYKER_TARGET="$target" pnpm exec stryker run stryker.config.mjs
  fi
done
