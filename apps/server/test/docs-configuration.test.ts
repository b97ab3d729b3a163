import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { withRenderedConfigTable } from "../src/config-doc.js";
import { storageSchema } from "../src/config-schema.js";
import { tableRows } from "../src/config-table.js";

const src = new URL("../src/", import.meta.url);
const docs = new URL("../../../docs/", import.meta.url);

/** The server's sources: path → text. */
async function sources(): Promise<Map<string, string>> {
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts"));
  return new Map(
    await Promise.all(files.map(async (f) => [f, await readFile(new URL(f, src), "utf8")] as const)),
  );
}

/** Every `CREDKIT_…` name in the server's sources (prefix mentions like `CREDKIT_REDIS_*` left out). */
async function variablesNamed(): Promise<string[]> {
  const names = new Set<string>();
  for (const text of (await sources()).values()) {
    for (const [name] of text.matchAll(/CREDKIT_[A-Z0-9_]+/g)) if (!name.endsWith("_")) names.add(name);
  }
  return [...names].sort();
}

/** The rows of every table in docs/ whose first cell is a variable: file, name, and its cells. */
async function docRows(): Promise<{ file: string; name: string; cells: string[] }[]> {
  const files = (await readdir(docs)).filter((f) => f.endsWith(".md"));
  const rows = [];
  for (const file of files) {
    const text = await readFile(new URL(file, docs), "utf8");
    for (const [, name, rest] of text.matchAll(/^\| `([A-Z0-9_]+)` +\|(.*)\|$/gm)) {
      rows.push({ file, name: name as string, cells: (rest as string).split(" | ").map((c) => c.trim()) });
    }
  }
  return rows;
}

const table = new Map(tableRows().map((row) => [row.variable.name, row.variable]));

describe("docs/configuration.md and the configuration table", () => {
  it("is the table rendered from apps/server/src/config-table.ts", async () => {
    const text = await readFile(new URL("configuration.md", docs), "utf8");
    // On a difference: `pnpm --filter @credkit/server config:doc` rewrites it from the table.
    expect(text).toBe(withRenderedConfigTable(text));
    // A guard on the guard: the rendered rows are in the page.
    expect(text).toContain("| `CREDKIT_NEAR_CACHE_TTL_MS` ");
  });

  it("declares every variable once, and every CREDKIT_ name the server's sources mention", async () => {
    const names = tableRows().map((row) => row.variable.name);
    expect(new Set(names).size).toBe(names.length);
    const named = await variablesNamed();
    // The scan does find names (a few of every kind).
    expect(named).toEqual(
      expect.arrayContaining(["CREDKIT_USER_TOKENS", "CREDKIT_AUTHZ_PORT", "CREDKIT_WORKERS"]),
    );
    expect(named.filter((name) => !table.has(name))).toEqual([]);
  });

  it("reads the environment only through the table", async () => {
    const readers = [...(await sources())]
      .filter(([, text]) => /process\.env\.[A-Z]|\benv\.[A-Z]|\benv\[/.test(text))
      .map(([file]) => file);
    // config.ts's readTable is the one reader; cli.ts hands process.env over whole.
    expect(readers).toEqual(["config.ts"]);
  });

  it("gives the table's default wherever a page lists a variable with its default", async () => {
    const rows = (await docRows()).filter((row) => row.file !== "configuration.md" && table.has(row.name));
    // The pages that explain variables in their own tables (security limits, scaling, proxies).
    expect(new Set(rows.map((row) => row.file)).size).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row.cells[0], `${row.file}: ${row.name}`).toBe(table.get(row.name)?.defaultDoc);
    }
  });

  it("names every field a region map entry takes, as the schema that checks them does", async () => {
    const text = await readFile(new URL("configuration.md", docs), "utf8");
    const section = text.slice(text.indexOf("### Region maps"), text.indexOf("### One start line per store"));
    const fields = storageSchema.options.flatMap((option) => Object.keys(option.shape));
    expect(fields).toEqual(expect.arrayContaining(["url", "sentinels", "waitTimeoutMs", "createTable"]));
    expect(fields.filter((field) => !section.includes(`\`${field}\``))).toEqual([]);
  });

  it("links a row only to a document that describes the variable", async () => {
    for (const { file: page, name, cells } of await docRows()) {
      if (page !== "configuration.md") continue;
      for (const [, file] of cells.join(" | ").matchAll(/\]\(([^)#]+\.md)(?:#[^)]*)?\)/g)) {
        const target = await readFile(new URL(file as string, docs), "utf8");
        expect(target, `${name} → ${file}`).toContain(`\`${name}\``);
      }
    }
  });
});
