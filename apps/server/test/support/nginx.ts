import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The shipped example, the one file the tests run (rendered, never copied). */
export const gatewayExample = fileURLToPath(
  new URL("../../../../examples/nginx/credkit-gateway.conf", import.meta.url),
);

/**
 * The variables of `examples/nginx/credkit-gateway.conf`. The upstream's scheme, name and CA default to
 * plain HTTP to `api.test` (tests and benchmarks talk to a loopback upstream).
 */
export interface GatewayVars {
  LISTEN: string;
  CREDKIT_AUTHZ: string;
  UPSTREAM: string;
  UPSTREAM_SCHEME?: "http" | "https";
  UPSTREAM_HOST?: string;
  UPSTREAM_CA?: string;
  CREDKIT_CLIENT_ID: string;
  CREDKIT_TARGET_ID: string;
  CREDKIT_AUTHZ_TOKEN: string;
}

/** Renders the example as `envsubst` would with the variable list its header names. */
export async function renderGateway(given: GatewayVars): Promise<string> {
  const vars: Required<GatewayVars> = {
    UPSTREAM_SCHEME: "http",
    UPSTREAM_HOST: "api.test",
    UPSTREAM_CA: "/etc/ssl/certs/ca-certificates.crt",
    ...given,
  };
  const text = await readFile(gatewayExample, "utf8");
  return text
    .split("\n")
    .map((line) =>
      line.trimStart().startsWith("#")
        ? line
        : line.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) =>
            name in vars ? vars[name as keyof GatewayVars] : whole,
          ),
    )
    .join("\n");
}

/** A free loopback port (another process may take it before nginx binds: startNginx retries). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running nginx (master in the foreground) in its own temp prefix. */
export interface NginxProcess {
  url: string;
  child: ChildProcess;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
// Debian installs nginx in /usr/sbin, which a non-root PATH often lacks (scripts/ensure-test-deps.sh installs it).
const NGINX =
  process.env.CREDKIT_TEST_NGINX_BIN ?? (existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx");

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls until `port` answers on loopback (true), or `child` exits or READY_TIMEOUT_MS passes (false). */
export async function untilListening(child: ChildProcess, port: number): Promise<boolean> {
  const exited = once(child, "exit").then(() => false);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ready = false;
  while (!ready && child.exitCode === null && Date.now() < deadline) {
    ready = await Promise.race([portAnswers(port), exited]);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 25)); // poll interval
  }
  return ready;
}

/**
 * Starts Debian's nginx on a free loopback port with `server` (an http-level config such as the
 * rendered example, given the port to listen on) under a generated nginx.conf: `daemon off;`, pid, logs
 * and temp paths in a temp prefix, `user root;` when run as root. Ready once the port accepts
 * connections (polled); stopped by its pid.
 */
export async function startNginx(server: (listen: string) => Promise<string>): Promise<NginxProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const prefix = await mkdtemp(join(tmpdir(), "credkit-nginx-"));
    await mkdir(join(prefix, "logs"));
    await writeFile(join(prefix, "gateway.conf"), await server(`127.0.0.1:${port}`));
    const root = process.getuid?.() === 0;
    await writeFile(
      join(prefix, "nginx.conf"),
      [
        "daemon off;",
        ...(root ? ["user root;"] : []),
        "worker_processes 1;",
        `pid ${prefix}/nginx.pid;`,
        `error_log ${prefix}/logs/error.log warn;`,
        "events { worker_connections 1024; }",
        "http {",
        "  access_log off;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
          (kind) => `  ${kind}_temp_path ${prefix}/${kind}_temp;`,
        ),
        `  include ${prefix}/gateway.conf;`,
        "}",
        "",
      ].join("\n"),
    );
    const child = spawn(
      NGINX,
      ["-p", prefix, "-e", `${prefix}/logs/error.log`, "-c", `${prefix}/nginx.conf`],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const errorLog = () => readFile(join(prefix, "logs/error.log"), "utf8").catch(() => "");
    const ready = await untilListening(child, port);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGQUIT"); // graceful: the master waits for its workers
        await once(child, "exit");
      }
      await rm(prefix, { recursive: true, force: true });
    };
    if (ready && child.exitCode === null) return { url: `http://127.0.0.1:${port}`, child, errorLog, stop };
    const log = `${stderr}${await errorLog()}`;
    await stop();
    if (attempt < 3 && log.includes("Address already in use")) continue;
    throw new Error(`nginx did not start: ${log}`);
  }
}
