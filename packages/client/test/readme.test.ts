// README examples that are not executed rot: every ```ts block of README.md runs here, in order, as one
// module against a real server. The `ts authz` block is not run: it needs the data-plane listener
// (test/authz.test.ts covers the call against a stand-in speaking its protocol).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startCredkit, tokens } from "./support/server.js";

let credkit: Awaited<ReturnType<typeof startCredkit>>;
let dir: string;
beforeAll(async () => {
  credkit = await startCredkit();
  dir = await mkdtemp(join(tmpdir(), "credkit-client-readme-"));
});
afterAll(async () => {
  await credkit.stop();
  await rm(dir, { recursive: true, force: true });
});

it("runs every ts example of the README against a real server", async () => {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  const source = fileURLToPath(new URL("../src/index.ts", import.meta.url));
  const script = join(dir, "readme.ts");
  await writeFile(
    script,
    blocks.join("\n").replace('from "@credkit/client"', `from ${JSON.stringify(source)}`),
  );
  vi.stubEnv("CREDKIT_URL", credkit.baseUrl);
  vi.stubEnv("CREDKIT_TOKEN", tokens.admin);
  vi.stubEnv("CREDKIT_RESOLVE_TOKEN", tokens.resolver);
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await import(/* @vite-ignore */ script);
    const printed = log.mock.calls.map((args) => JSON.stringify(args));
    expect(printed).toContain(JSON.stringify(["payments API", 2]));
    expect(printed).toContain(JSON.stringify([true, true]));
    expect(printed).toContain(JSON.stringify([["credentialName"]]));
    expect(printed).toContain(JSON.stringify([false]));
    expect(printed).toContain(JSON.stringify([{}, {}]));
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
});
