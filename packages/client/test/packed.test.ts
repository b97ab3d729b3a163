// The client as a user installs it: built, packed with `pnpm pack`, installed from the tarball into a
// project outside the workspace (it has no runtime dependency, so no registry is needed), type-checked
// there with the shipped declarations, and run against a real server.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCredkit, tokens } from "./support/server.js";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const consumer = `import { CredkitApiError, createCredkitClient, type Credential } from "@credkit/client";

const client = createCredkitClient({ baseUrl: process.env.CREDKIT_URL as string, token: process.env.CREDKIT_TOKEN as string });
const { credential } = await client.createCredential("packed", {
  credentialName: "from the tarball",
  credentialType: "target",
  authType: "bearer",
  region: "eu-west-1",
  secret: { token: "packed-secret-value" },
});
const all: Credential[] = [];
for await (const c of client.listAll("packed")) all.push(c);
const missing = await client.getCredential("packed", "eu-west-1.AAAAAAAAAAAAAAAAAAAAAA").catch((e: unknown) => e);
console.log(JSON.stringify({
  name: credential.credentialName,
  listed: all.length,
  missing: missing instanceof CredkitApiError ? missing.code : "not an error",
}));
`;

let project: string;
let credkit: Awaited<ReturnType<typeof startCredkit>>;
beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "credkit-client-packed-"));
  credkit = await startCredkit();
}, 120_000);
afterAll(async () => {
  await credkit?.stop();
  await rm(project, { recursive: true, force: true });
});

describe("the packed @credkit/client", () => {
  it("installs from its tarball outside the workspace, type-checks and talks to a real server", async () => {
    await run("pnpm", ["exec", "tsup"], { cwd: packageDir, timeout: 120_000 });
    await run("pnpm", ["pack", "--pack-destination", project], { cwd: packageDir, timeout: 60_000 });
    const tarball = (await readdir(project)).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", `./${tarball}`], {
      cwd: project,
      timeout: 120_000,
    });
    await writeFile(join(project, "check.ts"), consumer);
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          lib: ["ES2023", "DOM"],
          types: [],
          outDir: "out",
        },
        files: ["check.ts", "env.d.ts"],
      }),
    );
    // Enough of Node's globals for the consumer, without installing @types/node there.
    await writeFile(
      join(project, "env.d.ts"),
      "declare const process: { env: Record<string, string | undefined> };\n",
    );
    await run(process.execPath, [tsc, "-p", "."], { cwd: project, timeout: 120_000 });
    const { stdout } = await run(process.execPath, ["out/check.js"], {
      cwd: project,
      env: { ...process.env, CREDKIT_URL: credkit.baseUrl, CREDKIT_TOKEN: tokens.admin },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ name: "from the tarball", listed: 1, missing: "NOT_FOUND" });
  }, 240_000);
});
