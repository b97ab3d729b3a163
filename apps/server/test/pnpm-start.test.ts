import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// `pnpm start` as the README runs it, stopped the way a supervisor (systemd, a container runtime) stops
// it: SIGTERM to the process it started, pnpm. pnpm runs the script under `sh -c`, which does not pass
// signals on; without `exec` the server outlived its SIGTERM, orphaned, still holding its port.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const groups: number[] = [];

afterAll(() => {
  // pnpm runs in its own process group: whatever it started, a leftover server included, goes with it.
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
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
    const env = Object.fromEntries(Object.entries(process.env).filter(([n]) => !n.startsWith("CREDKIT_")));
    const pnpm = spawn("pnpm", ["start"], {
      cwd: root,
      env: { ...env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", TURBO_TELEMETRY_DISABLED: "1" },
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
      pnpm.stdout.on("data", () => {
        const match = /listening on http:\/\/localhost:(\d+)/.exec(output);
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
  }, 180_000);
});
