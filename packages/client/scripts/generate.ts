// Writes openapi.json (the server's document, generated from the zod schemas) and the TypeScript types
// derived from it. `pnpm --filter @credkit/client generate` after a schema change; test/generated.test.ts
// fails when the committed files drift from what this would write.
import { writeFile } from "node:fs/promises";
import { generatedFiles } from "./generated-files.js";

for (const [file, text] of Object.entries(await generatedFiles())) {
  await writeFile(new URL(`../${file}`, import.meta.url), text);
  console.log(`wrote ${file}`);
}
