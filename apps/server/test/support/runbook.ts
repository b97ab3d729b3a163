import { readFileSync } from "node:fs";

/**
 * The operator runbook of docs/operations.md ("When something is wrong"), its markdown line breaks and
 * code marks removed, so a test can check that the runbook quotes the message a fault really prints.
 */
export function runbookText(): string {
  const doc = readFileSync(new URL("../../../../docs/operations.md", import.meta.url), "utf8");
  const start = doc.indexOf("## When something is wrong");
  const end = doc.indexOf("\n## ", start + 1);
  if (start < 0) throw new Error("docs/operations.md has no runbook section");
  return doc
    .slice(start, end < 0 ? undefined : end)
    .replace(/`/g, "")
    .replace(/\s+/g, " ");
}

/** The line of `output` that contains `fragment` (the message as printed), or a failure naming it. */
export function printedLine(output: string, fragment: string): string {
  const line = output.split("\n").find((l) => l.includes(fragment));
  if (!line) throw new Error(`no printed line contains ${JSON.stringify(fragment)}:\n${output}`);
  return line.trim();
}
