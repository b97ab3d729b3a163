import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  type CredentialService,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
  type Keyring,
  type StoredCredential,
  tokenStateIdentity,
} from "@credkit/core";
import { redisClientOptions, redisStore } from "@credkit/storage-redis";
import { authorizeAtMock, type MockOAuth, startMockOAuth } from "@credkit/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "./support/real-servers.js";

const worker = fileURLToPath(new URL("./support/resolve-worker.ts", import.meta.url));
const masterKey = randomBytes(32);
const keyPrefix = `credkit-tokens-${randomUUID()}:`;
const admin = { userId: "ops", clientIds: "*", scopes: ["resolve"] } as const;

let redis: Awaited<ReturnType<typeof startRedis>>;
let oauth: MockOAuth;
let client: Redis;
let store: ReturnType<typeof redisStore>;
let keyring: Keyring;
let service: CredentialService;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  [redis, oauth] = await Promise.all([startRedis(), startMockOAuth()]);
  client = new Redis(redis.url, redisClientOptions());
  store = redisStore({ client, keyPrefix });
  keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: masterKey }] });
  service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
  });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await store?.close();
  client?.disconnect();
  await Promise.all([oauth?.stop(), redis?.stop()]);
});

/** A worker process resolving `credentialId` `count` times once told to go. */
async function startWorker(clientId: string, credentialId: string, count: number) {
  const child = spawn(process.execPath, ["--conditions=credkit-source", "--import", "tsx", worker], {
    env: {
      ...process.env,
      WORKER_REDIS_URL: redis.url,
      WORKER_KEY_PREFIX: keyPrefix,
      WORKER_MASTER_KEY: masterKey.toString("base64"),
      WORKER_CLIENT_ID: clientId,
      WORKER_CREDENTIAL_ID: credentialId,
      WORKER_COUNT: String(count),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
    const parts = output.split("\n");
    output = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  /** The `index`-th line it prints; fails if it exits first. */
  const line = async (index: number): Promise<string> => {
    while (lines.length <= index) {
      const printed = new Promise<void>((resolve) => waiters.push(resolve));
      const gone = exited.then(() => {
        if (lines.length <= index) throw new Error(`worker exited early: ${stderr}`);
      });
      await Promise.race([printed, gone]);
    }
    return lines[index] as string;
  };
  expect(await line(0)).toBe("ready");
  return {
    go: () => child.stdin?.write("go\n"),
    async results(): Promise<{ auth?: string; error?: string }[]> {
      const answer = JSON.parse(await line(1));
      await exited;
      children.delete(child);
      return answer;
    },
  };
}

/** Starts two workers, releases them together, and returns every result of both. */
async function resolveInTwoProcesses(clientId: string, credentialId: string) {
  const workers = await Promise.all([
    startWorker(clientId, credentialId, 10),
    startWorker(clientId, credentialId, 10),
  ]);
  for (const w of workers) w.go();
  return (await Promise.all(workers.map((w) => w.results()))).flat();
}

const stored = async (clientId: string, credentialId: string) => {
  const record = (await store.get(clientId, credentialId)) as StoredCredential;
  return JSON.parse(keyring.decrypt(record.tokenState ?? "", tokenStateIdentity(record)));
};

describe("two processes sharing one Redis", () => {
  it("fetch a client-credentials token once for 20 concurrent resolutions", async () => {
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(admin, clientId, {
      credentialName: "shared",
      credentialType: "target",
      authType: "oauth2",
      region: "eu-west-1",
      secret: {
        grantType: "client_credentials",
        tokenUrl: oauth.tokenUrl,
        clientId: "svc",
        clientSecret: "s-1",
      },
    });
    // Held long enough that both processes are waiting on it at the same time.
    oauth.setTokenDelay(() => 300);
    try {
      const before = oauth.tokenRequests();
      const results = await resolveInTwoProcesses(clientId, created.credentialId);
      expect(results).toHaveLength(20);
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(oauth.tokenRequests() - before).toBe(1);
      const token = (await stored(clientId, created.credentialId)).access.token;
      expect(new Set(results.map((r) => r.auth))).toEqual(new Set([`Bearer ${token}`]));
    } finally {
      oauth.setTokenDelay(() => 0);
    }
  });

  it("refresh an authorization-code token once, and keep the rotated refresh token", async () => {
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(admin, clientId, {
      credentialName: "user grant",
      credentialType: "target",
      authType: "oauth2",
      region: "eu-west-1",
      secret: {
        grantType: "authorization_code",
        authorizationUrl: oauth.authorizeUrl,
        tokenUrl: oauth.tokenUrl,
        clientId: "web-app",
        redirectUri: "https://credkit.example/api/oauth2/callback",
      },
    });
    await service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
    const first = await stored(clientId, created.credentialId);
    // The upstream said 401: drop the access token, so both processes need a refresh.
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    const refreshes = () => oauth.seen.filter((s) => s.body.grant_type === "refresh_token");
    const before = refreshes().length;
    oauth.setTokenDelay(() => 300);
    try {
      const results = await resolveInTwoProcesses(clientId, created.credentialId);
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(refreshes().length - before).toBe(1);
      expect(refreshes().at(-1)?.body.refresh_token).toBe(first.refreshToken);
      const after = await stored(clientId, created.credentialId);
      expect(after.refreshToken).not.toBe(first.refreshToken); // the mock rotates: the new one replaced it
      expect(new Set(results.map((r) => r.auth))).toEqual(new Set([`Bearer ${after.access.token}`]));
    } finally {
      oauth.setTokenDelay(() => 0);
    }
  });
});
