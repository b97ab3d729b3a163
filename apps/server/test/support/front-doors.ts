import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, renderGateway, startNginx, untilListening } from "./nginx.js";

/** What every front door is told: where to listen, where credkit and the upstream are, whose keys. */
export interface FrontDoorVars {
  /** credkit's data-plane listener, host:port. */
  authz: string;
  /** The upstream API, host:port (plain HTTP). */
  upstream: string;
  /** The upstream's own name, sent as its Host. */
  upstreamHost: string;
  clientId: string;
  targetId: string;
  token: string;
}

/** A running front door (nginx, Caddy or HAProxy) in front of credkit. */
export interface FrontDoor {
  url: string;
  /** What the proxy printed or logged so far. */
  output(): Promise<string>;
  stop(): Promise<void>;
}

const example = (path: string) => fileURLToPath(new URL(`../../../../examples/${path}`, import.meta.url));
/** The shipped Caddy and HAProxy examples, run as they are (configured through the environment). */
export const caddyExample = example("caddy/Caddyfile");
export const haproxyExample = example("haproxy/haproxy.cfg");
export const haproxyLuaExample = example("haproxy/credkit-auth.lua");

/**
 * Runs `command` (a proxy in the foreground) with `env(port)` on a free loopback port until the port
 * accepts connections (polled, a health check); retried on another port when the one picked was taken
 * in between. Stopped with SIGTERM; `dir`, a temp folder it may write in, is removed after.
 */
async function startListening(
  name: string,
  command: string,
  args: (dir: string) => string[],
  env: (port: number, dir: string) => Record<string, string>,
): Promise<FrontDoor> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), `credkit-${name}-`));
    const child: ChildProcess = spawn(command, args(dir), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env(port, dir) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d) => {
      output += d;
    });
    child.stderr?.on("data", (d) => {
      output += d;
    });
    const ready = await untilListening(child, port);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dir, { recursive: true, force: true });
    };
    if (ready && child.exitCode === null)
      return { url: `http://127.0.0.1:${port}`, output: async () => output, stop };
    await stop();
    if (attempt < 3 && /address already in use/i.test(output)) continue;
    throw new Error(`${name} did not start: ${output}`);
  }
}

/** examples/nginx/credkit-gateway.conf, rendered, under Debian's nginx (the front door is `/api/`). */
export async function startNginxDoor(vars: FrontDoorVars): Promise<FrontDoor> {
  const nginx = await startNginx((listen) =>
    renderGateway({
      LISTEN: listen,
      CREDKIT_AUTHZ: vars.authz,
      UPSTREAM: vars.upstream,
      UPSTREAM_HOST: vars.upstreamHost,
      CREDKIT_CLIENT_ID: vars.clientId,
      CREDKIT_TARGET_ID: vars.targetId,
      CREDKIT_AUTHZ_TOKEN: vars.token,
    }),
  );
  return { url: nginx.url, output: () => nginx.errorLog(), stop: () => nginx.stop() };
}

/**
 * examples/caddy/Caddyfile under Debian's Caddy. Caddy keeps data and config under $HOME (as root,
 * /root/.local/share/caddy) even with `admin off`: both go to the temp folder here.
 */
export function startCaddyDoor(vars: FrontDoorVars): Promise<FrontDoor> {
  return startListening(
    "caddy",
    process.env.CREDKIT_TEST_CADDY_BIN ?? "caddy",
    () => ["run", "--adapter", "caddyfile", "--config", caddyExample],
    (port, dir) => ({
      HOME: dir,
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CONFIG_HOME: join(dir, "config"),
      LISTEN_HOST: "127.0.0.1",
      LISTEN_PORT: String(port),
      CREDKIT_AUTHZ: vars.authz,
      UPSTREAM: vars.upstream,
      UPSTREAM_HOST: vars.upstreamHost,
      CREDKIT_CLIENT_ID: vars.clientId,
      CREDKIT_TARGET_ID: vars.targetId,
      CREDKIT_AUTHZ_TOKEN: vars.token,
    }),
  );
}

/** examples/haproxy/haproxy.cfg (+ credkit-auth.lua beside it) under Debian's HAProxy, in the foreground. */
export function startHaproxyDoor(vars: FrontDoorVars): Promise<FrontDoor> {
  return startListening(
    "haproxy",
    process.env.CREDKIT_TEST_HAPROXY_BIN ?? "haproxy",
    (dir) => ["-db", "-f", haproxyExample, "-p", join(dir, "haproxy.pid")],
    (port) => ({
      LISTEN: `127.0.0.1:${port}`,
      CREDKIT_AUTHZ: vars.authz,
      UPSTREAM: vars.upstream,
      UPSTREAM_HOST: vars.upstreamHost,
      CREDKIT_CLIENT_ID: vars.clientId,
      CREDKIT_TARGET_ID: vars.targetId,
      CREDKIT_AUTHZ_TOKEN: vars.token,
    }),
  );
}
