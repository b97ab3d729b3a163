import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const src = new URL("../src/", import.meta.url);
const docs = new URL("../../../docs/", import.meta.url);

/** Every `CREDKIT_…` name in the server's sources (prefix mentions like `CREDKIT_REDIS_*` left out). */
async function variablesRead(): Promise<string[]> {
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts"));
  const names = new Set<string>();
  for (const file of files) {
    const text = await readFile(new URL(file, src), "utf8");
    for (const [name] of text.matchAll(/CREDKIT_[A-Z0-9_]+/g)) if (!name.endsWith("_")) names.add(name);
  }
  return [...names].sort();
}

/** The rows of docs/configuration.md's variable table: name → the rest of its line. */
async function configurationRows(): Promise<Map<string, string>> {
  const text = await readFile(new URL("configuration.md", docs), "utf8");
  return new Map(
    [...text.matchAll(/^\| `([A-Z0-9_]+)` +\|(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
}

describe("docs/configuration.md", () => {
  it("has a row for every CREDKIT_ variable the server reads", async () => {
    const read = await variablesRead();
    // A guard on the guard: the scan does find the variables (a few of every kind).
    expect(read).toEqual(
      expect.arrayContaining([
        "CREDKIT_USER_TOKENS",
        "CREDKIT_AUTHZ_PORT",
        "CREDKIT_WORKERS",
        "CREDKIT_TRUSTED_PROXIES",
      ]),
    );
    const rows = await configurationRows();
    expect(read.filter((name) => !rows.has(name))).toEqual([]);
  });

  it("links a row only to a document that describes the variable", async () => {
    for (const [name, row] of await configurationRows()) {
      for (const [, file] of row.matchAll(/\]\(([^)#]+\.md)(?:#[^)]*)?\)/g)) {
        const target = await readFile(new URL(file as string, docs), "utf8");
        expect(target, `${name} → ${file}`).toContain(`\`${name}\``);
      }
    }
  });
});
