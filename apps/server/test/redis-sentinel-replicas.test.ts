import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killLeftovers, runCli } from "./child-processes.js";
import { startRedisSentinel } from "./support/real-servers.js";
import { caller, proxyKey, sentinelEnv, serverOn } from "./support/sentinel-traffic.js";
import { waitFor } from "./support/server-process.js";

// Replicas stalled (SIGSTOP) under a credkit server on a Sentinel set: the primary is up, but no write
// can be confirmed by a replica, so none of the writes that revoke or spend may be acknowledged.
let set: Awaited<ReturnType<typeof startRedisSentinel>> | undefined;

afterEach(async () => {
  killLeftovers();
  await set?.stop();
  set = undefined;
});

describe("Redis Sentinel: replicas stalled", () => {
  it("(c) replicas stalled: revoking and spending writes refuse instead of acknowledging", async () => {
    set = await startRedisSentinel();
    const sentinel = set;
    const env = sentinelEnv(sentinel);
    const server = await serverOn(sentinel, env);
    const call = caller(server);
    const path = (id: string) => `/api/clients/acme/credentials/${id}`;
    const once = proxyKey(true);
    const made = await Promise.all(
      [once, proxyKey(false), proxyKey(false)].map((body) =>
        call("POST", "/api/clients/acme/credentials", body),
      ),
    );
    const [onceId, deleteId, denyId] = made.map((m) => m.body.credentials?.[0]?.credentialId as string);
    expect(made.map((m) => m.status)).toEqual([201, 201, 201]);

    const primary = await sentinel.primaryPort();
    const replicas = await Promise.all((await sentinel.replicaPorts(primary)).map(sentinel.pidOf));
    for (const pid of replicas) process.kill(pid, "SIGSTOP");
    const stalledAt = performance.now();
    try {
      const [use, del, deny, create] = await Promise.all([
        call("POST", "/api/clients/acme/verify", { headers: { "x-key": once.secret.keyValue } }),
        call("DELETE", path(deleteId as string)),
        call("PUT", path(denyId as string), { credentialDefaultRuleEffect: "deny" }),
        call("POST", "/api/clients/acme/credentials", proxyKey(false)),
      ]);
      const answers = { use, delete: del, deny, create };
      const acknowledged = Object.entries(answers).filter(
        ([, a]) => a.status < 300 && a.body.allowed !== false,
      );
      console.log(
        `sentinel replicas stalled: ${JSON.stringify({
          scenario: "both replicas SIGSTOPped",
          acknowledged: acknowledged.map(([kind]) => kind),
          statuses: Object.fromEntries(Object.entries(answers).map(([kind, a]) => [kind, a.status])),
          refusedWithinMs: Math.round(Math.max(...Object.values(answers).map((a) => a.endedAt)) - stalledAt),
        })}`,
      );
      // Not one of them is reported as done: the single use does not pass, the others answer 503.
      expect(use.body.allowed).not.toBe(true);
      expect([use.status, del.status, deny.status, create.status]).toEqual([503, 503, 503, 503]);
      expect(del.body.code).toBe("STORAGE_UNAVAILABLE");
    } finally {
      for (const pid of replicas) process.kill(pid, "SIGCONT");
    }
    const resumedAt = performance.now();
    await waitFor(
      async () =>
        (await Promise.all((await sentinel.replicaPorts(primary)).map(sentinel.info))).every((i) =>
          i.includes("master_link_status:up"),
        ),
      20_000,
      "replicas back",
    );
    // Recovered: the first write acknowledged once the replicas resumed.
    await waitFor(
      async () => (await call("POST", "/api/clients/acme/credentials", proxyKey(false))).status === 201,
      20_000,
      "a write acknowledged after the replicas resumed",
    );
    console.log(
      `sentinel replicas stalled: first acknowledged write ${Math.round(performance.now() - resumedAt)} ms after SIGCONT`,
    );
    // Retrying the refused delete is safe: it is gone, whichever answer the retry gets.
    expect([200, 404]).toContain((await call("DELETE", path(deleteId as string))).status);
    expect((await call("GET", path(deleteId as string))).status).toBe(404);
    // The refused use spent the credential on the primary without a pass: it never passes afterwards.
    const after = await call("POST", "/api/clients/acme/verify", {
      headers: { "x-key": once.secret.keyValue },
    });
    expect(after.body.allowed).toBe(false);
    expect((await call("GET", path(onceId as string))).status).toBe(404);
    expect((await call("PUT", path(denyId as string), { credentialDefaultRuleEffect: "deny" })).status).toBe(
      200,
    );

    // The CLI reaches the set through the same variables: check-config pings it, rotate re-seals on it.
    const checked = await runCli(["check-config"], env);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain(`ok      redis sentinel credkit via ${sentinel.sentinels}`);
    const [oldKey] = JSON.parse(env.CREDKIT_KEYRING as string) as { id: string; key: string }[];
    const keyring = [{ id: "sentinel-next", key: randomBytes(32).toString("base64"), active: true }, oldKey];
    const dir = await mkdtemp(join(tmpdir(), "credkit-sentinel-rotate-"));
    try {
      const rotated = await runCli(["rotate"], { ...env, CREDKIT_KEYRING: JSON.stringify(keyring) }, dir);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ activeKeyId: "sentinel-next", failed: 0 });
      expect(JSON.parse(rotated.stdout).reencrypted).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
