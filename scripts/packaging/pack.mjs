// Packs every public package under packages/ (each one's `prepack` builds it first) into the folder given
// as the first argument and prints one JSON line per tarball: { name, file, bytes, unpackedBytes }.
// New packages are picked up by themselves: whatever is not `"private": true` gets packed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";

const root = resolve(import.meta.dirname, "../..");
const out = resolve(process.argv[2] ?? join(root, ".cache/tarballs"));
mkdirSync(out, { recursive: true });

/** The public packages under packages/, by folder. */
export function publicPackages() {
  return readdirSync(join(root, "packages"))
    .map((dir) => join(root, "packages", dir))
    .filter((dir) => statSync(join(dir, "package.json"), { throwIfNoEntry: false }))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true);
}

for (const { dir, manifest } of publicPackages()) {
  const before = new Set(readdirSync(out));
  execFileSync("pnpm", ["pack", "--pack-destination", out], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const file = readdirSync(out).find((f) => !before.has(f) && f.endsWith(".tgz"));
  if (!file) throw new Error(`pnpm pack wrote no tarball for ${manifest.name}`);
  const bytes = statSync(join(out, file)).size;
  // A tar's content size: the sum of its 512-byte blocks is close enough for a size report.
  const unpackedBytes = gunzipSync(readFileSync(join(out, file))).length;
  console.log(JSON.stringify({ name: manifest.name, file: join(out, file), bytes, unpackedBytes }));
}
