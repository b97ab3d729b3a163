// Helpers of the scaling bench: a credkit server process started from source with an env (and its
// data-plane listener), and the one place that says which HTTP request verifies a credential.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const main = fileURLToPath(new URL("../apps/server/src/main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** A running server process. */
export interface BenchServer {
  /** The management API's origin. */
  url: string;
  /** The data-plane listener's origin (CREDKIT_AUTHZ_PORT). */
  authzUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `apps/server/src/main.ts` (from source, as the tests do) with `env` and the data-plane listener
 * on a free loopback port; resolves once both listen.
 */
export async function startBenchServer(env: Record<string, string>): Promise<BenchServer> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CREDKIT_")));
  const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", tsx, main], {
    env: {
      ...base,
      PORT: "0",
      HOST: "127.0.0.1",
      CREDKIT_AUTHZ_PORT: "0",
      CREDKIT_AUTHZ_HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const { url, authzUrl } = await new Promise<{ url: string; authzUrl: string }>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      // With workers every worker prints both lines; the first of each is enough (they share the ports).
      const api = /credkit listening on http:\/\/[^\s/]+:(\d+)/.exec(output);
      const authz = /credkit authz listening on http:\/\/([^:\s]+):(\d+)\//.exec(output);
      if (api && authz)
        resolve({ url: `http://127.0.0.1:${api[1]}`, authzUrl: `http://${authz[1]}:${authz[2]}` });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return {
    url,
    authzUrl,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** One HTTP request that verifies `headers` as a proxy credential of `clientId`. */
export interface VerifyHttpRequest {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
}

/**
 * The verification request the HTTP benches send: the data-plane listener, `GET /authz/{clientId}`, as
 * nginx `auth_request` asks it. The presented headers are the request's own; the proxy's token (scope
 * `authz`) goes in `X-Credkit-Token`. 200 allows; 401/403 refuse.
 */
export function verifyHttpRequest(
  authzUrl: string,
  token: string,
  clientId: string,
  headers: Record<string, string>,
): VerifyHttpRequest {
  return {
    url: `${authzUrl}/authz/${encodeURIComponent(clientId)}`,
    method: "GET",
    headers: { ...headers, "x-credkit-token": token },
  };
}
