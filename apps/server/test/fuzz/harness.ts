// The fuzz tests' server and request helper: the bundled app (memory store) on a loopback port, and a
// `call` that checks what every answer must satisfy whatever was sent (docs/contract.md).
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { responseContract } from "@credkit/api-contract";
import { buildOpenApiDocument } from "@credkit/express";
import { afterAll, beforeAll, expect } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { SECRET_MARK } from "./arbitraries.js";

/** The user token of the fuzz server (every client, resolve scope). */
export const token = "fuzz-token-0123456789abcdef";
// A fixed seed in CI (a red build is reproducible, never a coin toss); a fresh one elsewhere to explore.
const seed = Number(process.env.CREDKIT_FUZZ_SEED ?? (process.env.CI ? 20261130 : Date.now() % 2 ** 31));
const numRuns = Number(process.env.CREDKIT_FUZZ_RUNS ?? 150);
// Each property stops after this long even on a loaded machine, so a file stays well under 60 s.
const timeLimitMs = Number(process.env.CREDKIT_FUZZ_TIME_LIMIT_MS ?? 5_000);

/** fast-check parameters of every property: seeded, sized, bounded in time. */
export const params = { seed, numRuns, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false };
/** Vitest timeout of a property: its time limit plus room for the requests in flight. */
export const propertyTimeoutMs = timeLimitMs + 30_000;

const contract = responseContract(buildOpenApiDocument({ basePath: "/api" }));

/** Starts the fuzz server around the calling test file and returns the helpers that talk to it. */
export function useFuzzServer(file: string) {
  console.log(
    `API fuzz ${file}: seed ${seed}, ${numRuns} runs per property (CREDKIT_FUZZ_SEED=${seed} replays it)`,
  );
  /** How many answers of each kind the run saw (printed at the end: the run's size and spread). */
  const seen = new Map<string, number>();
  let baseUrl = "";
  let stop: () => Promise<void> = async () => undefined;
  let counter = 0;

  beforeAll(async () => {
    const config = loadConfig({
      PORT: "0",
      LOG_LEVEL: "silent",
      CREDKIT_RATE_LIMIT_PER_MINUTE: "10000000",
      CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "fuzz", clientIds: "*", scopes: ["resolve"] }]),
    });
    const credkit = await createApp(config, createLogger("silent"));
    const server = credkit.app.listen(0, "127.0.0.1");
    await once(server, "listening");
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    stop = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await credkit.close();
    };
  });
  afterAll(async () => {
    const counts = [...seen].sort().map(([kind, n]) => `${kind}×${n}`);
    console.log(`API fuzz ${file} answers: ${counts.join(", ")}`);
    await stop();
  });

  /** Sends a request, and checks what every answer must satisfy whatever was sent. */
  async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: token, "Content-Type": "application/json", ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    const kind = `${method} ${res.status}`;
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    const where = `${method} ${path} → ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    expect(text.includes(SECRET_MARK), `a secret was echoed: ${where}`).toBe(false);
    expect(
      contract.problems({
        method,
        url: `/api${path}`,
        status: res.status,
        contentType: res.headers.get("content-type") ?? undefined,
        body: text,
      }),
      where,
    ).toEqual([]);
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  return {
    call,
    /** The API's base URL (once the server listens). */
    baseUrl: () => baseUrl,
    /** A client id no other case of the run uses. */
    freshClient: () => `fuzz-${seed}-${++counter}`,
    /** How many credentials (temporary ones included) the client has. */
    async storedCount(clientId: string): Promise<number> {
      const { body } = await call("GET", `/clients/${clientId}/credentials?includeTemporary=true`);
      return body.credentials.length;
    },
  };
}
