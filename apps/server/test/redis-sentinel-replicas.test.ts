import { afterEach, describe, expect, it } from "vitest";
import { startRedisSentinel } from "./support/real-servers.js";
import { caller, proxyKey, serverOn } from "./support/sentinel-traffic.js";
import { killServers, waitFor } from "./support/server-process.js";

// Replicas stalled (SIGSTOP) under a credkit server on a Sentinel set: the primary is up, but no write
// can be confirmed by a replica, so none of the writes that revoke or spend may be acknowledged.
let set: Awaited<ReturnType<typeof startRedisSentinel>> | undefined;

afterEach(async () => {
  killServers();
  await set?.stop();
  set = undefined;
});

describe("Redis Sentinel: replicas stalled", () => {
  it("(c) replicas stalled: revoking and spending writes refuse instead of acknowledging", async () => {
    set = await startRedisSentinel();
    const sentinel = set;
    const server = await serverOn(sentinel);
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
    try {
      const [use, del, deny, create] = await Promise.all([
        call("POST", "/api/clients/acme/verify", { headers: { "x-key": once.secret.keyValue } }),
        call("DELETE", path(deleteId as string)),
        call("PUT", path(denyId as string), { credentialDefaultRuleEffect: "deny" }),
        call("POST", "/api/clients/acme/credentials", proxyKey(false)),
      ]);
      // Not one of them is reported as done: the single use does not pass, the others answer 503.
      expect(use.body.allowed).not.toBe(true);
      expect([use.status, del.status, deny.status, create.status]).toEqual([503, 503, 503, 503]);
      expect(del.body.code).toBe("STORAGE_UNAVAILABLE");
    } finally {
      for (const pid of replicas) process.kill(pid, "SIGCONT");
    }
    await waitFor(
      async () =>
        (await Promise.all((await sentinel.replicaPorts(primary)).map(sentinel.info))).every((i) =>
          i.includes("master_link_status:up"),
        ),
      20_000,
      "replicas back",
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
  }, 60_000);
});
