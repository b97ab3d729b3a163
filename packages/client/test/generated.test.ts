import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../scripts/generated-files.js";

describe("generated OpenAPI document and types", () => {
  it("match what the server's zod schemas generate today (run `pnpm --filter @credkit/client generate` if not)", async () => {
    for (const [file, expected] of Object.entries(await generatedFiles())) {
      const committed = await readFile(new URL(`../${file}`, import.meta.url), "utf8");
      expect(committed, `${file} drifted from the zod schemas`).toBe(expected);
    }
  }, 60_000);
});
