import { randomBytes } from "node:crypto";
import type { startRedisSentinel } from "./real-servers.js";
import { type ServerProcess, startServer } from "./server-process.js";

const token = "sentinel-test-token-0123456789";

type Sentinel = Awaited<ReturnType<typeof startRedisSentinel>>;

/** One answer of the server, with when it was asked and answered. */
export interface Answer {
  status: number;
  body: Record<string, unknown> & { credentials?: Record<string, unknown>[]; allowed?: boolean };
  startedAt: number;
  endedAt: number;
}

/** Calls the server with the test token; a transport failure is status 0, never thrown. */
export function caller(server: ServerProcess) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const startedAt = performance.now();
    try {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          Authorization: token,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? JSON.parse(text) : {},
        startedAt,
        endedAt: performance.now(),
      };
    } catch {
      return { status: 0, body: {}, startedAt, endedAt: performance.now() };
    }
  };
}

/** The server's environment on the Sentinel set, with a fresh key `sentinel-key` (the CLI takes it too). */
export function sentinelEnv(sentinel: Sentinel): Record<string, string> {
  return {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_SENTINELS: sentinel.sentinels,
    CREDKIT_REDIS_SENTINEL_NAME: sentinel.name,
    CREDKIT_REGIONS: "eu-west-1",
    CREDKIT_KEYRING: JSON.stringify([{ id: "sentinel-key", key: randomBytes(32).toString("base64") }]),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    // Warnings only (the store's reconnects), kept for the failure message; no line per request.
    LOG_LEVEL: "warn",
  };
}

/** A credkit server on the Sentinel set, waiting for 1 replica (the default with Sentinel). */
export async function serverOn(
  sentinel: Sentinel,
  env: Record<string, string> = sentinelEnv(sentinel),
): Promise<ServerProcess> {
  return startServer(env);
}

/** A create body for a proxy apiKey credential with a fresh random value. */
export const proxyKey = (singleUse: boolean) => ({
  credentialName: singleUse ? "once" : "revocable",
  credentialType: "proxy",
  authType: "apiKey",
  region: "eu-west-1",
  singleUse,
  secret: { keyName: "X-Key", keyValue: randomBytes(16).toString("hex") },
});
