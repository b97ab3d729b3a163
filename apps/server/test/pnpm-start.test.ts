import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// `pnpm start` as the README runs it, stopped the way a supervisor (systemd, a container runtime) stops
// it: SIGTERM to the process it started, pnpm. pnpm runs the script under `sh -c`, which does not pass
// signals on; without `exec` the server outlived its SIGTERM, orphaned, still holding its port.
// The root's start script is run as written, except that its build step becomes `true` and the built
// main the source one (building here would rewrite dist/ under the other packages' tests).
const root = fileURLToPath(new URL("../../../", import.meta.url));
const mainTs = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const groups: number[] = [];
const dirs: string[] = [];

afterAll(() => {
  // pnpm runs in its own process group: whatever it started, a leftover server included, goes with it.
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Whether something accepts connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("pnpm start", () => {
  it("stops the server when pnpm receives SIGTERM", async () => {
    const start: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.start;
    const [notice, build, run, ...rest] = start.split(" && ");
    // The first start is a long build: it says so before anything else.
    expect(notice).toMatch(/^echo '.*building.*' >&2$/);
    expect(build).toMatch(/^turbo run build /);
    expect(rest).toEqual([]);
    const fromSource = `node --conditions=credkit-source --import ${tsx} ${mainTs}`;
    const script = `true && ${(run as string).replace("node apps/server/dist/main.js", fromSource)}`;
    expect(script).toContain(fromSource);

    const dir = mkdtempSync(join(tmpdir(), "credkit-start-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "start", private: true, scripts: { start: script } }),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([n]) => !n.startsWith("CREDKIT_")));
    const pnpm = spawn("pnpm", ["start"], {
      cwd: dir,
      env: { ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (pnpm.pid) groups.push(pnpm.pid);
    let output = "";
    pnpm.stdout.on("data", (d) => {
      output += d;
    });
    pnpm.stderr.on("data", (d) => {
      output += d;
    });
    const port = await new Promise<number>((resolve, reject) => {
      pnpm.stderr.on("data", () => {
        const match = /credkit listening on http:\/\/[^\s/]+:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      pnpm.once("exit", (code) => reject(new Error(`pnpm start exited with ${code}: ${output}`)));
    });
    expect(await accepts(port)).toBe(true);

    pnpm.kill("SIGTERM");
    await once(pnpm, "exit");
    // The server drains and closes: poll until the port refuses (a leftover server would hold it).
    let open = true;
    for (let i = 0; i < 200 && open; i += 1) {
      open = await accepts(port);
      if (open) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(open, output).toBe(false);
  }, 60_000);
});
