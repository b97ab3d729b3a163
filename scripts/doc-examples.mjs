// The doc-example test: every fenced block marked runnable in README.md, docs/*.md and
// packages/*/README.md is extracted and executed, so an example cannot drift from the code.
//
//   ```ts runnable   type-checked (strict) and run with the workspace packages (from source), with a
//                    real redis-server's address in REDIS_URL; must exit 0 by itself within a minute
//   ```sh runnable   run with bash -euo pipefail against a started server: API, TOKEN (all clients),
//                    RESOLVE_TOKEN (the resolve scope); must exit 0 within a minute
//   ```ts file=PATH  must be identical to the file PATH (a file another test runs)
//
// Usage: node scripts/doc-examples.mjs   (pnpm test:docs)
//        node scripts/doc-examples.mjs --sync-files   copies each pinned file into its block, then stops
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
// Examples run from inside the server app, whose dependencies are every runtime package credkit has.
const runDir = join(root, "apps/server/.doc-examples");
const tsx = pathToFileURL(createRequire(join(root, "package.json")).resolve("tsx")).href;
const timeoutMs = 60_000;

function docFiles() {
  const files = [join(root, "README.md")];
  for (const f of readdirSync(join(root, "docs"))) if (f.endsWith(".md")) files.push(join(root, "docs", f));
  for (const dir of readdirSync(join(root, "packages"))) {
    const readme = join(root, "packages", dir, "README.md");
    if (existsSync(readme)) files.push(readme);
  }
  return files;
}

/** Fenced blocks with their info string and line, in order. */
function blocks(file) {
  const found = [];
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S+)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    found.push({ file, line: start + 1, lang: open[1], info: open[2].trim(), code: `${body.join("\n")}\n` });
  }
  return found;
}

function run(command, args, options, limitMs = timeoutMs) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\n(did not exit within ${limitMs / 1000} s)`;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ ok: code === 0, output, code: code ?? signal });
    });
  });
}

/** The server, from source, on a free port, with known tokens; resolves once it listens. */
async function startServer(tokens) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CREDKIT_")));
  const child = spawn(
    process.execPath,
    ["--conditions=credkit-source", "--import", tsx, join(root, "apps/server/src/main.ts")],
    {
      env: {
        ...env,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        CREDKIT_USER_TOKENS: JSON.stringify(tokens),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const url = await new Promise((resolvePromise, reject) => {
    const onData = (d) => {
      output += d;
      const match = /credkit listening on (http:\/\/[^\s/]+:\d+)/.exec(output);
      if (match) resolvePromise(match[1].replace("localhost", "127.0.0.1"));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

const all = docFiles().flatMap(blocks);
const ts = all.filter((b) => b.lang === "ts" && b.info === "runnable");
const sh = all.filter((b) => b.lang === "sh" && b.info === "runnable");
const pinned = all.filter((b) => b.info.startsWith("file="));
const failures = [];
const where = (b) => `${relative(root, b.file)}:${b.line}`;

if (process.argv.includes("--sync-files")) {
  for (const block of pinned) {
    const text = readFileSync(block.file, "utf8").split("\n");
    const end = text.findIndex((l, i) => i >= block.line && /^```\s*$/.test(l));
    const content = readFileSync(join(root, block.info.slice("file=".length)), "utf8").replace(/\n$/, "");
    text.splice(block.line, end - block.line, content);
    writeFileSync(block.file, text.join("\n"));
    console.log(`synced ${where(block)}`);
  }
  process.exit(0);
}

for (const block of pinned) {
  const path = join(root, block.info.slice("file=".length));
  if (!existsSync(path) || readFileSync(path, "utf8") !== block.code) {
    failures.push(`${where(block)}: differs from ${relative(root, path)} (copy the file into the block)`);
  }
}

rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const names = ts.map((b, i) => {
  const name = `${relative(root, b.file).replace(/[^A-Za-z0-9]+/g, "-")}-${b.line}-${i}.ts`;
  writeFileSync(join(runDir, name), b.code);
  return name;
});
writeFileSync(
  join(runDir, "tsconfig.json"),
  JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true }, include: ["*.ts"] }),
);

const stateDir = mkdtempSync(join(tmpdir(), "credkit-doc-examples-"));
let server;
try {
  // Type-check every TypeScript example at once, strictly, as a user's editor would.
  if (ts.length > 0) {
    // One compiler run for every example at once, over the workspace's sources: bounded more loosely
    // than an example's own run (over a minute on a loaded two-core machine).
    const check = await run(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", runDir],
      { cwd: runDir },
      300_000,
    );
    if (!check.ok) failures.push(`type check of the TypeScript examples failed:\n${check.output}`);
  }
  const redisUrl = execFileSync(
    "bash",
    [join(root, "scripts/redis.sh"), "start-standalone", join(stateDir, "redis")],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  ).trim();
  for (const [i, block] of ts.entries()) {
    const result = await run(process.execPath, ["--conditions=credkit-source", "--import", tsx, names[i]], {
      cwd: runDir,
      env: { ...process.env, REDIS_URL: redisUrl, CREDKIT_MASTER_KEY: "" },
    });
    console.log(`${result.ok ? "ok  " : "FAIL"} ts ${where(block)}`);
    if (!result.ok) failures.push(`${where(block)} exited with ${result.code}:\n${result.output}`);
  }
  if (sh.length > 0) {
    const token = randomBytes(18).toString("base64url");
    const resolveToken = randomBytes(18).toString("base64url");
    server = await startServer([
      { token, userId: "docs", clientIds: "*" },
      { token: resolveToken, userId: "docs-proxy", clientIds: "*", scopes: ["resolve"] },
    ]);
    for (const block of sh) {
      const result = await run("bash", ["-euo", "pipefail", "-c", block.code], {
        cwd: root,
        env: { ...process.env, API: `${server.url}/api`, TOKEN: token, RESOLVE_TOKEN: resolveToken },
      });
      console.log(`${result.ok ? "ok  " : "FAIL"} sh ${where(block)}`);
      if (!result.ok) failures.push(`${where(block)} exited with ${result.code}:\n${result.output}`);
    }
  }
} finally {
  server?.stop();
  try {
    execFileSync("bash", [join(root, "scripts/redis.sh"), "stop", join(stateDir, "redis")], {
      stdio: "ignore",
    });
  } catch {}
  rmSync(stateDir, { recursive: true, force: true });
}

console.log(`doc examples: ${ts.length} TypeScript, ${sh.length} shell, ${pinned.length} pinned to files`);
if (failures.length > 0) {
  console.error(`\n${failures.join("\n\n")}`);
  process.exit(1);
}
