import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** README.md, docs/*.md and packages/*\/README.md: the documents a reader follows links through. */
async function documents(): Promise<string[]> {
  const docs = (await readdir(join(root, "docs")))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(root, "docs", f));
  const packages = (await readdir(join(root, "packages")))
    .map((p) => join(root, "packages", p, "README.md"))
    .filter((f) => existsSync(f));
  return [join(root, "README.md"), ...docs, ...packages];
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = slug(heading as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** The text outside fenced code blocks (a `#` comment there is not a heading). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, "");
}

/** The text outside fenced code blocks and inline code (a link there is not a link). */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, "");
}

describe("relative links in the documentation", () => {
  it("reach an existing file, and a heading of it when they name one", async () => {
    const broken: string[] = [];
    const files = await documents();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = await readFile(file, "utf8");
      for (const [, target] of withoutCode(text).matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)) {
        const link = target as string;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        const [path = "", anchor] = link.split("#");
        const resolved = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)} → ${link}`;
        if (!existsSync(resolved)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchors(await readFile(resolved, "utf8")).has(anchor)) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
