import { tableRows } from "./config-table.js";

/** The markers around the generated table in docs/configuration.md. */
export const configDocMarkers = {
  begin:
    "<!-- config-table:begin (generated from apps/server/src/config-table.ts by `pnpm --filter @credkit/server config:doc`: edit the table, not these lines) -->",
  end: "<!-- config-table:end -->",
} as const;

/**
 * The variable table of docs/configuration.md, rendered from the configuration table: variable,
 * default, the option it sets (section and key: what an embedding service passes to the same package),
 * and its line.
 */
export function renderConfigTable(): string {
  const header = ["Variable", "Default", "Option", "Meaning"];
  const rows = tableRows().map(({ path, variable }) => [
    `\`${variable.name}\``,
    variable.defaultDoc,
    `\`${path}\``,
    variable.see ? `${variable.doc} (${variable.see})` : variable.doc,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => width(row[column]))));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell + " ".repeat((widths[column] ?? 0) - width(cell))).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Characters as a monospace editor shows them (the table is aligned for people reading the source). */
function width(cell: string | undefined): number {
  return [...(cell ?? "")].length;
}

/** `document` with the text between the markers replaced by the rendered table. */
export function withRenderedConfigTable(document: string): string {
  const start = document.indexOf(configDocMarkers.begin);
  const end = document.indexOf(configDocMarkers.end);
  if (start < 0 || end < start) throw new Error("docs/configuration.md lacks the config-table markers");
  return `${document.slice(0, start + configDocMarkers.begin.length)}\n\n${renderConfigTable()}\n\n${document.slice(end)}`;
}
