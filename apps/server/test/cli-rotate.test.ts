import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuthTypeOf,
  type CredentialService,
  createCredentialService,
  createKeyring,
  type SecretInputOf,
  type StoredCredential,
  type StoredWebhook,
  webhookSecretIdentity,
} from "@credkit/core";
import { redisClientOptions, redisEventOutbox, redisStore } from "@credkit/storage-redis";
import { proxy as proxyBody } from "@credkit/test-support";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, killLeftovers, runCli, startCli, startRedis, startServer } from "./child-processes.js";

// Distinctive key ids: the raw-dump assertions search for them anywhere in Redis.
const oldKey = { id: "old-key-2024", key: randomBytes(32).toString("base64") };
const newKey = { id: "new-key-2025", key: randomBytes(32).toString("base64") };
const admin = { userId: "ops", clientIds: "*" as const, scopes: ["resolve" as const] };
const token = "rotate-test-token-0123456789";

let redis: Awaited<ReturnType<typeof startRedis>>;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, redisClientOptions());
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});
afterEach(killLeftovers);

const keyringOf = (...keys: { id: string; key: string }[]) =>
  createKeyring({
    activeKeyId: (keys[0] as { id: string }).id,
    keys: keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, "base64") })),
  });

/** A test's own slice of Redis (key prefix), its store, and services over it with any keyring. */
function scope() {
  const prefix = `rot-${randomUUID().slice(0, 8)}:`;
  const store = redisStore({ client, keyPrefix: prefix });
  const service = (...keys: { id: string; key: string }[]): CredentialService =>
    createCredentialService({
      regions: { "eu-west-1": store, "us-east-1": store },
      keyring: keyringOf(...keys),
      defaultRegion: "eu-west-1",
    });
  const env = (...keys: { id: string; key: string }[]) => ({
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.url,
    CREDKIT_REGIONS: "*",
    CREDKIT_REDIS_KEY_PREFIX: prefix,
    CREDKIT_KEYRING: JSON.stringify(keys.map((k, i) => ({ ...k, active: i === 0 }))),
  });
  return { prefix, store, service, env };
}

interface Proxy {
  clientId: string;
  headers: Record<string, string>;
}

/** Creates proxy credentials (apiKey, bearer, basicAuth) for `clients` clients and `targets` targets. */
async function seed(service: CredentialService, clients: number, targets: number): Promise<Proxy[]> {
  const proxies: Proxy[] = [];
  for (let i = 0; i < clients; i++) {
    const clientId = `client-${i}-${randomUUID().slice(0, 6)}`;
    const region = i % 2 ? "us-east-1" : "eu-west-1";
    const proxy = <A extends AuthTypeOf<"proxy">>(authType: A, secret: SecretInputOf<A>) =>
      proxyBody(authType, secret, { credentialName: authType, region });
    await service.create(
      admin,
      clientId,
      proxy("apiKey", { keyName: "X-Api-Key", keyValue: `key-long-enough-${i}` }),
    );
    await service.create(admin, clientId, proxy("bearer", { token: `bearer-long-enough-${i}` }));
    await service.create(
      admin,
      clientId,
      proxy("basicAuth", { username: `u${i}`, password: `pass-long-enough-${i}` }),
    );
    proxies.push(
      { clientId, headers: { "x-api-key": `key-long-enough-${i}` } },
      { clientId, headers: { authorization: `Bearer bearer-long-enough-${i}` } },
      {
        clientId,
        headers: { authorization: `Basic ${Buffer.from(`u${i}:pass-long-enough-${i}`).toString("base64")}` },
      },
    );
  }
  const targetClient = `targets-${randomUUID().slice(0, 6)}`;
  for (let done = 0; done < targets; done += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, targets - done) }, (_, j) =>
        service.create(admin, targetClient, {
          credentialName: `t${done + j}`,
          credentialType: "target",
          authType: "bearer",
          secret: { token: `target-token-${done + j}` },
        }),
      ),
    );
  }
  return proxies;
}

/** Every record of the store, as stored. */
async function records(store: ReturnType<typeof scope>["store"]): Promise<StoredCredential[]> {
  const all: StoredCredential[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.scan({ limit: 1000, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return all;
}

/** Every key name and value under `prefix`, as one string: what an attacker with the dump would see. */
async function rawDump(prefix: string): Promise<string> {
  const keys = await client.keys(`${prefix}*`);
  const parts: string[] = [...keys];
  for (const key of keys) {
    const type = await client.type(key);
    if (type === "hash") parts.push(...Object.values(await client.hgetall(key)));
    else if (type === "string") parts.push((await client.get(key)) ?? "");
    else if (type === "zset") parts.push(...(await client.zrange(key, "0", "-1")));
    else if (type === "set") parts.push(...(await client.smembers(key)));
  }
  return parts.join("\n");
}

async function verifyAll(service: CredentialService, proxies: Proxy[]) {
  for (const { clientId, headers } of proxies) {
    expect(await service.verifyProxyRequest(admin, clientId, { headers })).toMatchObject({ ok: true });
  }
}

/** Resolves once the state file reports at least `scanned` records (polled: the file is the signal). */
async function stateReaches(path: string, scanned: number, run: CliRun): Promise<void> {
  for (;;) {
    const text = await readFile(path, "utf8").catch(() => null);
    if (text && (JSON.parse(text) as { job: { counts: { scanned: number } } }).job.counts.scanned >= scanned)
      return;
    if (run.child.exitCode !== null) throw new Error(`rotate exited early: ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // poll interval, not a readiness guess
  }
}

// Each test seeds thousands of records and runs the CLI and a server as processes: about 60 s each on a
// 2-core machine at load 27, so they get more than the suite's default.
describe("credkit rotate on a real Redis", () => {
  it("re-seals every record under the new key while the running server keeps verifying", async () => {
    const { prefix, store, service, env } = scope();
    const proxies = await seed(service(oldKey), 4, 300);
    const total = proxies.length + 300;
    await verifyAll(service(oldKey), proxies);
    // A webhook whose signing secret is sealed under the old key, in the outbox the server uses.
    const outbox = redisEventOutbox({ client, keyPrefix: prefix });
    const signing = `whsec_${randomBytes(32).toString("base64")}`;
    const webhookIds = { clientId: "hooked", webhookId: `wh_${randomUUID()}` };
    await outbox.saveWebhook({
      ...webhookIds,
      url: "https://receiver.example/hook",
      eventTypes: ["credential.created"],
      secret: keyringOf(oldKey).encrypt(signing, webhookSecretIdentity(webhookIds)),
      userId: "ops",
      createdAt: new Date().toISOString(),
    });
    expect(await rawDump(prefix)).toContain(oldKey.id);

    // Step 3 of the runbook: the server runs with the new key active and the old one still present.
    const server = await startServer({
      ...env(newKey, oldKey),
      CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
      CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
      LOG_LEVEL: "warn",
    });
    const dir = await mkdtemp(join(tmpdir(), "credkit-rotate-"));
    try {
      const rotate = startCli(
        ["rotate", "--batch-size", "5", "--concurrency", "2"],
        env(newKey, oldKey),
        dir,
      );
      let verified = 0;
      let rotating = true;
      void rotate.exited.then(() => {
        rotating = false;
      });
      // Verify through the server's HTTP API for as long as the rotation runs.
      while (rotating) {
        for (const { clientId, headers } of proxies) {
          const res = await fetch(`${server.url}/api/clients/${clientId}/verify`, {
            method: "POST",
            headers: { Authorization: token, "Content-Type": "application/json" },
            body: JSON.stringify({ headers }),
          });
          expect(res.status).toBe(200);
          expect(await res.json()).toMatchObject({ allowed: true });
          verified++;
        }
      }
      expect(await rotate.exited, rotate.stderr()).toBe(0);
      expect(verified).toBeGreaterThan(0);
      const summary = JSON.parse(rotate.stdout()) as Record<string, unknown>;
      expect(summary).toMatchObject({
        activeKeyId: newKey.id,
        scanned: total,
        reencrypted: total,
        skipped: 0,
        failed: 0,
        webhooks: { scanned: 1, reencrypted: 1, skipped: 0, failed: 0 },
      });
      expect(rotate.stderr()).toMatch(/scanned \(100%\) · .* records\/s · ETA/);
      expect(rotate.stderr()).toContain(`rotate: done. Every record is under key ${newKey.id}`);
      // Nothing sensitive on the CLI's output.
      expect(rotate.stdout() + rotate.stderr()).not.toMatch(
        /bearer-long-enough-0|key-long-enough-0|pass-long-enough-0|target-token|[A-Za-z0-9+/]{43}=/,
      );
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }

    // At rest: every envelope and lookup hash is under the new key; the old key id appears nowhere.
    const dump = await rawDump(prefix);
    expect(dump).not.toContain(oldKey.id);
    expect(dump).toContain(`ck1.${newKey.id}.`);
    for (const record of await records(store)) {
      expect(record.secret.startsWith(`ck1.${newKey.id}.`)).toBe(true);
      if (record.lookupHash !== null) expect(record.lookupHash.startsWith(`${newKey.id}.`)).toBe(true);
      expect(record.version).toBe(2);
    }
    // The webhook's secret too: the same secret, sealed under the new key.
    const resealed = (await outbox.getWebhook("hooked", webhookIds.webhookId)) as StoredWebhook;
    expect(keyringOf(newKey).decrypt(resealed.secret, webhookSecretIdentity(webhookIds))).toBe(signing);
    // The old key can be dropped: a keyring holding only the new key verifies and reads everything.
    await verifyAll(service(newKey), proxies);
    const onlyNew = service(newKey);
    for (const record of await records(store)) {
      await expect(onlyNew.get(admin, record.clientId, record.credentialId)).resolves.toMatchObject({
        credentialVersion: 2,
      });
    }
  }, 180_000);

  it("resumes from its state file after SIGINT and after SIGKILL, rewriting each record once", async () => {
    const { prefix, store, service, env } = scope();
    const proxies = await seed(service(oldKey), 2, 1500);
    const total = proxies.length + 1500;
    const dir = await mkdtemp(join(tmpdir(), "credkit-rotate-"));
    const state = join(dir, "rotate-state.json");
    const args = ["rotate", "--state", state, "--batch-size", "1", "--concurrency", "1"];
    try {
      // 1. Interrupted politely: the page in progress finishes, the state is saved, exit 130.
      const first = startCli(args, env(newKey, oldKey));
      await stateReaches(state, 100, first);
      first.child.kill("SIGINT");
      expect(await first.exited).toBe(130);
      expect(first.stderr()).toContain(`rotate: interrupted. Progress is saved in ${state}`);
      const saved = JSON.parse(await readFile(state, "utf8")) as { job: { counts: { scanned: number } } };

      // Half-way: old and new envelopes side by side, and every proxy credential still verifies.
      const halfway = await records(store);
      const rotated = halfway.filter((r) => r.secret.startsWith(`ck1.${newKey.id}.`)).length;
      expect(rotated).toBeGreaterThanOrEqual(saved.job.counts.scanned);
      expect(rotated).toBeLessThan(total);
      await verifyAll(service(newKey, oldKey), proxies);

      // 2. Killed outright: whatever it wrote after its last save is skipped on resume, not redone.
      const second = startCli(args, env(newKey, oldKey));
      await stateReaches(state, saved.job.counts.scanned + 100, second);
      second.child.kill("SIGKILL");
      expect(await second.exited).toBe("SIGKILL");
      expect(second.stderr()).toContain(`rotate: resuming from ${state}`);

      // 3. Finishes.
      const third = await runCli(args, env(newKey, oldKey));
      expect(third.code).toBe(0);
      expect(third.stderr).toContain(`rotate: resuming from ${state}`);
      const summary = JSON.parse(third.stdout) as { reencrypted: number; skipped: number; failed: number };
      expect(summary.failed).toBe(0);
      expect(summary.reencrypted + summary.skipped).toBeGreaterThanOrEqual(total);
      expect(summary.skipped).toBeLessThanOrEqual(1);
      await expect(readFile(state, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const all = await records(store);
    expect(all).toHaveLength(total);
    expect(all.every((r) => r.version === 2 && r.secret.startsWith(`ck1.${newKey.id}.`))).toBe(true);
    expect(await rawDump(prefix)).not.toContain(oldKey.id);
    await verifyAll(service(newKey), proxies);
  }, 180_000);
});
