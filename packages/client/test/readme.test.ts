// README examples that are not executed rot: every ```ts block of README.md runs here, in order, as one
// module against a real server. The `ts authz` block is not run: it needs the data-plane listener
// (test/authz.test.ts covers the call against a stand-in speaking its protocol).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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

it("type-checks every ts block of the README, the ones not run included (strict, as a reader's code)", async () => {
  // Running strips the types, and the authz and webhooks blocks are not run: without this a block
  // naming a variable that does not exist, or a field the types refuse, would go unseen.
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/^```ts[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  // Inside the package, so `@credkit/client` and node's types resolve as in a reader's project.
  const check = await mkdtemp(fileURLToPath(new URL("../.readme-check-", import.meta.url)));
  try {
    const imports = blocks.join("\n").match(/^import .*;$/gm) ?? [];
    const body = blocks.join("\n").replace(/^import .*;$/gm, "");
    await writeFile(join(check, "readme.ts"), `${[...new Set(imports)].join("\n")}\n${body}\nexport {};\n`);
    await writeFile(
      join(check, "tsconfig.json"),
      JSON.stringify({
        extends: "../../../tsconfig.base.json",
        compilerOptions: { noEmit: true },
        files: ["readme.ts"],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", check]).then(
      () => "",
      (error: { stdout: string }) => error.stdout,
    );
    expect(run).toBe("");
  } finally {
    await rm(check, { recursive: true, force: true });
  }
}, 120_000);
