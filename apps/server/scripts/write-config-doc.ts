// Rewrites the variable table of docs/configuration.md from the configuration table
// (`pnpm --filter @credkit/server config:doc`); docs-configuration.test.ts fails while they differ.
import { readFile, writeFile } from "node:fs/promises";
import { withRenderedConfigTable } from "../src/config-doc.js";

const doc = new URL("../../../docs/configuration.md", import.meta.url);
await writeFile(doc, withRenderedConfigTable(await readFile(doc, "utf8")));
