import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./server-process.js";

/** A free loopback port (the socket is closed before returning; the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

/** One backend server's line of HAProxy's `show stat`: its state and how many requests it got. */
export interface BackendStat {
  name: string;
  status: string;
  /** Sessions (requests, without keep-alive reuse) sent to it in total. */
  total: number;
}

/**
 * Debian's HAProxy in the foreground (`-db`) with a generated config in a temp dir: one HTTP frontend
 * on a free port, round robin over `backends`, health checked with `GET /readyz`. Connection failures
 * are retried on another server (safe even for POST: nothing reached the dead one); requests in flight
 * on a server that dies fail with 502.
 */
export async function startHaproxy(backends: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "credkit-haproxy-"));
  const port = await freePort();
  const socket = join(dir, "admin.sock");
  const servers = backends
    .map((url, i) => `  server s${i} ${new URL(url).host.replace("localhost", "127.0.0.1")} check`)
    .join("\n");
  const config = `global
  maxconn 2000
  stats socket ${socket} mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 20s
  timeout server 20s
  # A slow answer on a loaded machine is not a dead server: only a refused connection or 3 s of silence.
  timeout check 3s
  retries 3
  option redispatch 1
  retry-on conn-failure
frontend api
  bind 127.0.0.1:${port}
  default_backend credkit
backend credkit
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 200ms fall 3 rise 1
${servers}
`;
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, config);
  const child: ChildProcess = spawn("haproxy", ["-db", "-f", file, "-p", join(dir, "haproxy.pid")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = once(child, "exit");

  /** `show stat` over the admin socket, one entry per backend server. */
  async function stats(): Promise<BackendStat[]> {
    const text = await new Promise<string>((resolve, reject) => {
      const conn = createConnection(socket);
      let data = "";
      conn.on("data", (d) => {
        data += d;
      });
      conn.on("end", () => resolve(data));
      conn.on("error", reject);
      conn.end("show stat\n");
    });
    const [header, ...rows] = text.trim().split("\n");
    const columns = (header ?? "").replace(/^# /, "").split(",");
    const col = (name: string) => columns.indexOf(name);
    return rows
      .map((row) => row.split(","))
      .filter((cells) => cells[col("pxname")] === "credkit" && /^s\d+$/.test(cells[col("svname")] ?? ""))
      .map((cells) => ({
        name: cells[col("svname")] as string,
        status: cells[col("status")] as string,
        total: Number(cells[col("stot")]),
      }));
  }

  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await stats()).filter((s) => s.status === "UP").length === backends.length,
    20_000,
    `haproxy with every backend UP (${output})`,
  );
  return {
    url,
    stats,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
